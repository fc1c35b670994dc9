"""Every error leaves as RFC 9457 application/problem+json, rendered here and nowhere else."""

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, get_type_hints

from flask import Flask, Response, current_app, request
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError

from {{ cookiecutter.project_slug }}.core.database_errors import as_app_error
from {{ cookiecutter.project_slug }}.core.errors import AppError, RequestTooLarge, problem_details
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.web.state import request_state

PROBLEM_JSON = "application/problem+json"
# flask-openapi3 validates the view parameters with these names; FastAPI's names for their location.
PARAMETER_LOCATIONS = {
    "header": "header",
    "cookie": "cookie",
    "path": "path",
    "query": "query",
    "form": "body",
    "body": "body",
}

logger = get_logger(__name__)


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    **extra: Any,
) -> Response:
    """A problem document for the current request."""
    body = problem_details(
        status=status,
        title=title or HTTPStatus(status).phrase,
        detail=detail,
        instance=request.path,
        request_id=request_state().request_id,
        code=code,
        **extra,
    )
    return current_app.response_class(
        current_app.json.dumps(body), status=status, headers=headers, mimetype=PROBLEM_JSON
    )


def error_response(exc: Exception, *, debug: bool = False) -> Response:
    """A domain error as itself; anything else as a generic 500 (with the cause only in debug)."""
    if isinstance(exc, AppError):
        extra: dict[str, Any] = {"details": exc.details} if exc.details else {}
        return problem_response(
            status=exc.status, code=exc.code, title=exc.title, detail=exc.message, headers=exc.headers, **extra
        )
    detail = f"{type(exc).__name__}: {exc}" if debug else "An unexpected error occurred."
    return problem_response(status=500, code="internal_error", detail=detail)


def too_large() -> RequestTooLarge:
    return RequestTooLarge(f"Request bodies are limited to {current_app.config['MAX_CONTENT_LENGTH']} bytes.")


def _location(model_name: str) -> str:
    """Which part of the request the failed model validated, named as FastAPI names it."""
    view = current_app.view_functions.get(request.endpoint or "")
    # flask-openapi3 wraps the view with functools.wraps, so the annotated function is __wrapped__.
    annotated = getattr(view, "__wrapped__", None)
    hints = get_type_hints(annotated) if annotated is not None else {}
    for parameter, location in PARAMETER_LOCATIONS.items():
        if getattr(hints.get(parameter), "__name__", None) == model_name:
            return location
    return "body"


def _json_decode_error() -> dict[str, Any] | None:
    """The error for a body that is not JSON at all (Flask reads it as missing)."""
    data = request.get_data()
    if not data:
        return None
    try:
        json.loads(data)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        return {"loc": ["body", getattr(exc, "pos", 0)], "msg": "JSON decode error", "type": "json_invalid"}
    return None


def validation_problem(exc: ValidationError) -> Response:
    """flask-openapi3's validation_error_callback: the 422 problem for an invalid request."""
    # flask-openapi3 aborts with this response, which Flask sends without calling an error handler.
    request_state().error = exc
    location = _location(exc.title)
    decode_error = _json_decode_error() if location == "body" else None
    # Location, message and type only: echoing the input could leak a password.
    errors = (
        [decode_error]
        if decode_error
        else [{"loc": [location, *error["loc"]], "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
    )
    return problem_response(status=422, code="validation_failed", detail="The request is not valid.", errors=errors)


def _on_app_error(exc: AppError) -> Response:
    request_state().error = exc
    return error_response(exc)


def _on_http_error(exc: HTTPException) -> Response:
    request_state().error = exc
    # Flask passes only exceptions with a code here; abort(response) is returned as it is.
    status = HTTPStatus(exc.code or HTTPStatus.INTERNAL_SERVER_ERROR)
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        # Werkzeug's own limit, hit while reading a body: the same problem as the up-front check.
        return error_response(too_large())
    if isinstance(exc, SecurityError):
        detail = "Invalid host header."
    elif exc.description == type(exc).description:
        # Werkzeug's stock sentence says nothing the status does not; name the request instead.
        detail = f"{status.phrase}: {request.method} {request.path}"
    else:
        detail = exc.description or status.phrase
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return problem_response(status=status.value, code=status.name.lower(), detail=detail, headers=headers)


def register_error_handlers(app: Flask, *, debug: bool) -> None:
    """Each handler records the error in the request state, for web/transactions.py to roll back."""

    def on_unexpected_error(exc: Exception) -> Response:
        request_state().error = exc
        if isinstance(exc, SQLAlchemyError) and (error := as_app_error(exc)) is not None:
            # An outage or a conflict (503/409) rather than a bug.
            return error_response(error)
        # Flask calls error handlers inside its `except` block, so the traceback is at hand.
        logger.exception("unhandled error", method=request.method, path=request.path)  # noqa: LOG004
        return error_response(exc, debug=debug)

    app.register_error_handler(AppError, _on_app_error)
    app.register_error_handler(HTTPException, _on_http_error)
    app.register_error_handler(Exception, on_unexpected_error)
