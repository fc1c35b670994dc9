"""What the middleware and the dependencies share about one request, in one typed object.

RequestContextMiddleware creates it for each HTTP request and keeps it under one key of the ASGI
scope's state, beside what the lifespan put there; everything else reads it through `request_state`.
"""

from dataclasses import dataclass, field

from starlette.types import Scope
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.rate_limit_policy import RateLimitState
{%- endif %}
from {{ cookiecutter.project_slug }}.resources import Resources

# Keys of the scope's state: the lifespan yields the resources, the middleware adds the request's state.
RESOURCES_KEY = "resources"
STATE_KEY = "request_state"


@dataclass(slots=True, kw_only=True)
class RequestState:
    request_id: str
    # The caller's address: the peer's or, behind trusted proxies, X-Forwarded-For's (web/middleware.py).
    client_ip: str
    resources: Resources
    # Added to the response whatever the route returns; a header the response sets itself wins.
    response_headers: dict[str, str] = field(default_factory=dict)
{%- if cookiecutter.use_auth %}
    # Set by web/bearer.py from a valid token; None for an anonymous caller.
{%- else %}
    # Set by whatever authenticates the request; None for an anonymous caller.
{%- endif %}
    user_id: str | int | None = None
{%- if cookiecutter.use_auth %}
    # The bearer token's verified claims, or the InvalidToken it raised; None without a token.
    auth: TokenClaims | InvalidToken | None = None
{%- endif %}
{%- if cookiecutter.use_redis %}
    # The tightest rate limit checked so far, whose headers the response carries.
    rate_limit: RateLimitState | None = None
{%- endif %}


def request_state(scope: Scope) -> RequestState:
    """The state of the HTTP request `scope` belongs to (`request.scope` in a dependency)."""
    state: RequestState = scope["state"][STATE_KEY]
    return state
