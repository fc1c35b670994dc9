"""Pure ASGI middleware: request context and access log, security headers, request body rules."""

import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.project_slug }}.core.client_address import TrustedProxies
from {{ cookiecutter.project_slug }}.core.errors import AppError, BadRequest, RequestTooLarge, UnsupportedMediaType
from {{ cookiecutter.project_slug }}.core.http_policy import is_json, security_headers
from {{ cookiecutter.project_slug }}.core.logging import AccessLog, get_logger, request_id_from, start_request_context
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.errors import error_response
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY, STATE_KEY, RequestState, request_state

REQUEST_ID_HEADER = "X-Request-ID"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

logger = get_logger(__name__)


def _request_id(scope: Scope) -> str | None:
    """The id RequestContextMiddleware gave this request; a websocket has none."""
    return request_state(scope).request_id if scope["type"] == "http" else None


class RequestContextMiddleware:
    """The request's state (web/state.py), log context, one access log line, and the last-resort 500.

    The client address (`client` in the log context) is resolved here once, from the peer and,
    behind trusted proxies, X-Forwarded-For (core/client_address.py).

    Starlette renders unhandled errors outside every user middleware; catching them here
    keeps the request id, security headers and access log on 500 responses too.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.access_log = AccessLog(settings.logging.slow_request_ms)
        self.debug = settings.debug
        self.trusted_proxies = TrustedProxies(settings.security.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        request_id = request_id_from(headers.get(REQUEST_ID_HEADER))
        peer = scope.get("client")
        client_ip = self.trusted_proxies.client_address(peer[0] if peer else None, headers.getlist("x-forwarded-for"))
        state = RequestState(request_id=request_id, client_ip=client_ip, resources=scope["state"][RESOURCES_KEY])
        scope["state"][STATE_KEY] = state
        start_request_context(request_id=request_id, client=client_ip)
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                response_headers = MutableHeaders(scope=message)
                response_headers.append(REQUEST_ID_HEADER, request_id)
                for name, value in state.response_headers.items():
                    if name not in response_headers:
                        response_headers.append(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as exc:
            logger.exception("unhandled error", method=scope["method"], path=scope["path"])
            if response_started:
                raise
            response = error_response(exc, instance=scope["path"], request_id=request_id, debug=self.debug)
            await response(scope, receive, send_with_request_id)
        finally:
            self.access_log.record(
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
            )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        # Encoded once; appended to every response.
        self.raw_headers = [
            (name.lower().encode(), value.encode()) for name, value in security_headers(settings).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.raw_headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrustedHostMiddleware:
    """Answer only to the configured Host names (`*.example.com` allows subdomains).

    Starlette's own version answers plain text; this one answers problem+json like every other error.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        hosts = settings.security.trusted_hosts
        self.exact = frozenset(host for host in hosts if not host.startswith("*."))
        self.suffixes = tuple(host[1:] for host in hosts if host.startswith("*."))

    def _allowed(self, host: str) -> bool:
        return host in self.exact or host.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "").rsplit(":", 1)[0]
        if self._allowed(host):
            await self.app(scope, receive, send)
            return
        refusal = BadRequest("Invalid host header.")
        await error_response(refusal, instance=scope["path"], request_id=_request_id(scope))(scope, receive, send)


class RequestBodyMiddleware:
    """Refuse bodies over the size limit (413) and bodies that are not JSON (415).

    The size is checked against Content-Length up front and counted while streaming,
    so a chunked upload cannot get past the limit either.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.max_body_bytes = settings.security.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        has_body = declared not in {None, "0"} or "transfer-encoding" in headers
        refusal: AppError | None = None
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            refusal = RequestTooLarge(f"Request bodies are limited to {self.max_body_bytes} bytes.")
        elif has_body and not is_json(headers.get("content-type", "")):
            refusal = UnsupportedMediaType("Send request bodies as application/json.")
        if refusal is not None:
            await error_response(refusal, instance=scope["path"], request_id=_request_id(scope))(scope, receive, send)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            # Past the limit: answer 413 ourselves and tell the app the client has gone.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True
                    too_large = RequestTooLarge(f"Request bodies are limited to {self.max_body_bytes} bytes.")
                    response = error_response(too_large, instance=scope["path"], request_id=_request_id(scope))
                    await response(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, send_unless_refused)
        except Exception:
            if not refused:
                raise
