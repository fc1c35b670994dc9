"""Every error status leaves as application/problem+json with the request id."""

import logging

import httpx
import pytest

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_path_is_404(client: httpx.Client) -> None:
    body = assert_problem(client.get("/no/such/path"), 404)
    assert body["instance"] == "/no/such/path"
    assert body["code"] == "not_found"


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/health/live")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_invalid_body_is_422_with_errors_and_no_input_echo(client: httpx.Client) -> None:
    response = client.post("/_test/echo", json={"name": "hunter2-secret", "count": "many"})
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert any(error["loc"][-1] == "count" for error in errors)
    assert "hunter2-secret" not in response.text
    assert "many" not in response.text


def test_malformed_json_is_422(client: httpx.Client) -> None:
    response = client.post("/_test/echo", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 422)


def test_domain_error_keeps_its_status_and_message(client: httpx.Client) -> None:
    body = assert_problem(client.get("/_test/conflict"), 409)
    assert body["code"] == "conflict"
    assert body["detail"] == "Already exists"


def test_unexpected_error_is_generic_500_logged_once_with_request_id(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/boom", headers={"X-Request-ID": "req-500"})
    body = assert_problem(response, 500)
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred."
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "req-500" in caplog.text
