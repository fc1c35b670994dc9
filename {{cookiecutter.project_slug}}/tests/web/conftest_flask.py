"""The Flask app under test, called in-process through its WSGI interface."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from flask_openapi3.openapi import OpenAPI
from pydantic import BaseModel

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.app import close_resources, create_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from tests.web.types import ClientFactory

OPENAPI_PATH = "/openapi/openapi.json"


class Echo(BaseModel):
    name: str
    count: int


def add_test_routes(app: OpenAPI) -> None:
    """Routes that exist only in tests, to drive bodies and failures through the real stack."""

    @app.post("/_test/echo")
    def echo(body: Echo) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/_test/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")  # the text must not leak

    @app.get("/_test/conflict")
    def conflict() -> None:
        raise Conflict("Already exists")


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
def serve(settings: Settings) -> Iterator[httpx.Client]:
    app = create_app(settings)
    add_test_routes(app)
    transport = httpx.WSGITransport(app=as_served(app), raise_app_exceptions=False)
    try:
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        close_resources(app)


@pytest.fixture
def client_for() -> "ClientFactory":
    """Build a client for other settings, e.g. production or trusted hosts."""
    return serve


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with serve(settings) as client:
        yield client


@pytest.fixture
def openapi_path() -> str:
    return OPENAPI_PATH
