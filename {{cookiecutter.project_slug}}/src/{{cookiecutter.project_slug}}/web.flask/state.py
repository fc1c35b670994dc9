"""What the request hooks, the error handlers and the views share about one request, in one typed object.

The first `before_request` hook (web/middleware.py) creates it and keeps it in `g` under one key;
everything else reads it through `request_state()`.
"""

import time
from dataclasses import dataclass, field

from flask import g
from sqlalchemy.orm import Session
{%- if cookiecutter.use_auth or cookiecutter.use_redis %}
{% endif %}
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.rate_limit_policy import RateLimitState
{%- endif %}
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.schemas import UserRead
{%- endif %}

# Where create_app keeps the process's resources, in `app.extensions` (see `current_resources`).
RESOURCES_KEY = "resources"
# Where the request's state is kept, in `g`.
STATE_KEY = "request_state"


@dataclass(slots=True, kw_only=True)
class RequestState:
    request_id: str
    # The caller's address: the peer's or, behind trusted proxies, X-Forwarded-For's (web/middleware.py).
    client_ip: str
    started: float = field(default_factory=time.perf_counter)
    # The response's status, once the response hooks have seen it; a request that ends without one failed.
    status: int = 500
    # The request's unit of work, opened on first use (web/deps.py) and ended by web/transactions.py.
    session: Session | None = None
    # What the request raised, as the error handlers saw it: it decides the rollback (web/transactions.py).
    error: Exception | None = None
{%- if cookiecutter.use_auth %}
    # Set by web/bearer.py from a valid token; None for an anonymous caller.
{%- else %}
    # Set by whatever authenticates the request; None for an anonymous caller.
{%- endif %}
    user_id: str | int | None = None
{%- if cookiecutter.use_auth %}
    # The bearer token's verified claims, or the InvalidToken it raised; None without a token.
    auth: TokenClaims | InvalidToken | None = None
    # The caller as stored now, once web/auth.py has read it.
    user: UserRead | None = None
{%- endif %}
{%- if cookiecutter.use_redis %}
    # The tightest rate limit checked so far, whose headers the response carries.
    rate_limit: RateLimitState | None = None
{%- endif %}


def start_request_state(*, request_id: str, client_ip: str) -> RequestState:
    """The state of a request that has just arrived; call once, from the first request hook."""
    state = RequestState(request_id=request_id, client_ip=client_ip)
    setattr(g, STATE_KEY, state)
    return state


def request_state() -> RequestState:
    """The current request's state."""
    state: RequestState = getattr(g, STATE_KEY)
    return state
