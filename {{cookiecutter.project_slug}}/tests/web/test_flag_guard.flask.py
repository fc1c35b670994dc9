"""Routes hidden behind a feature flag, through the app: hidden until on, allow-lists, Redis down."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from flask import request
from pydantic import BaseModel
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import FlagSettings, Settings
from {{ cookiecutter.project_slug }}.web.app import close_resources, create_app
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.auth import require_roles
{%- endif %}
from {{ cookiecutter.project_slug }}.web.flags import flag_required
from {{ cookiecutter.project_slug }}.web.state import request_state
{%- if cookiecutter.use_auth %}
from tests.accounts import admin_headers
{%- endif %}

DEFAULTS = {"beta": False, "legacy": True}
FLAGS = "/api/v1/feature-flags"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"flags": FlagSettings(defaults=DEFAULTS, cache_seconds=3600)})


class Echo(BaseModel):
    count: int


class EchoPath(BaseModel):
    number: int


def user_from_header() -> None:
    """Stands in for authentication, which sets the request's user id."""
    if user := request.headers.get("x-test-user"):
        request_state().user_id = user


@contextmanager
def flagged_app(settings: Settings) -> Iterator[httpx.Client]:
    """The app with routes that exist only while "beta" is on for the caller."""
    app = create_app(settings)
    app.before_request(user_from_header)

    @app.get("/beta")
    @flag_required("beta")
    def beta() -> dict[str, str]:
        return {"hello": "beta"}

    @app.post("/beta/<number>")
    @flag_required("beta")
    def beta_echo(path: EchoPath, body: Echo) -> dict[str, int]:
        return {"total": path.number + body.count}
{%- if cookiecutter.use_auth %}

    @app.post("/beta/admin/<number>")
    @flag_required("beta")
    @require_roles(Role.ADMIN)
    def beta_admin_echo(path: EchoPath, body: Echo) -> dict[str, int]:
        return {"total": path.number + body.count}
{%- endif %}

    transport = httpx.WSGITransport(app=app, raise_app_exceptions=False)
    try:
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
{%- if cookiecutter.use_auth %}
            client.headers.update(admin_headers(client, settings))  # for the flag API
{%- endif %}
            yield client
    finally:
        close_resources(app)


def test_a_flagged_route_is_hidden_until_the_flag_is_on(settings: Settings) -> None:
    with flagged_app(settings) as client:
        hidden = client.get("/beta")
        unknown = client.get("/no-such-path")
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == "application/problem+json"
        assert {key: hidden.json()[key] for key in ("title", "code")} == {"title": "Not Found", "code": "not_found"}
        assert hidden.json()["detail"] == unknown.json()["detail"].replace("/no-such-path", "/beta")
        assert client.post("/beta/1", json={"count": "not a number"}).status_code == 404, "404 before validation"

        # Through the admin API: this process applies it at once, despite cache_seconds=3600.
        assert client.put(f"{FLAGS}/beta", json={"enabled": True}).status_code == 200
        assert client.get("/beta").json() == {"hello": "beta"}
        assert client.post("/beta/1", json={"count": 2}).json() == {"total": 3}
        assert client.post("/beta/1", json={"count": "not a number"}).status_code == 422
{%- if cookiecutter.use_auth %}
        # Guards stack: the flag, then the role, then one validation of the request.
        assert client.post("/beta/admin/1", json={"count": 2}).json() == {"total": 3}
        assert client.post("/beta/admin/1", json={"count": "x"}).status_code == 422
        assert client.post("/beta/admin/1", json={"count": 2}, headers={"Authorization": ""}).status_code == 401
{%- endif %}

        assert client.delete(f"{FLAGS}/beta").status_code == 204
        assert client.get("/beta").status_code == 404


def test_a_flagged_route_is_open_to_allow_listed_users(settings: Settings) -> None:
    with flagged_app(settings) as client:
        client.put(f"{FLAGS}/beta", json={"enabled": False, "users": ["user-1"]})
        assert client.get("/beta", headers={"x-test-user": "user-1"}).status_code == 200
        assert client.get("/beta", headers={"x-test-user": "user-2"}).status_code == 404
        assert client.get("/beta").status_code == 404


@pytest.mark.parametrize(("default", "status"), [(True, 200), (False, 404)])
def test_redis_down_a_flagged_route_follows_the_default(
    settings: Settings, unused_port: int, default: bool, status: int
) -> None:
    down = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{unused_port}/0", "flags": FlagSettings(defaults={"beta": default})}
    )
    with flagged_app(down) as client:
        assert [client.get("/beta").status_code for _ in range(5)] == [status] * 5
