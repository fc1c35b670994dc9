"""The FastAPI app under test, served in-process through its lifespan."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.app import create_app
from tests.web.types import ClientFactory

OPENAPI_PATH = "/openapi.json"


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


@contextmanager
def serve(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    add_test_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client_for() -> ClientFactory:
    """Build a client for other settings, e.g. production or trusted hosts."""
    return serve


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with serve(settings) as client:
        yield client


@pytest.fixture
def openapi_path() -> str:
    return OPENAPI_PATH
