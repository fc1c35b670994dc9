"""The logging pipeline: JSON shape, request context, redaction, access lines."""

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.core.logging import (
    REDACTED,
    AccessLog,
    bind_log_context,
    configure_logging,
    get_logger,
    request_id_from,
    start_request_context,
)
from {{ cookiecutter.project_slug }}.settings import LoggingSettings, Settings


@pytest.fixture
def log_output(settings: Settings) -> Iterator[io.StringIO]:
    """Configure JSON logging and capture what the console handler writes."""
    configure_logging(settings.model_copy(update={"log_format": "json"}))
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(buffer)
    yield buffer
    start_request_context()


def read_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    buffer.seek(0)
    buffer.truncate()
    return lines


def test_json_line_shape(log_output: io.StringIO) -> None:
    get_logger("test").info("hello", answer=42)
    (line,) = read_lines(log_output)
    assert line["event"] == "hello"
    assert line["answer"] == 42
    assert line["level"] == "info"
    assert line["logger"] == "test"
    assert str(line["timestamp"]).endswith("Z")


def test_request_context_is_on_every_line_including_stdlib(log_output: io.StringIO) -> None:
    start_request_context(request_id="req-1")
    bind_log_context(user_id="u-7")
    get_logger("app").info("from structlog")
    logging.getLogger("uvicorn.error").warning("from a library")
    lines = read_lines(log_output)
    assert [line["request_id"] for line in lines] == ["req-1", "req-1"]
    assert [line["user_id"] for line in lines] == ["u-7", "u-7"]
    start_request_context(request_id="req-2")
    get_logger("app").info("next request")
    (line,) = read_lines(log_output)
    assert line["request_id"] == "req-2"
    assert "user_id" not in line


def test_secrets_are_redacted_at_any_depth(log_output: io.StringIO) -> None:
    get_logger("app").info(
        "login",
        email="a@example.com",
        password="hunter2",
        headers={"Authorization": "Bearer abc", "Accept": "json"},
        attempts=[{"refresh_token": "r-1"}],
    )
    (line,) = read_lines(log_output)
    assert line["password"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert line["attempts"] == [{"refresh_token": REDACTED}]
    assert line["email"] == "a@example.com"


def test_exceptions_are_structured(log_output: io.StringIO) -> None:
    try:
        raise ValueError("broken")  # noqa: TRY301
    except ValueError:
        get_logger("app").exception("failed")
    (line,) = read_lines(log_output)
    assert line["level"] == "error"
    assert "ValueError" in json.dumps(line["exception"])


def test_access_log_warns_on_slow_requests(log_output: io.StringIO) -> None:
    access = AccessLog(LoggingSettings(slow_request_ms=100).slow_request_ms)
    access.record(method="GET", path="/fast", status=200, duration_ms=3.21)
    access.record(method="POST", path="/slow", status=201, duration_ms=150)
    fast, slow = read_lines(log_output)
    assert (fast["level"], fast["path"], fast["status"], fast["duration_ms"]) == ("info", "/fast", 200, 3.21)
    assert (slow["level"], slow["event"], slow["method"]) == ("warning", "slow request", "POST")


def test_text_format_is_readable(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings.model_copy(update={"log_format": "text"}))
    get_logger("app").info("hello", answer=42)
    out = capsys.readouterr().out
    assert "hello" in out
    assert "answer=42" in out
    assert not out.lstrip().startswith("{")


def test_rotating_file_gets_json(settings: Settings, tmp_path: Path) -> None:
    log_file = tmp_path / "app.log"
    configure_logging(settings.model_copy(update={"logging": LoggingSettings(file=str(log_file))}))
    get_logger("app").info("to file", password="x")
    for handler in logging.getLogger().handlers:
        handler.flush()
    (line,) = [json.loads(text) for text in log_file.read_text().splitlines()]
    assert line["event"] == "to file"
    assert line["password"] == REDACTED


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        pytest.param("abc-123", True, id="simple"),
        pytest.param("0f8fad5b-d9cb-469f-a165-70867728950e", True, id="uuid"),
        pytest.param("", False, id="empty"),
        pytest.param("has space", False, id="space"),
        pytest.param("x" * 129, False, id="too-long"),
        pytest.param("inject\nnewline", False, id="newline"),
        pytest.param(None, False, id="missing"),
    ],
)
def test_request_id_from_header(header: str | None, kept: bool) -> None:
    request_id = request_id_from(header)
    assert (request_id == header) is kept
    assert 0 < len(request_id) <= 128
