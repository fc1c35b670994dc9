"""Pure ASGI middleware that reads each request's bearer token, before any route{% if cookiecutter.use_redis %} or rate limit{% endif %} runs.

Only the signature and claims are checked here (no database): the verified claims go into the
request state as `auth`, the user id as `user_id`{% if cookiecutter.use_redis %} (the rate limiter's key){% endif %} and into the log context.
A request without a token stays anonymous; an invalid token is kept as its error, which web/auth.py
raises for routes that need a caller.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.logging import bind_log_context
from {{ cookiecutter.project_slug }}.web.state import request_state


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = next((value for name, value in scope["headers"] if name == b"authorization"), None)
            if authorization is not None:
                state = request_state(scope)
                try:
                    claims = state.resources.tokens.read_bearer(authorization.decode("latin-1"))
                except InvalidToken as exc:
                    state.auth = exc
                else:
                    state.auth = claims
                    state.user_id = claims.user_id
                    bind_log_context(user_id=claims.user_id)
        await self.app(scope, receive, send)
