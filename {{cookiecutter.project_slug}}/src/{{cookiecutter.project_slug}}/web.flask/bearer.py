"""A `before_request` hook that reads each request's bearer token, before any view{% if cookiecutter.use_redis %} or rate limit{% endif %} runs.

Only the signature and claims are checked here (no database). The request state keeps the
verified claims (`auth`) and the user id (`user_id`{% if cookiecutter.use_redis %}, the rate limiter's key{% endif %}), which the log context
gets too. A request without a token stays anonymous; an invalid token is kept as its error,
which web/auth.py raises for views that need a caller.
"""

from flask import Flask, request

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.logging import bind_log_context
from {{ cookiecutter.project_slug }}.web.deps import current_resources
from {{ cookiecutter.project_slug }}.web.state import request_state


def register_authentication(app: Flask) -> None:
    """Register before any hook that needs to know the caller."""

    @app.before_request
    def authenticate() -> None:
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return
        state = request_state()
        try:
            claims = current_resources().tokens.read_bearer(authorization)
        except InvalidToken as exc:
            state.auth = exc
        else:
            state.auth = claims
            state.user_id = claims.user_id
            bind_log_context(user_id=claims.user_id)
