"""The FastAPI app under test, served in-process through its lifespan."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate, UserRead
from {{ cookiecutter.project_slug }}.core.user.service import UserService
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.app import create_app
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.auth import OptionalUser
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep, SessionDep
{%- else %}
from {{ cookiecutter.project_slug }}.web.deps import SessionDep
{%- endif %}
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY, request_state
from tests.web.types import ClientFactory

if TYPE_CHECKING:
    from {{ cookiecutter.project_slug }}.resources import Resources

OPENAPI_PATH = "/openapi.json"
# The peer every test request comes from: an address, as a real server sees (Starlette's default is "testclient").
PEER = ("127.0.0.1", 50000)

# Routes that exist only in tests, to drive bodies and failures through the real stack.
routes_for_tests = APIRouter(prefix="/_test")
# A router inside that one: metrics must name its routes with both prefixes.
nested_routes = APIRouter(prefix="/nested")
NESTED_ROUTE_TEMPLATE = "/_test/nested/{thing_id}"


@nested_routes.get("/{thing_id}")
async def nested_thing(thing_id: str) -> dict[str, str]:
    return {"thing_id": thing_id}


class Echo(BaseModel):
    name: str
    count: int


@routes_for_tests.post("/echo")
async def echo(body: Echo) -> Echo:
    return body


@routes_for_tests.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")  # the text must not leak


@routes_for_tests.get("/conflict")
async def conflict() -> None:
    raise Conflict("Already exists")


@routes_for_tests.post("/create-then-fail")
async def create_then_fail(session: SessionDep, body: ItemCreate) -> None:
    await ItemService(session).create(body)
    raise RuntimeError("failed after writing")


@routes_for_tests.post("/create-at-commit")
async def create_at_commit(session: SessionDep, body: ItemCreate) -> dict[str, str]:
    # Not flushed: the INSERT, and any conflict, happens when the unit of work commits.
    session.add(Item(**body.model_dump()))
    return {"status": "accepted"}
{%- if cookiecutter.use_auth %}


@routes_for_tests.post("/grant-admin")
async def grant_admin(session: SessionDep, resources: ResourcesDep, body: UserCreate) -> UserRead:
    """Makes (or promotes) an admin in the request's transaction, as `create-admin` does."""
    user, _ = await UserService(session, resources.passwords).make_admin(body)
    return UserRead.model_validate(user)


@routes_for_tests.get("/whoami")
async def whoami(user: OptionalUser) -> dict[str, str | None]:
    return {"email": user.email if user else None}
{%- endif %}


routes_for_tests.include_router(nested_routes)


class UserHeaderMiddleware:
    """Stands in for authentication: an X-Test-User header becomes the request state's user_id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (user := Headers(scope=scope).get("X-Test-User")):
            request_state(scope).user_id = user
        await self.app(scope, receive, send)


@contextmanager
def serve(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    app.include_router(routes_for_tests)
    # Innermost, where authentication sits: the request state exists by then.
    app.user_middleware.append(Middleware(UserHeaderMiddleware))
    with TestClient(app, raise_server_exceptions=False, client=PEER) as client:
        yield client


@pytest.fixture
def client_for() -> ClientFactory:
    """Build a client for other settings, e.g. production or trusted hosts."""
    return serve


@asynccontextmanager
async def shared(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    """The test's connection, handed out and kept open (Resources.connect)."""
    yield connection


@asynccontextmanager
async def rolled_back(app_state: dict[str, Any], engine: AsyncEngine) -> AsyncIterator[None]:
    """Give every request a session on one connection whose transaction is rolled back at the end.

    The app's commits become SAVEPOINT releases, its rollbacks rollbacks to the savepoint.
    """
    resources: Resources = app_state[RESOURCES_KEY]
    async with engine.connect() as connection:
        transaction = await connection.begin()
        sessions = async_sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        # Reads outside a unit of work use that connection too, so they see the test's own rows.
        app_state[RESOURCES_KEY] = replace(resources, sessions=sessions, connect=lambda: shared(connection))
        try:
            yield
        finally:
            app_state[RESOURCES_KEY] = resources
            await transaction.rollback()


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    """A client whose requests change nothing beyond the test."""
    with serve(settings) as client:
        assert isinstance(client, TestClient)
        resources: Resources = client.app_state[RESOURCES_KEY]
        assert client.portal is not None  # set while the client is open
        with client.portal.wrap_async_context_manager(rolled_back(client.app_state, resources.engine)):
            yield client


@pytest.fixture
def nested_route_template() -> str:
    return NESTED_ROUTE_TEMPLATE


@pytest.fixture
def openapi_path() -> str:
    return OPENAPI_PATH
