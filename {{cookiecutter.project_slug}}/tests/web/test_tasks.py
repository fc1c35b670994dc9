"""Background jobs through the API, run by a real worker: 202, then the outcome at the Location."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import TaskApp
{%- if cookiecutter.use_auth %}
from tests.accounts import sign_up
{%- endif %}
from tests.redis_fixtures import REDIS_URL
from tests.redis_proxy import RedisProxy
from tests.web.problems import assert_problem
from tests.web.types import ClientFactory
from tests.worker_fixtures import RESULT_TIMEOUT, NameFactory, with_celery

IMPORTS = "/api/v1/items/imports"
BREAKER_RESET_SECONDS = 0.2
# What a request may wait for a broker that is down: Redis's connect and reply timeouts, with room.
ENQUEUE_BOUND_SECONDS = 3.0
RECOVERY_SECONDS = 15.0


@pytest.fixture
def settings(settings: Settings, redis_relay: RedisProxy) -> Settings:
    """The app and the worker reach Redis through a relay that a test can cut; polling is not rate limited."""
    redis = settings.redis.model_copy(update={"breaker_reset_seconds": BREAKER_RESET_SECONDS})
    rate_limit = settings.rate_limit.model_copy(update={"default": "100000/minute"})
    return settings.model_copy(update={"redis_url": redis_relay.url, "redis": redis, "rate_limit": rate_limit})


@pytest.fixture
def client(settings: Settings, client_for: ClientFactory) -> Iterator[httpx.Client]:
    """A client whose requests commit, unlike the shared one: a test transaction left open would
    hold SQLite's write lock against the worker, which writes through a connection of its own.
    """
    with client_for(settings) as client:
        yield client


@pytest.fixture
def task_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The worker reaches Redis directly: the outage here is the web app's.

    tests/integration/test_worker_process.py cuts a worker's.
    """
    return with_celery(settings.model_copy(update={"redis_url": REDIS_URL}), tmp_path)


@pytest.fixture
def headers(client: httpx.Client) -> dict[str, str]:
{%- if cookiecutter.use_auth %}
    """A signed-in user's: the one who starts the tasks."""
    return sign_up(client).headers
{%- else %}
    """None needed: without authentication, anyone may start a task and read it."""
    return {}
{%- endif %}


def finished(client: httpx.Client, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the task's status until the worker has run it."""
    deadline = time.monotonic() + RESULT_TIMEOUT
    while True:
        response = client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] in {"SUCCESS", "FAILURE"}:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_an_import_runs_on_the_worker_and_its_result_is_read_back(
    client: httpx.Client, headers: dict[str, str], worker: TaskApp, new_name: NameFactory
) -> None:
    names = [new_name(), new_name()]
    accepted = client.post(IMPORTS, json={"items": [{"name": name, "quantity": 5} for name in names]}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert accepted.headers["location"] == body["status_url"] == f"/api/v1/tasks/{body['id']}"

    done = finished(client, body["status_url"], headers)
    assert done["state"] == "SUCCESS", done
    assert done["name"] == "items.import"
    assert len(done["result"]["created"]) == 2
    assert done["error"] is None
{%- if cookiecutter.use_auth %}

    stranger = client.get(body["status_url"], headers=sign_up(client).headers)
    assert_problem(stranger, 404, "not_found")
    admin = client.get(body["status_url"], headers=sign_up(client, admin=True).headers)
    assert admin.status_code == 200, admin.text
    assert admin.json()["result"] == done["result"]
{%- endif %}


def test_an_invalid_import_is_refused_before_it_is_queued(client: httpx.Client, headers: dict[str, str]) -> None:
    repeated = client.post(IMPORTS, json={"items": [{"name": "twice"}, {"name": "twice"}]}, headers=headers)
    assert_problem(repeated, 422, "validation_failed")
    assert_problem(client.post(IMPORTS, json={"items": []}, headers=headers), 422, "validation_failed")
{%- if cookiecutter.use_auth %}
    assert_problem(client.post(IMPORTS, json={"items": [{"name": "a"}]}), 401, "authentication_required")
{%- endif %}


def test_an_unknown_task_is_not_found(client: httpx.Client, headers: dict[str, str]) -> None:
    unknown = client.get("/api/v1/tasks/6f0c2a52-5f37-4bd4-9d3a-b1f0f0a5b1a4", headers=headers)
    assert_problem(unknown, 404, "not_found")
    assert_problem(client.get("/api/v1/tasks/not-a-uuid", headers=headers), 422, "validation_failed")


def test_with_the_broker_down_enqueueing_answers_503_in_bounded_time_and_recovers(
    client: httpx.Client, headers: dict[str, str], worker: TaskApp, redis_relay: RedisProxy, new_name: NameFactory
) -> None:
    redis_relay.cut()
    for _ in range(5):
        started = time.monotonic()
        refused = client.post(IMPORTS, json={"items": [{"name": new_name()}]}, headers=headers)
        assert time.monotonic() - started < ENQUEUE_BOUND_SECONDS
        assert_problem(refused, 503, "task_queue_unavailable")

    redis_relay.restore()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while (accepted := client.post(IMPORTS, json={"items": [{"name": new_name()}]}, headers=headers)).is_server_error:
        assert time.monotonic() < deadline, accepted.text
        time.sleep(BREAKER_RESET_SECONDS)
    assert finished(client, accepted.json()["status_url"], headers)["state"] == "SUCCESS"
