"""Domain errors. Core code raises these; the web layer renders each as problem+json."""

from typing import Any, ClassVar


class AppError(Exception):
    """A failure the caller can act on, with a stable machine-readable code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"
    # Most errors undo what the request wrote. One that keeps it (a detected attack that must stay
    # recorded) is answered after the unit of work has committed.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.title
        self.details = details or {}
        # Response headers that belong with the error, such as Retry-After.
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = "Bad Request"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class PermissionDenied(AppError):
    status = 403
    code = "permission_denied"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class RequestTooLarge(AppError):
    status = 413
    code = "request_too_large"
    title = "Content Too Large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported Media Type"


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title = "Unprocessable Content"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    title = "Too Many Requests"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    title = "Service Unavailable"


def problem_details(
    *,
    status: int,
    title: str,
    detail: str,
    instance: str,
    request_id: str | None,
    code: str,
    **extra: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document; `extra` adds members such as `errors`."""
    return {
        "type": f"urn:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id,
        **extra,
    }
