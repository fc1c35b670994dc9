"""Rate limits as route dependencies; the counting lives in core/rate_limit.py.

A request counts against its user when the request state's `user_id` is set by the time the limit
is checked, otherwise against its client address.
{%- if cookiecutter.use_auth %}
web/bearer.py sets the user id, for a request with a valid token, in middleware before any limit.
{%- else %}
Authentication, once added, would set the user id in middleware or in a dependency listed before
the limit.
{%- endif %}
"""

import time

from fastapi import Request, params

from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Policy, RateLimitState, limit_key, tightest
from {{ cookiecutter.project_slug }}.web.state import RequestState, request_state


def rate_limit(policy: Policy) -> params.Depends:
    """A dependency that counts the request against `policy`, for a router or a single route.

    `Mount(router, [rate_limit("default")])` in web/routes/__init__.py, or
    `@router.post("/login", dependencies=[rate_limit("auth")])`.
    """

    async def check_rate_limit(request: Request) -> None:
        state = request_state(request.scope)
        key = limit_key(user_id=state.user_id, client_ip=state.client_ip)
        limit = await state.resources.redis.limiter.hit(policy, key)
        if limit is not None:
            _remember(state, limit)

    return params.Depends(check_rate_limit)


def _remember(state: RequestState, limit: RateLimitState) -> None:
    """Keep the tightest of the request's limits; the middleware adds its headers to any response."""
    if state.rate_limit is not None:
        limit = tightest([state.rate_limit, limit])
    state.rate_limit = limit
    state.response_headers.update(limit.headers(time.time()))
