"""The default docker-compose project, run for real: its image built from the generated Dockerfile and
its whole compose.yaml brought up on a container engine (tests/compose_stack.py), used over HTTP as
a client would, then scraped by the monitoring profile's Prometheus.
"""

import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.compose_stack import Stack
from tests.conftest import Bake
from tests.container_engine import Engine
from tests.served_app import imported_through_the_worker, sign_up

# A 15 s scrape and evaluation interval: two rounds, and Prometheus's start.
PROMETHEUS_TIMEOUT_SECONDS = 90


@pytest.fixture
def stack(container_engine: Engine, bake: Bake) -> Iterator[Stack]:
    stack = Stack(container_engine, bake(deployment="docker-compose"))
    try:
        yield stack
    finally:
        stack.remove()


def test_the_default_stack_comes_up_healthy_serves_a_client_and_is_scraped(stack: Stack) -> None:
    stack.up()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 200, f"{ready.text}\n{stack.logs()}"
        sign_up(client)
        name = f"item-{secrets.token_hex(4)}"
        created = client.post("/api/v1/items", json={"name": name, "quantity": 2})
        assert created.status_code == 201, created.text
        assert client.get(created.headers["location"]).json()["name"] == name

        # The worker writes it to the database the API reads.
        imported_through_the_worker(client, f"{name}-imported", 1, stack.logs)

        metrics = client.get("/metrics")
        assert metrics.status_code == 200, metrics.text
        assert 'http_route="/api/v1/items"' in metrics.text
        assert "celery_task_sent_total" in metrics.text

    stack.up_prometheus()
    targets, rules = prometheus_state(stack)
    assert targets == {"my_service": {"up"}, "my_service-worker": {"up"}}, stack.logs()
    # alerts.yml loaded in the container from the mounted folder, and every rule evaluates.
    assert set(rules.values()) == {"ok"}, rules


def prometheus_state(stack: Stack) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Each scrape job's target health, and each rule's, once every target and rule has been seen through."""
    deadline = time.monotonic() + PROMETHEUS_TIMEOUT_SECONDS
    with httpx.Client(base_url=stack.prometheus_url, timeout=10) as client:
        while True:
            targets: dict[str, set[str]] = {}
            for target in client.get("/api/v1/targets").json()["data"]["activeTargets"]:
                targets.setdefault(target["labels"]["job"], set()).add(target["health"])
            rules = {
                f"{group['name']}/{rule['name']}": rule["health"]
                for group in client.get("/api/v1/rules").json()["data"]["groups"]
                for rule in group["rules"]
            }
            seen_through = all("unknown" not in health for health in targets.values())
            if (seen_through and rules and "unknown" not in rules.values()) or time.monotonic() > deadline:
                return targets, rules
            time.sleep(1)
