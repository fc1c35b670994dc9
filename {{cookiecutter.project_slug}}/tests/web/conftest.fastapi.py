"""The FastAPI app under test, served in-process through its lifespan."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import {% if cookiecutter.use_auth %}AsyncConnection, {% endif %}AsyncEngine, async_sessionmaker
from starlette.datastructures import Headers
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
from tests.web.types import ClientFactory

if TYPE_CHECKING:
    from {{ cookiecutter.project_slug }}.resources import Resources

OPENAPI_PATH = "/openapi.json"
# The peer every test request comes from: an address, as a real server sees (Starlette's default is "testclient").
PEER = ("127.0.0.1", 50000)


class Echo(BaseModel):
    name: str
    count: int


def add_test_routes(app: FastAPI) -> None:
    """Routes that exist only in tests, to drive bodies and failures through the real stack."""

    @app.post("/_test/echo")
    async def echo(body: Echo) -> Echo:
        return body

    @app.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")  # the text must not leak

    @app.get("/_test/conflict")
    async def conflict() -> None:
        raise Conflict("Already exists")

    @app.post("/_test/create-then-fail")
    async def create_then_fail(session: SessionDep, body: ItemCreate) -> None:
        await ItemService(session).create(body)
        raise RuntimeError("failed after writing")

    @app.post("/_test/create-at-commit")
    async def create_at_commit(session: SessionDep, body: ItemCreate) -> dict[str, str]:
        # Not flushed: the INSERT, and any conflict, happens when the unit of work commits.
        session.add(Item(**body.model_dump()))
        return {"status": "accepted"}
{%- if cookiecutter.use_auth %}

    @app.post("/_test/grant-admin")
    async def grant_admin(session: SessionDep, resources: ResourcesDep, body: UserCreate) -> UserRead:
        """Makes (or promotes) an admin in the request's transaction, as `create-admin` does."""
        user, _ = await UserService(session, resources.passwords).make_admin(body)
        return UserRead.model_validate(user)

    @app.get("/_test/whoami")
    async def whoami(user: OptionalUser) -> dict[str, str | None]:
        return {"email": user.email if user else None}
{%- endif %}


class UserHeaderMiddleware:
    """Stands in for authentication: an X-Test-User header becomes `request.state.user_id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (user := Headers(scope=scope).get("X-Test-User")):
            scope.setdefault("state", {})["user_id"] = user
        await self.app(scope, receive, send)


@contextmanager
def serve(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    add_test_routes(app)
    app.add_middleware(UserHeaderMiddleware)
    with TestClient(app, raise_server_exceptions=False, client=PEER) as client:
        yield client


@pytest.fixture
def client_for() -> ClientFactory:
    """Build a client for other settings, e.g. production or trusted hosts."""
    return serve


{%- if cookiecutter.use_auth %}


@asynccontextmanager
async def shared(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    """The test's connection, handed out and kept open (Resources.connect)."""
    yield connection
{%- endif %}


@asynccontextmanager
async def rolled_back(app_state: dict[str, Any], engine: AsyncEngine) -> AsyncIterator[None]:
    """Give every request a session on one connection whose transaction is rolled back at the end.

    The app's commits become SAVEPOINT releases, its rollbacks rollbacks to the savepoint.
    """
    resources: Resources = app_state["resources"]
    async with engine.connect() as connection:
        transaction = await connection.begin()
        sessions = async_sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
{%- if cookiecutter.use_auth %}
        # Each request reads its caller on that connection too, so it sees the test's own users.
        app_state["resources"] = replace(resources, sessions=sessions, connect=lambda: shared(connection))
{%- else %}
        app_state["resources"] = replace(resources, sessions=sessions)
{%- endif %}
        try:
            yield
        finally:
            app_state["resources"] = resources
            await transaction.rollback()


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    """A client whose requests change nothing beyond the test."""
    with serve(settings) as client:
        assert isinstance(client, TestClient)
        resources: Resources = client.app_state["resources"]
        assert client.portal is not None  # set while the client is open
        with client.portal.wrap_async_context_manager(rolled_back(client.app_state, resources.engine)):
            yield client


@pytest.fixture
def openapi_path() -> str:
    return OPENAPI_PATH
