"""Redis stops mid-test under the app: every endpoint keeps answering, and all recovers without a restart.

The app reaches the real test server through tests/redis_proxy.py. Cutting the relay is, for the
app, a stopped server (refused connections, reset sockets); unlike a real restart, the data the
server holds survives, so stale cache entries would show.
"""

import time

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import FlagSettings, Settings
{%- if cookiecutter.use_auth %}
from tests.accounts import as_admin
{%- endif %}
from tests.redis_proxy import RedisProxy
from tests.web.scrapes import scrape

ITEMS = "/api/v1/items"
FLAGS = "/api/v1/feature-flags"
LIMIT_HEADER = "RateLimit-Limit"
BREAKER_RESET_SECONDS = 0.2
RECOVERY_SECONDS = 5.0


@pytest.fixture
def settings(settings: Settings, redis_relay: RedisProxy) -> Settings:
    redis = settings.redis.model_copy(update={"breaker_reset_seconds": BREAKER_RESET_SECONDS})
    return settings.model_copy(
        update={"redis_url": redis_relay.url, "redis": redis, "flags": FlagSettings(defaults={"beta": False})}
    )
{%- if cookiecutter.use_auth %}


@pytest.fixture
def client(client: httpx.Client) -> httpx.Client:
    """Signed in as an admin, for the flag API; the token outlives the outage too."""
    return as_admin(client)
{%- endif %}


def until_recovered(client: httpx.Client, path: str) -> httpx.Response:
    """Read `path` until the limiter answers again, which means the circuit has closed."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while LIMIT_HEADER not in (response := client.get(path)).headers:
        assert time.monotonic() < deadline, f"Redis features not back after {RECOVERY_SECONDS} s"
        time.sleep(BREAKER_RESET_SECONDS / 4)
    return response


def test_endpoints_keep_answering_while_redis_is_down_and_recover(
    client: httpx.Client, redis_relay: RedisProxy
) -> None:
    created = client.post(ITEMS, json={"name": "Widget", "quantity": 1})
    assert created.status_code == 201, created.text
    path = created.headers["location"]
    assert client.get(path).headers[LIMIT_HEADER] == "100"  # read, and now cached
    assert client.put(f"{FLAGS}/beta", json={"enabled": True}).json()["enabled"] is True

    redis_relay.cut()
    for _ in range(5):
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Widget"  # from the database, the cache bypassed
        assert LIMIT_HEADER not in response.headers  # the limiter fails open
    renamed = client.patch(path, json={"name": "Gadget"})
    assert renamed.status_code == 200, renamed.text
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["redis"]["ok"] is False
    overrides = client.get(FLAGS)
    assert overrides.status_code == 503  # overrides cannot be shown, so no defaults pass as overrides
    assert overrides.headers["content-type"] == "application/problem+json"
    down = scrape(client)
    assert down[("circuit_breaker_open", frozenset({("dependency", "redis")}))] == 1
    assert down[("readiness_check_up", frozenset({("check", "redis")}))] == 0
    unavailable = frozenset({("policy", "default"), ("decision", "unavailable")})
    assert down[("rate_limit_decisions_total", unavailable)] >= 5  # the five reads above

    redis_relay.restore()
    recovered = until_recovered(client, path)
    assert recovered.json()["name"] == "Gadget", "the entry cached before the rename was served"
    assert client.get(f"{FLAGS}/beta").json()["enabled"] is True  # the override outlived the outage
    ready = client.get("/health/ready").json()
    assert ready["status"] == "ok"
    assert ready["checks"]["redis"]["circuit"] == "closed"
    back = scrape(client)
    assert back[("circuit_breaker_open", frozenset({("dependency", "redis")}))] == 0
    for state in ("open", "closed"):
        assert back[("circuit_breaker_transitions_total", frozenset({("dependency", "redis"), ("state", state)}))] == 1


def test_a_frozen_redis_costs_at_most_one_timeout_per_breaker_period(
    settings: Settings, client: httpx.Client, redis_relay: RedisProxy
) -> None:
    created = client.post(ITEMS, json={"name": "Frozen"})
    path = created.headers["location"]
    redis_relay.freeze()
    try:
        answered = [client.get(path) for _ in range(settings.redis.breaker_failures + 5)]
        assert all(response.status_code == 200 for response in answered)
        # Each request gave Redis one chance (cache read, limiter) until the circuit opened.
        assert redis_relay.stalled_requests <= 2 * settings.redis.breaker_failures
    finally:
        redis_relay.thaw()
    assert until_recovered(client, path).json()["name"] == "Frozen"
