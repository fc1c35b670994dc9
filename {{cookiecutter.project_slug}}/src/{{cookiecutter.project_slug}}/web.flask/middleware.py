"""Request hooks: request context and access log, security headers, trusted hosts, CORS, body rules."""

import time

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import SecurityError

from {{ cookiecutter.project_slug }}.core.client_address import TrustedProxies
from {{ cookiecutter.project_slug }}.core.errors import UnsupportedMediaType
from {{ cookiecutter.project_slug }}.core.http_policy import is_json, security_headers
from {{ cookiecutter.project_slug }}.core.logging import (
    AccessLog,
    end_request_context,
    request_id_from,
    start_request_context,
)
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.errors import too_large
from {{ cookiecutter.project_slug }}.web.state import request_state, start_request_state

REQUEST_ID_HEADER = "X-Request-ID"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Browsers may cache a preflight answer this many seconds.
CORS_MAX_AGE = 600


def _werkzeug_host(pattern: str) -> str:
    """`*.example.com` as Werkzeug writes it: `.example.com` (which also accepts example.com)."""
    return pattern.removeprefix("*")


def _register_request_context(app: Flask, settings: Settings) -> None:
    """The request state, log context and one access log line per request; error responses included.

    The client address (the state's `client_ip`, `client` in the log context) is resolved here
    once, from the peer and, behind trusted proxies, X-Forwarded-For (core/client_address.py).
    """
    access_log = AccessLog(settings.logging.slow_request_ms)
    headers = security_headers(settings)
    trusted_proxies = TrustedProxies(settings.security.trusted_proxies)

    # Registered first, so it runs before every other hook and error handler.
    @app.before_request
    def start_request() -> None:
        state = start_request_state(
            request_id=request_id_from(request.headers.get(REQUEST_ID_HEADER)),
            client_ip=trusted_proxies.client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For")),
        )
        start_request_context(request_id=state.request_id, client=state.client_ip)

    # Flask runs this for error handlers' responses too.
    @app.after_request
    def add_headers(response: Response) -> Response:
        state = request_state()
        response.headers[REQUEST_ID_HEADER] = state.request_id
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        state.status = response.status_code
        return response

    @app.teardown_request
    def log_request(_: BaseException | None) -> None:
        state = request_state()
        access_log.record(
            method=request.method,
            path=request.path,
            status=state.status,
            duration_ms=(time.perf_counter() - state.started) * 1000,
        )
        # A worker thread serves request after request: leave no request id on its later lines.
        end_request_context()


def _register_body_rules(app: Flask, settings: Settings) -> None:
    """Refuse bodies over the size limit (413) and bodies that are not JSON (415).

    Content-Length is checked up front; a streamed (chunked) body is read here, up to just past
    the limit. Werkzeug reads streamed bodies only when the server has delimited them
    (wsgi.input_terminated), as gunicorn and Werkzeug's own server do.
    """
    max_body_bytes = settings.security.max_body_bytes
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes

    @app.before_request
    def check_body() -> None:
        if isinstance(request.routing_exception, SecurityError):
            # Flask raises a bad Host only when dispatching; refuse it before judging the body.
            raise request.routing_exception
        if request.method not in BODY_METHODS:
            return
        declared = request.headers.get("Content-Length")
        has_body = declared not in {None, "0"} or "Transfer-Encoding" in request.headers
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            raise too_large()
        if has_body and not is_json(request.headers.get("Content-Type", "")):
            raise UnsupportedMediaType("Send request bodies as application/json.")
        if declared is None and has_body:
            # Werkzeug stops a streamed body at the limit without saying so: read one byte past it.
            request.max_content_length = max_body_bytes + 1
            if len(request.get_data()) > max_body_bytes:
                raise too_large()


def register_middleware(app: Flask, settings: Settings) -> None:
    """Optional layers are left out entirely rather than made no-ops."""
    _register_request_context(app, settings)
    if settings.security.trusted_hosts != ["*"]:
        # Checked by Flask for every request; a bad Host is a 400 (see errors.py).
        app.config["TRUSTED_HOSTS"] = [_werkzeug_host(host) for host in settings.security.trusted_hosts]
    if settings.cors_origins:
        CORS(
            app,
            origins=settings.cors_origins,
            supports_credentials=settings.cors.allow_credentials,
            methods=settings.cors.allow_methods,
            allow_headers=settings.cors.allow_headers,
            expose_headers=[REQUEST_ID_HEADER],
            max_age=CORS_MAX_AGE,
            # "*" is sent as such only without credentials; with them, the caller's origin is echoed.
            send_wildcard=not settings.cors.allow_credentials,
            # CORS headers answer an Origin header; requests without one get none.
            always_send=False,
            # Flask already runs after_request hooks, and so CORS, on error responses.
            intercept_exceptions=False,
        )
    _register_body_rules(app, settings)
