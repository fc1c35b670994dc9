"""Liveness touches nothing; readiness checks the real database and reports a dead one."""
{%- if cookiecutter.database == "sqlite" %}

from pathlib import Path
{%- else %}

import time
{%- endif %}

import httpx

from {{ cookiecutter.project_slug }}.core.schema import migration_status
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.conftest import DatabaseFactory
from tests.web.types import ClientFactory


def test_live_is_ok(client: httpx.Client) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database(client: httpx.Client, settings: Settings) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    database = response.json()["checks"]["database"]
    assert database["ok"] is True
    assert database["server_version"]
    assert database["latency_ms"] >= 0
    assert database["migrations"] == "current"
    assert database["revision"] == migration_status(())["head"]
    assert database["pool_size"] == settings.database.pool_size


def test_ready_is_503_while_migrations_are_pending(
    settings: Settings, client_for: ClientFactory, empty_database: DatabaseFactory
) -> None:
    unmigrated = settings.model_copy(update={"database_url": empty_database()})
    with client_for(unmigrated) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["error"] == "migrations are pending; run `{{ cookiecutter.project_slug }} db upgrade`"
    assert (database["migrations"], database["revision"]) == ("pending", None)


def test_pending_migrations_are_only_reported_when_not_required(
    settings: Settings, client_for: ClientFactory, empty_database: DatabaseFactory
) -> None:
    lenient = settings.model_copy(
        update={
            "database_url": empty_database(),
            "database": settings.database.model_copy(update={"check_migrations": False}),
        }
    )
    with client_for(lenient) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["migrations"] == "pending"
{%- if cookiecutter.database != "sqlite" %}


def test_ready_is_503_quickly_when_the_database_is_down(
    settings: Settings, client_for: ClientFactory, unused_port: int
) -> None:
    scheme = settings.database_url.split("://", 1)[0]
    down = settings.model_copy(update={"database_url": f"{scheme}://app:app@127.0.0.1:{unused_port}/app"})
    with client_for(down) as client:
        started = time.perf_counter()
        response = client.get("/health/ready")
        elapsed = time.perf_counter() - started
        live = client.get("/health/live")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"]
    # Refused connections fail at once; the check timeout bounds everything else.
    assert elapsed < settings.database.connect_timeout + 1
    assert live.status_code == 200
{%- else %}


def test_ready_is_503_when_the_database_cannot_be_opened(
    settings: Settings, client_for: ClientFactory, tmp_path: Path
) -> None:
    down = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/missing-dir/app.db"})
    with client_for(down) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False
{%- endif %}
