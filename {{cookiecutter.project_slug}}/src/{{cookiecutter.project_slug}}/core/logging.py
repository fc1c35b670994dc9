"""One structured logging pipeline for the app, the server, SQLAlchemy and workers.

Every record goes through the same structlog processors: JSON lines or readable text,
request context from ContextVars, secrets redacted.
"""

import functools
import logging
import logging.handlers
import re
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from {{ cookiecutter.project_slug }}.settings import Environment, Settings

REDACTED = "[redacted]"
SENSITIVE_KEY_PARTS = ("password", "passwd", "token", "authorization", "secret", "cookie", "api_key")
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Third-party loggers routed through our handlers instead of their own.
FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn", "gunicorn.error", "sqlalchemy", "alembic")
# Replaced by our own access log line, which carries the request id.
SILENCED_LOGGERS = ("uvicorn.access", "gunicorn.access")


@functools.lru_cache(maxsize=1024)
def _is_sensitive(key: str) -> bool:
    # Cached: the same few keys come back on every line.
    lowered = key.lower()
    return any(part in lowered for part in SENSITIVE_KEY_PARTS)


def _redact(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | None):
        return value  # the common case, checked first: every line goes through here
    if isinstance(value, Mapping):
        return {key: REDACTED if _is_sensitive(str(key)) else _redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace the values of password-, token-, secret- and cookie-like keys, at any depth."""
    for key, value in event_dict.items():
        event_dict[key] = REDACTED if _is_sensitive(key) else _redact(value)
    return event_dict


def _build_formatter(processors: list[Processor], *, as_json: bool, colors: bool) -> logging.Formatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=colors)
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if as_json:
        # Frames without local variables: locals can hold secrets.
        final.append(structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)))
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=processors, processors=[*final, renderer])


def configure_logging(settings: Settings) -> None:
    """Route every logger through one pipeline; safe to call more than once."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Cached loggers keep the processors of their first use; tests swap them to capture logs.
        cache_logger_on_first_use=settings.environment is not Environment.TEST,
    )

    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(_build_formatter(shared, as_json=settings.log_as_json, colors=sys.stdout.isatty()))
    handlers: list[logging.Handler] = [console]
    if settings.logging.file:
        rotating = logging.handlers.RotatingFileHandler(
            settings.logging.file,
            maxBytes=settings.logging.file_max_bytes,
            backupCount=settings.logging.file_backup_count,
            encoding="utf-8",
        )
        # Files are read by machines: always JSON.
        rotating.setFormatter(_build_formatter(shared, as_json=True, colors=False))
        handlers.append(rotating)

    root = logging.getLogger()
    # Replace the handlers of an earlier call; leave others (such as pytest's) in place.
    for handler in root.handlers[:]:
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter):
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in FOREIGN_LOGGERS:
        foreign = logging.getLogger(name)
        foreign.handlers.clear()
        foreign.propagate = True
    for name in SILENCED_LOGGERS:
        silenced = logging.getLogger(name)
        silenced.handlers.clear()
        silenced.propagate = False
    # SQL statements only when asked for with DATABASE__ECHO.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO if settings.database.echo else logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a sane token, otherwise a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return secrets.token_hex(16)


def start_request_context(**values: Any) -> None:
    """Start a fresh log context for this request (or task): every line carries `values`."""
    clear_contextvars()
    bind_contextvars(**values)


def end_request_context() -> None:
    """Forget the finished request's fields; worker threads are reused."""
    clear_contextvars()


def current_log_context() -> dict[str, Any]:
    """The fields every line of the current request (or task) carries, such as `request_id`."""
    return get_contextvars()


def bind_log_context(**values: Any) -> None:
    """Add fields, such as the user id, to the current request's log context."""
    bind_contextvars(**values)


class AccessLog:
    """One line per request; a warning when it was slower than the threshold."""

    def __init__(self, slow_request_ms: float) -> None:
        self._logger = get_logger("access")
        self._slow_request_ms = slow_request_ms

    def record(self, *, method: str, path: str, status: int, duration_ms: float) -> None:
        fields = {"method": method, "path": path, "status": status, "duration_ms": round(duration_ms, 2)}
        if duration_ms >= self._slow_request_ms:
            self._logger.warning("slow request", **fields)
        else:
            self._logger.info("request", **fields)
