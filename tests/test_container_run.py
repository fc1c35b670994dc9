"""The default docker-compose project, run for real: its image built from the generated Dockerfile and
its whole compose.yaml brought up on a container engine (tests/compose_stack.py), then used over
HTTP as a client would.
"""

import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.compose_stack import Stack
from tests.conftest import Bake
from tests.container_engine import Engine
from tests.served_app import free_port, sign_up

TASK_TIMEOUT_SECONDS = 60


@pytest.fixture
def stack(container_engine: Engine, bake: Bake) -> Iterator[Stack]:
    stack = Stack(container_engine, bake(deployment="docker-compose"), free_port())
    try:
        yield stack
    finally:
        stack.remove()


def test_the_default_stack_comes_up_healthy_and_serves_a_client(stack: Stack) -> None:
    stack.up()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 200, f"{ready.text}\n{stack.logs()}"
        sign_up(client)
        name = f"item-{secrets.token_hex(4)}"
        created = client.post("/api/v1/items", json={"name": name, "quantity": 2})
        assert created.status_code == 201, created.text
        assert client.get(created.headers["location"]).json()["name"] == name

        imported = client.post("/api/v1/items/imports", json={"items": [{"name": f"{name}-imported", "quantity": 1}]})
        assert imported.status_code == 202, imported.text
        deadline = time.monotonic() + TASK_TIMEOUT_SECONDS
        while (task := client.get(imported.headers["location"]).json())["state"] not in {"SUCCESS", "FAILURE"}:
            assert time.monotonic() < deadline, f"{task}\n{stack.logs()}"
            time.sleep(0.2)
        assert task["state"] == "SUCCESS", task
        # The worker wrote it to the database the API reads.
        listed = client.get("/api/v1/items", params={"name": f"{name}-imported"})
        assert [item["quantity"] for item in listed.json()["items"]] == [1], listed.text

        metrics = client.get("/metrics")
        assert metrics.status_code == 200, metrics.text
        assert 'http_route="/api/v1/items"' in metrics.text
        assert "celery_task_sent_total" in metrics.text
