"""Every error leaves as RFC 9457 application/problem+json, rendered here and nowhere else."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from {{ cookiecutter.project_slug }}.core.errors import AppError, problem_details
from {{ cookiecutter.project_slug }}.web.state import request_state

PROBLEM_JSON = "application/problem+json"


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    instance: str,
    request_id: str | None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_details(
        status=status,
        title=title or HTTPStatus(status).phrase,
        detail=detail,
        instance=instance,
        request_id=request_id,
        code=code,
        **extra,
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def error_response(exc: Exception, *, instance: str, request_id: str | None, debug: bool = False) -> JSONResponse:
    """A domain error as itself; anything else as a generic 500 (with the cause only in debug)."""
    if isinstance(exc, AppError):
        return problem_response(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.message,
            instance=instance,
            request_id=request_id,
            headers=exc.headers,
            **({"details": exc.details} if exc.details else {}),
        )
    detail = f"{type(exc).__name__}: {exc}" if debug else "An unexpected error occurred."
    return problem_response(status=500, code="internal_error", detail=detail, instance=instance, request_id=request_id)


def _request_id(request: Request) -> str:
    return request_state(request.scope).request_id


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc, instance=request.url.path, request_id=_request_id(request))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    status = HTTPStatus(exc.status_code)
    detail = exc.detail if exc.detail != status.phrase else f"{status.phrase}: {request.method} {request.url.path}"
    return problem_response(
        status=exc.status_code,
        code=status.name.lower(),
        detail=detail,
        instance=request.url.path,
        request_id=_request_id(request),
        headers=exc.headers,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    # Location, message and type only: echoing the input could leak a password.
    errors = [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
    return problem_response(
        status=422,
        code="validation_failed",
        detail="The request is not valid.",
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
