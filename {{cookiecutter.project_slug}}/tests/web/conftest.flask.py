"""The Flask app under test, called in-process through its WSGI interface."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from flask import Flask, g, request
from flask_openapi3.openapi import OpenAPI
from pydantic import BaseModel
{%- if cookiecutter.use_auth %}
from sqlalchemy import Connection
{%- endif %}
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
from {{ cookiecutter.project_slug }}.web.deps import RESOURCES_KEY, current_session

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from {{ cookiecutter.project_slug }}.resources import Resources
    from tests.web.types import ClientFactory

OPENAPI_PATH = "/openapi/openapi.json"


class Echo(BaseModel):
    name: str
    count: int


def add_test_routes(app: OpenAPI) -> None:
    """Routes that exist only in tests, to drive bodies and failures through the real stack."""

    def user_from_header() -> None:
        """Stands in for authentication: an X-Test-User header becomes `g.user_id`."""
        if user := request.headers.get("X-Test-User"):
            g.user_id = user

    # First, where authentication would run: before the rate limits.
    app.before_request_funcs.setdefault(None, []).insert(0, user_from_header)

    @app.post("/_test/echo")
    def echo(body: Echo) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/_test/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")  # the text must not leak

    @app.get("/_test/conflict")
    def conflict() -> None:
        raise Conflict("Already exists")

    @app.post("/_test/create-then-fail")
    def create_then_fail(body: ItemCreate) -> None:
        ItemService(current_session()).create(body)
        raise RuntimeError("failed after writing")

    @app.post("/_test/create-at-commit")
    def create_at_commit(body: ItemCreate) -> dict[str, str]:
        # Not flushed: the INSERT, and any conflict, happens when the unit of work commits.
        current_session().add(Item(**body.model_dump()))
        return {"status": "accepted"}
{%- if cookiecutter.use_auth %}

    @app.post("/_test/grant-admin")
    def grant_admin(body: UserCreate) -> dict[str, Any]:
        """Makes (or promotes) an admin in the request's transaction, as `create-admin` does."""
        user, _ = user_service().make_admin(body)
        return UserRead.model_validate(user).model_dump(mode="json")

    @app.get("/_test/whoami", security=BEARER)
    def whoami() -> dict[str, str | None]:
        user = optional_user()
        return {"email": user.email if user else None}
{%- endif %}


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
{%- if cookiecutter.use_auth %}


@contextmanager
def shared(connection: Connection) -> Iterator[Connection]:
    """The test's connection, handed out and kept open (Resources.connect)."""
    yield connection
{%- endif %}


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Give every request a session on one connection whose transaction is rolled back at the end.

    The app's commits become SAVEPOINT releases, its rollbacks rollbacks to the savepoint.
    """
    resources: Resources = app.extensions[RESOURCES_KEY]
    with resources.engine.connect() as connection:
        transaction = connection.begin()
        sessions = sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
{%- if cookiecutter.use_auth %}
        # Each request reads its caller on that connection too, so it sees the test's own users.
        app.extensions[RESOURCES_KEY] = replace(resources, sessions=sessions, connect=lambda: shared(connection))
{%- else %}
        app.extensions[RESOURCES_KEY] = replace(resources, sessions=sessions)
{%- endif %}
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
def openapi_path() -> str:
    return OPENAPI_PATH
