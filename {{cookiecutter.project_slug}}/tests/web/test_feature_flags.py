"""/api/v1/feature-flags over HTTP against the real Redis server: list, read, override, remove."""

{% if cookiecutter.use_auth -%}
from collections.abc import Iterator
from contextlib import contextmanager
{% endif -%}
from typing import Any

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import FlagSettings, Settings
{%- if cookiecutter.use_auth %}
from tests.accounts import as_admin, sign_up
{%- endif %}
from tests.web.problems import assert_problem
from tests.web.types import ClientFactory

FLAGS = "/api/v1/feature-flags"
DEFAULTS = {"beta": False, "legacy": True}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"flags": FlagSettings(defaults=DEFAULTS)})
{%- if cookiecutter.use_auth %}


@pytest.fixture
def client(client: httpx.Client) -> httpx.Client:
    """The flag API is for admins: these tests call it as one."""
    return as_admin(client)


@pytest.fixture
def client_for(client_for: ClientFactory) -> ClientFactory:
    @contextmanager
    def admin_client_for(settings: Settings) -> Iterator[httpx.Client]:
        with client_for(settings) as client:
            yield as_admin(client)

    return admin_client_for
{%- endif %}


def state(name: str, *, default: bool, override: dict[str, Any] | None, enabled: bool) -> dict[str, Any]:
    return {"name": name, "default": default, "override": override, "enabled": enabled}


def test_lists_every_declared_flag_with_its_default(client: httpx.Client) -> None:
    response = client.get(FLAGS)
    assert response.status_code == 200
    assert response.json() == {
        "flags": [
            state("beta", default=False, override=None, enabled=False),
            state("legacy", default=True, override=None, enabled=True),
        ]
    }


def test_put_overrides_a_flag_and_reads_back(client: httpx.Client) -> None:
    rule = {"enabled": False, "users": ["user-1", "42"], "percentage": 12.5}
    response = client.put(f"{FLAGS}/beta", json=rule)
    assert response.status_code == 200, response.text
    expected = state("beta", default=False, override=rule, enabled=False)
    assert response.json() == expected
    assert client.get(f"{FLAGS}/beta").json() == expected
    assert client.get(FLAGS).json()["flags"][0] == expected


def test_put_can_turn_a_flag_on_or_off_for_everyone(client: httpx.Client) -> None:
    on = client.put(f"{FLAGS}/beta", json={"enabled": True}).json()
    assert on == state("beta", default=False, override={"enabled": True, "users": [], "percentage": 0}, enabled=True)
    off = client.put(f"{FLAGS}/legacy", json={"enabled": False}).json()
    assert off["enabled"] is False


def test_delete_removes_the_override(client: httpx.Client) -> None:
    client.put(f"{FLAGS}/beta", json={"enabled": True})
    response = client.delete(f"{FLAGS}/beta")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"{FLAGS}/beta").json() == state("beta", default=False, override=None, enabled=False)
    assert client.delete(f"{FLAGS}/beta").status_code == 204, "removing no override is not an error"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_undeclared_flag_is_not_found(client: httpx.Client, method: str) -> None:
    response = client.request(method, f"{FLAGS}/gamma", json={"enabled": True} if method == "PUT" else None)
    body = assert_problem(response, 404, "not_found")
    assert "'gamma'" in body["detail"]
    assert body["details"] == {"flags": ["beta", "legacy"]}


@pytest.mark.parametrize(
    ("rule", "location"),
    [
        ({"enabled": False, "percentage": 101}, ["body", "percentage"]),
        ({"enabled": False, "users": [""]}, ["body", "users", 0]),
        ({"enabled": False, "colour": "red"}, ["body", "colour"]),
        ({"percentage": 10}, ["body", "enabled"]),
        ({"enabled": True, "percentage": 10}, ["body"]),
    ],
)
def test_an_invalid_rule_is_refused(client: httpx.Client, rule: dict[str, Any], location: list[Any]) -> None:
    body = assert_problem(client.put(f"{FLAGS}/beta", json=rule), 422, "validation_failed")
    assert [error["loc"] for error in body["errors"]] == [location]
    assert client.get(f"{FLAGS}/beta").json()["override"] is None


def test_redis_down_reads_and_writes_are_unavailable(
    settings: Settings, client_for: ClientFactory, unused_port: int
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    with client_for(down) as client:
        body = assert_problem(client.put(f"{FLAGS}/beta", json={"enabled": True}), 503, "service_unavailable")
        assert "Redis is unreachable" in body["detail"]
        assert_problem(client.delete(f"{FLAGS}/beta"), 503, "service_unavailable")
        assert_problem(client.get(FLAGS), 503, "service_unavailable")


def test_the_admin_api_is_absent_when_disabled(settings: Settings, client_for: ClientFactory) -> None:
    hidden = settings.model_copy(update={"flags": FlagSettings(defaults=DEFAULTS, admin_api=False)})
    with client_for(hidden) as client:
        assert_problem(client.get(FLAGS), 404, "not_found")
        assert_problem(client.put(f"{FLAGS}/beta", json={"enabled": True}), 404, "not_found")
{%- if cookiecutter.use_auth %}


def test_only_admins_reach_the_flag_api(client: httpx.Client) -> None:
    member = sign_up(client)
    del client.headers["Authorization"]
    assert_problem(client.get(FLAGS), 401, "authentication_required")
    assert_problem(
        client.put(f"{FLAGS}/beta", json={"enabled": True}, headers=member.headers), 403, "permission_denied"
    )
    assert_problem(client.delete(f"{FLAGS}/beta", headers=member.headers), 403, "permission_denied")
    assert client.get(f"{FLAGS}/beta", headers=member.headers).status_code == 403
{%- endif %}
