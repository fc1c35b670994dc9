"""Rate limits for blueprints and single views; the counting lives in core/rate_limit.py.

A request counts against its user when `g.user_id` is set by the time the limit is checked
(authentication does that in a `before_request` hook registered before the limits), otherwise
against its client address (`g.client_ip`, see web/middleware.py).
"""

import functools
import time
from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

from flask import Flask, Response, after_this_request, g, request

from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Policy, RateLimitState, limit_key, tightest
from {{ cookiecutter.project_slug }}.web.deps import current_resources

P = ParamSpec("P")
R = TypeVar("R")

# In `g`: the tightest limit checked so far, whose headers the response carries.
STATE_KEY = "rate_limit"


def register_rate_limits(app: Flask, policies: Mapping[str, Policy]) -> None:
    """Count each request to a blueprint named in `policies` against that blueprint's policy.

    One app-level hook keyed by `request.blueprint`: blueprints are module-level objects, shared
    by every app built in the process, so hooks cannot be added to them per app.
    """

    @app.before_request
    def check_blueprint_rate_limit() -> None:
        # The request's blueprint first, then the blueprints it is nested in.
        for name in request.blueprints:
            if (policy := policies.get(name)) is not None:
                check_rate_limit(policy)
                return


def rate_limited(policy: Policy) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count each call of the view against `policy`; put it below the route decorator.

    `@router.post("/login")` then `@rate_limited("auth")`.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def limited_view(*args: P.args, **kwargs: P.kwargs) -> R:
            check_rate_limit(policy)
            return view(*args, **kwargs)

        return limited_view

    return decorate


def check_rate_limit(policy: Policy) -> None:
    """Count the current request against `policy`; raises RateLimited when it is used up."""
    key = limit_key(user_id=g.get("user_id"), client_ip=g.client_ip)
    state = current_resources().redis.limiter.hit(policy, key)
    if state is None:
        return
    earlier: RateLimitState | None = g.get(STATE_KEY)
    if earlier is None:
        after_this_request(_add_headers)
    else:
        state = tightest([earlier, state])
    setattr(g, STATE_KEY, state)


def _add_headers(response: Response) -> Response:
    """Runs for every response, error responses included; a header the response sets itself wins."""
    state: RateLimitState = g.get(STATE_KEY)
    for name, value in state.headers(time.time()).items():
        response.headers.setdefault(name, value)
    return response
