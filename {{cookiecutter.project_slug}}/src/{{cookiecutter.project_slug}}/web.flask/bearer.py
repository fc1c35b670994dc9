"""A `before_request` hook that reads each request's bearer token, before any view or rate limit runs.

Only the signature and claims are checked here (no database): the verified claims go into
`g.auth`, the user id into `g.user_id` (the rate limiter's key) and into the log context. A
request without a token stays anonymous; an invalid token is kept as its error, which web/auth.py
raises for views that need a caller.
"""

from flask import Flask, g, request

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.logging import bind_log_context
from {{ cookiecutter.project_slug }}.web.deps import current_resources

# In `g`: the token's TokenClaims, or the InvalidToken it raised.
AUTH_KEY = "auth"


def register_authentication(app: Flask) -> None:
    """Register before the rate limits, so that signed-in requests count against their user."""

    @app.before_request
    def authenticate() -> None:
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return
        try:
            claims = current_resources().tokens.read_bearer(authorization)
        except InvalidToken as exc:
            setattr(g, AUTH_KEY, exc)
        else:
            setattr(g, AUTH_KEY, claims)
            g.user_id = claims.user_id
            bind_log_context(user_id=claims.user_id)
