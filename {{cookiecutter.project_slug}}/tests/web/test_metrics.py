"""GET /metrics: request durations labelled by method, route template and status, never by raw path."""

import httpx
from pydantic import SecretStr

from {{ cookiecutter.project_slug }}.settings import Settings
from tests.web.problems import assert_problem
from tests.web.scrapes import Samples, scrape
from tests.web.types import ClientFactory

DURATION = "http_server_request_duration_seconds"


def requests_counted(samples: Samples, **labels: str) -> float:
    """How many requests the duration histogram counted with exactly these labels."""
    key = frozenset({"http_request_method": "GET", "http_response_status_code": "200", **labels}.items())
    return samples.get((f"{DURATION}_count", key), 0.0)


def test_a_route_is_counted_under_its_template(client: httpx.Client) -> None:
    for _ in range(3):
        assert client.get("/health/live").status_code == 200
    samples = scrape(client)
    assert requests_counted(samples, http_route="/health/live") == 3
    # The request in flight is the scrape itself.
    assert samples[("http_server_active_requests", frozenset({("http_request_method", "GET")}))] == 1


def test_a_route_in_nested_routers_is_named_with_every_prefix(client: httpx.Client, nested_route_template: str) -> None:
    for thing in ("one", "two"):
        assert client.get(f"/_test/nested/{thing}").json() == {"thing_id": thing}
    samples = scrape(client)
    assert requests_counted(samples, http_route=nested_route_template) == 2
    assert not any("/_test/nested/one" in str(labels) for _, labels in samples)


def test_unknown_paths_and_methods_share_one_series_each(client: httpx.Client) -> None:
    for number in range(5):
        assert client.get(f"/no-such-path-{number}").status_code == 404
    assert client.request("BREW", "/health/live").status_code in {404, 405}
    samples = scrape(client)
    assert requests_counted(samples, http_route="_unmatched", http_response_status_code="404") == 5
    assert not any("no-such-path" in str(labels) for _, labels in samples)
    methods = {value for _, labels in samples for name, value in labels if name == "http_request_method"}
    assert methods <= {"GET", "_OTHER"}
    assert "_OTHER" in methods


def test_error_responses_are_counted_with_their_status(client: httpx.Client) -> None:
    assert client.get("/_test/boom").status_code == 500
    samples = scrape(client)
    assert requests_counted(samples, http_route="/_test/boom", http_response_status_code="500") == 1


def test_readiness_reports_each_check(client: httpx.Client) -> None:
    assert client.get("/health/ready").status_code == 200
    samples = scrape(client)
    assert samples[("readiness_check_up", frozenset({("check", "database")}))] == 1
    assert samples[("readiness_check_duration_seconds_count", frozenset({("check", "database")}))] == 1


def test_a_metrics_token_is_required_once_set(settings: Settings, client_for: ClientFactory) -> None:
    metrics = settings.metrics.model_copy(update={"token": SecretStr("scrape-me")})
    with client_for(settings.model_copy(update={"metrics": metrics})) as client:
        assert_problem(client.get("/metrics"), 401, "unauthorized")
        assert_problem(client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        assert f"{DURATION}_count" in str(scrape(client, Authorization="Bearer scrape-me"))


def test_the_endpoint_can_be_switched_off(settings: Settings, client_for: ClientFactory) -> None:
    metrics = settings.metrics.model_copy(update={"enabled": False})
    with client_for(settings.model_copy(update={"metrics": metrics})) as client:
        assert_problem(client.get("/metrics"), 404, "not_found")
