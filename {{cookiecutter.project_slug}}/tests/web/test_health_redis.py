"""Redis is checked for readiness but optional: without it the service is degraded, not down."""

import httpx

from {{ cookiecutter.project_slug }}.settings import Settings
from tests.web.types import ClientFactory


def test_ready_checks_redis(client: httpx.Client) -> None:
    body = client.get("/health/ready").json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["redis"]["server_version"]


def test_redis_down_degrades_but_stays_ready(settings: Settings, client_for: ClientFactory, unused_port: int) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    with client_for(down) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["required"] is False
    assert body["checks"]["database"]["ok"] is True
