"""Rate limits over HTTP against the real Redis: headers, 429s, who counts against what, outages."""

import logging
import time
from typing import Any

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import RateLimitSettings, SecuritySettings, Settings
from tests.web.rate_limits import counted_as, limit_keys
from tests.web.scrapes import scrape
from tests.web.types import ClientFactory

ITEMS = "/api/v1/items"
# Every test request comes from this peer (tests/web/conftest.py).
PEER = "127.0.0.1"
# Stands in for authentication: its value becomes the request's user id (tests/web/conftest.py).
USER_HEADER = "X-Test-User"
RATE_LIMIT_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def limited(settings: Settings, limits: str, **changes: Any) -> Settings:
    """The same Redis namespace, with `limits` as the default policy."""
    return settings.model_copy(update={"rate_limit": RateLimitSettings(default=limits, **changes)})


def behind_proxy(settings: Settings) -> Settings:
    return settings.model_copy(update={"security": SecuritySettings(trusted_proxies=[PEER])})


def statuses(client: httpx.Client, times: int, **headers: str) -> list[int]:
    return [client.get(ITEMS, headers=headers).status_code for _ in range(times)]


def test_headers_count_down(settings: Settings, client_for: ClientFactory) -> None:
    started = time.time()
    with client_for(limited(settings, "3/minute")) as client:
        responses = [client.get(ITEMS) for _ in range(3)]
    for response, remaining in zip(responses, ["2", "1", "0"], strict=True):
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == response.headers["X-RateLimit-Remaining"] == remaining
        # The first request leaves the one-minute window a minute after it was counted.
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
        assert started + 59 <= int(response.headers["X-RateLimit-Reset"]) <= time.time() + 61


def test_over_the_limit_is_429_with_retry_after(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "2/minute")) as client:
        assert statuses(client, 2) == [200, 200]
        refused = client.get(ITEMS)
        decisions = scrape(client)
    for decision, count in {"allowed": 2, "refused": 1}.items():
        labels = frozenset({("policy", "default"), ("decision", decision)})
        assert decisions[("rate_limit_decisions_total", labels)] == count
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert body["status"] == 429
    assert body["instance"] == ITEMS
    assert body["request_id"] == refused.headers["X-Request-ID"]
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert retry_after == max(1, int(refused.headers["RateLimit-Reset"]))
    assert refused.headers["RateLimit-Limit"] == "2"
    assert refused.headers["RateLimit-Remaining"] == refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time() + retry_after - 1


def test_headers_reach_created_empty_and_error_responses(client: httpx.Client) -> None:
    created = client.post(ITEMS, json={"name": "Counted"})
    deleted = client.delete(f"{ITEMS}/{created.json()['id']}")
    missing = client.get(f"{ITEMS}/{created.json()['id']}")
    invalid = client.post(ITEMS, json={})
    assert [created.status_code, deleted.status_code, missing.status_code, invalid.status_code] == [201, 204, 404, 422]
    assert [response.headers["RateLimit-Limit"] for response in (created, deleted, missing, invalid)] == ["100"] * 4
    remaining = [response.headers["RateLimit-Remaining"] for response in (created, deleted, missing, invalid)]
    assert remaining == ["99", "98", "97", "96"]


def test_clients_behind_a_trusted_proxy_are_counted_apart(settings: Settings, client_for: ClientFactory) -> None:
    trusted = behind_proxy(limited(settings, "2/minute"))
    with client_for(trusted) as client:
        first = statuses(client, 3, **{"X-Forwarded-For": "203.0.113.1"})
        second = statuses(client, 2, **{"X-Forwarded-For": "203.0.113.2"})
        # A client cannot slip out of its count by naming another address before its own.
        spoofed = statuses(client, 1, **{"X-Forwarded-For": "203.0.113.3, 203.0.113.1"})
    assert first == [200, 200, 429]
    assert second == [200, 200]
    assert spoofed == [429]
    assert counted_as(settings, "default:ip:203.0.113.1")
    assert counted_as(settings, "default:ip:203.0.113.2")
    assert not counted_as(settings, "default:ip:203.0.113.3")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "2/minute")) as client:
        codes = [client.get(ITEMS, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert counted_as(settings, f"default:ip:{PEER}")
    assert not counted_as(settings, "default:ip:203.0.113.0")


def test_ipv6_clients_are_counted_by_their_64_bit_network(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(behind_proxy(limited(settings, "2/minute"))) as client:
        same_network = [
            client.get(ITEMS, headers={"X-Forwarded-For": f"2001:db8:0:1::{n}"}).status_code for n in range(3)
        ]
        other_network = statuses(client, 1, **{"X-Forwarded-For": "2001:db8:0:2::1"})
    assert same_network == [200, 200, 429]
    assert other_network == [200]
    assert counted_as(settings, "default:ip:2001:db8:0:1::/64")


def test_an_authenticated_user_is_counted_apart_from_the_address(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "2/minute")) as client:
        alice = statuses(client, 3, **{USER_HEADER: "alice"})
        bob = statuses(client, 2, **{USER_HEADER: "bob"})
        anonymous = statuses(client, 2)
    assert alice == [200, 200, 429]
    assert bob == [200, 200]
    assert anonymous == [200, 200]
    assert counted_as(settings, "default:user:alice")
    assert counted_as(settings, f"default:ip:{PEER}")


def test_the_tightest_of_several_limits_is_reported_and_each_is_enforced(
    settings: Settings, client_for: ClientFactory
) -> None:
    with client_for(limited(settings, "10/minute;2/hour")) as client:
        responses = [client.get(ITEMS) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 429]
    assert [response.headers["RateLimit-Limit"] for response in responses] == ["2", "2", "2"]
    assert [response.headers["RateLimit-Remaining"] for response in responses] == ["1", "0", "0"]
    # The hour's limit refused the third request, though the minute's had room left.
    assert int(responses[2].headers["Retry-After"]) > 3000


def test_health_probes_are_never_limited(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "1/minute")) as client:
        probes = [client.get(path) for path in ["/health/live", "/health/ready"] * 3]
        first_counted = client.get(ITEMS)
    assert [probe.status_code for probe in probes] == [200] * 6
    assert not any(name in probe.headers for probe in probes for name in RATE_LIMIT_HEADERS)
    assert first_counted.status_code == 200


def test_disabled_limits_count_nothing(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "1/minute", enabled=False)) as client:
        responses = [client.get(ITEMS) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert not any(name in response.headers for response in responses for name in RATE_LIMIT_HEADERS)
    assert limit_keys(settings) == []


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Our pipeline hands each record's event dict to the standard library as its message."""
    return [
        str(record.msg["event"]) if isinstance(record.msg, dict) else record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]


def test_redis_down_fails_open_by_default(
    settings: Settings, client_for: ClientFactory, unused_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    down = limited(settings, "1/minute").model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    with client_for(down) as client:
        responses = [client.get(ITEMS) for _ in range(6)]
    assert [response.status_code for response in responses] == [200] * 6
    assert not any(name in response.headers for response in responses for name in RATE_LIMIT_HEADERS)
    # The breaker logs the outage once; requests log nothing of it.
    assert warnings_logged(caplog) == ["circuit opened"]


def test_redis_down_fails_closed_when_configured(
    settings: Settings, client_for: ClientFactory, unused_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    down = limited(settings, "100/minute", fail_open=False).model_copy(
        update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"}
    )
    with client_for(down) as client:
        responses = [client.get(ITEMS) for _ in range(6)]
        live = client.get("/health/live")
    for response in responses:
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "service_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
    assert live.status_code == 200
    assert warnings_logged(caplog) == ["circuit opened"]
