"""Rate limits as route dependencies; the counting lives in core/rate_limit.py.

A request counts against its user when `request.state.user_id` is set by the time the limit is
checked (authentication does that in middleware, or in a dependency listed before the limit),
otherwise against its client address (`request.state.client_ip`, see web/middleware.py).
"""

import time

from fastapi import Request, params

from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Policy, RateLimitState, limit_key, tightest
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep
from {{ cookiecutter.project_slug }}.web.middleware import RESPONSE_HEADERS

# In the request state: the tightest limit checked so far, whose headers the response carries.
STATE_KEY = "rate_limit"


def rate_limit(policy: Policy) -> params.Depends:
    """A dependency that counts the request against `policy`, for a router or a single route.

    `include_router(router, dependencies=[rate_limit("default")])` or
    `@router.post("/login", dependencies=[rate_limit("auth")])`.
    """

    async def check_rate_limit(request: Request, resources: ResourcesDep) -> None:
        key = limit_key(user_id=getattr(request.state, "user_id", None), client_ip=request.state.client_ip)
        state = await resources.redis.limiter.hit(policy, key)
        if state is not None:
            _remember(request, state)

    return params.Depends(check_rate_limit)


def _remember(request: Request, state: RateLimitState) -> None:
    """Keep the tightest of the request's limits; the middleware adds its headers to any response."""
    earlier: RateLimitState | None = getattr(request.state, STATE_KEY, None)
    if earlier is not None:
        state = tightest([earlier, state])
    setattr(request.state, STATE_KEY, state)
    getattr(request.state, RESPONSE_HEADERS).update(state.headers(time.time()))
