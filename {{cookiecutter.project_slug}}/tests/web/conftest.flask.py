"""The Flask app under test, called in-process through its WSGI interface."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from flask import Flask, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.openapi import OpenAPI
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate, UserRead
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.app import close_resources, create_app
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.auth import BEARER, optional_user, user_service
{%- endif %}
from {{ cookiecutter.project_slug }}.web.deps import current_session
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY, request_state

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from {{ cookiecutter.project_slug }}.resources import Resources
    from tests.web.types import ClientFactory

OPENAPI_PATH = "/openapi/openapi.json"

# Routes that exist only in tests, to drive bodies and failures through the real stack.
routes_for_tests = APIBlueprint("tests", __name__, url_prefix="/_test")
# A blueprint inside that one: metrics must name its routes with both prefixes.
nested_routes = APIBlueprint("nested", __name__, url_prefix="/nested")
NESTED_ROUTE_TEMPLATE = "/_test/nested/<thing_id>"


class ThingPath(BaseModel):
    thing_id: str


@nested_routes.get("/<thing_id>")
def nested_thing(path: ThingPath) -> dict[str, str]:
    return {"thing_id": path.thing_id}


routes_for_tests.register_api(nested_routes)


class Echo(BaseModel):
    name: str
    count: int


class Keep(BaseModel):
    keep: bool = False


class KeptConflict(Conflict):
    """An error whose request keeps its changes all the same."""

    keeps_changes = True


@routes_for_tests.post("/echo")
def echo(body: Echo) -> dict[str, Any]:
    return body.model_dump()


@routes_for_tests.get("/boom")
def boom() -> None:
    raise RuntimeError("secret internal detail")  # the text must not leak


@routes_for_tests.get("/conflict")
def conflict() -> None:
    raise Conflict("Already exists")


@routes_for_tests.post("/create-then-fail")
def create_then_fail(body: ItemCreate) -> None:
    ItemService(current_session()).create(body)
    raise RuntimeError("failed after writing")


@routes_for_tests.post("/create-then-conflict")
def create_then_conflict(body: ItemCreate, query: Keep) -> None:
    ItemService(current_session()).create(body)
    raise (KeptConflict if query.keep else Conflict)("Refused after writing")


@routes_for_tests.post("/create-then-answer-409")
def create_then_answer_409(body: ItemCreate) -> tuple[dict[str, str], int]:
    """An error response the view returns rather than raises."""
    ItemService(current_session()).create(body)
    return {"status": "written, but answered as a conflict"}, 409


@routes_for_tests.post("/create-at-commit")
def create_at_commit(body: ItemCreate) -> dict[str, str]:
    # Not flushed: the INSERT, and any conflict, happens when the unit of work commits.
    current_session().add(Item(**body.model_dump()))
    return {"status": "accepted"}
{%- if cookiecutter.use_auth %}


@routes_for_tests.post("/grant-admin")
def grant_admin(body: UserCreate) -> dict[str, Any]:
    """Makes (or promotes) an admin in the request's transaction, as `create-admin` does."""
    user, _ = user_service().make_admin(body)
    return UserRead.model_validate(user).model_dump(mode="json")


@routes_for_tests.get("/whoami", security=BEARER)
def whoami() -> dict[str, str | None]:
    user = optional_user()
    return {"email": user.email if user else None}
{%- endif %}


def user_from_header() -> None:
    """Stands in for authentication: an X-Test-User header becomes the request state's user_id."""
    if user := request.headers.get("X-Test-User"):
        request_state().user_id = user


def add_test_routes(app: OpenAPI) -> None:
    app.register_api(routes_for_tests)
    # Where authentication runs: right after the metrics hook and the one that makes the request state.
    app.before_request_funcs.setdefault(None, []).insert(2, user_from_header)


def as_served(app: "WSGIApplication") -> "WSGIApplication":
    """The app as gunicorn and Werkzeug call it: with a body the server has delimited.

    httpx hands the app the whole body in memory but, unlike those servers, does not set
    wsgi.input_terminated, without which Werkzeug reads a chunked body as empty.
    """

    def served(environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        environ["wsgi.input_terminated"] = True
        return app(environ, start_response)

    return served


@contextmanager
def serve_app(app: OpenAPI) -> Iterator[httpx.Client]:
    transport = httpx.WSGITransport(app=as_served(app), raise_app_exceptions=False)
    try:
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        close_resources(app)


@contextmanager
def serve(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    add_test_routes(app)
    with serve_app(app) as client:
        yield client


@contextmanager
def shared(connection: Connection) -> Iterator[Connection]:
    """The test's connection, handed out and kept open (Resources.connect)."""
    yield connection


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Give every request a session on one connection whose transaction is rolled back at the end.

    The app's commits become SAVEPOINT releases, its rollbacks rollbacks to the savepoint.
    """
    resources: Resources = app.extensions[RESOURCES_KEY]
    with resources.engine.connect() as connection:
        transaction = connection.begin()
        sessions = sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        # Reads outside a unit of work use that connection too, so they see the test's own rows.
        app.extensions[RESOURCES_KEY] = replace(resources, sessions=sessions, connect=lambda: shared(connection))
        try:
            yield
        finally:
            app.extensions[RESOURCES_KEY] = resources
            transaction.rollback()


@pytest.fixture
def client_for() -> "ClientFactory":
    """Build a client for other settings, e.g. production or trusted hosts."""
    return serve


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    """A client whose requests change nothing beyond the test."""
    app = create_app(settings)
    add_test_routes(app)
    with serve_app(app) as client, rolled_back(app):
        yield client


@pytest.fixture
def nested_route_template() -> str:
    return NESTED_ROUTE_TEMPLATE


@pytest.fixture
def openapi_path() -> str:
    return OPENAPI_PATH
