"""Request id, security headers, body rules, trusted hosts and CORS, through the whole stack."""

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import CorsSettings, Environment, SecuritySettings, Settings
from tests.web.types import ClientFactory


def test_request_id_is_generated_and_echoed(client: httpx.Client) -> None:
    first = client.get("/health/live").headers["X-Request-ID"]
    second = client.get("/health/live").headers["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_valid_incoming_request_id_is_kept(client: httpx.Client) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "abc-123.def"})
    assert response.headers["X-Request-ID"] == "abc-123.def"


def test_invalid_incoming_request_id_is_replaced(client: httpx.Client) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 200})
    assert response.headers["X-Request-ID"] != "bad id"
    assert len(response.headers["X-Request-ID"]) == 32


def test_security_headers_on_success_and_error(client: httpx.Client) -> None:
    for response in (client.get("/health/live"), client.get("/missing"), client.get("/_test/boom")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "X-Request-ID" in response.headers
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_in_deployed_environments(settings: Settings, client_for: ClientFactory) -> None:
    production = settings.model_copy(update={"environment": Environment.PRODUCTION})
    with client_for(production) as client:
        response = client.get("/health/live")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_body_over_limit_is_413(settings: Settings, client_for: ClientFactory) -> None:
    small = settings.model_copy(update={"security": SecuritySettings(max_body_bytes=64)})
    with client_for(small) as client:
        response = client.post("/_test/echo", json={"name": "x" * 100, "count": 1})
        accepted = client.post("/_test/echo", json={"name": "ok", "count": 1})
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert accepted.status_code == 200


def test_streamed_body_over_limit_is_413(settings: Settings, client_for: ClientFactory) -> None:
    small = settings.model_copy(update={"security": SecuritySettings(max_body_bytes=64)})

    def chunks() -> list[bytes]:
        return [b'{"name": "', b"x" * 100, b'", "count": 1}']

    with client_for(small) as client:
        response = client.post("/_test/echo", content=iter(chunks()), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_non_json_body_is_415(client: httpx.Client) -> None:
    response = client.post("/_test/echo", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_untrusted_host_is_refused(settings: Settings, client_for: ClientFactory) -> None:
    strict = settings.model_copy(update={"security": SecuritySettings(trusted_hosts=["api.example.com"])})
    with client_for(strict) as client:
        refused = client.get("/health/live", headers={"Host": "evil.example.net"})
        allowed = client.get("/health/live", headers={"Host": "api.example.com"})
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert allowed.status_code == 200


def test_cors_preflight_allows_configured_origin_only(settings: Settings, client_for: ClientFactory) -> None:
    cors = settings.model_copy(
        update={"cors_origins": ["https://app.example.com"], "cors": CorsSettings(allow_credentials=True)}
    )
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type"}
    with client_for(cors) as client:
        allowed = client.options("/_test/echo", headers={"Origin": "https://app.example.com", **preflight})
        refused = client.options("/_test/echo", headers={"Origin": "https://evil.example.net", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert refused.headers.get("Access-Control-Allow-Origin") is None
{%- if cookiecutter.use_auth %}


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/api/v1/users/1"){% if cookiecutter.use_redis %}, ("PUT", "/api/v1/feature-flags/beta"){% endif %}])
def test_cors_preflight_to_a_route_for_signed_in_callers_needs_no_token(
    settings: Settings, client_for: ClientFactory, method: str, path: str
) -> None:
    """Browsers send preflights without the Authorization header: refusing them would block the real call."""
    cors = settings.model_copy(update={"cors_origins": ["https://app.example.com"]})
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "Authorization, Content-Type",
    }
    with client_for(cors) as client:
        response = client.options(path, headers=preflight)
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
{%- endif %}


def test_no_cors_headers_without_configured_origins(client: httpx.Client) -> None:
    response = client.get("/health/live", headers={"Origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_access_log_names_the_client_behind_trusted_proxies_only(
    settings: Settings, client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    # Test requests come from 127.0.0.1 (tests/web/conftest.py).
    trusted = settings.model_copy(update={"security": SecuritySettings(trusted_proxies=["127.0.0.0/8"])})
    with client_for(trusted) as client:
        client.get("/health/live", headers=forwarded)
    with client_for(settings) as client:
        client.get("/health/live", headers=forwarded)
    # Our pipeline hands each record's event dict to the standard library as its message.
    access = [record.msg for record in caplog.records if record.name == "access" and isinstance(record.msg, dict)]
    clients = [line["client"] for line in access]
    assert clients == ["203.0.113.9", "127.0.0.1"]
