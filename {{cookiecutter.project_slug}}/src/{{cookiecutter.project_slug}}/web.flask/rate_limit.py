"""Rate limits for blueprints and single views; the counting lives in core/rate_limit.py.

A request counts against its user when the request state has a `user_id` by the time the limit
is checked ({% if cookiecutter.use_auth %}web/bearer.py{% else %}whatever authenticates the request{% endif %} sets it in a `before_request` hook registered
before the limits), otherwise against its client address (`client_ip`, see web/middleware.py).
"""

import functools
import time
from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

from flask import Flask, Response, after_this_request, request

from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Policy, limit_key, tightest
from {{ cookiecutter.project_slug }}.web.deps import current_resources
from {{ cookiecutter.project_slug }}.web.state import request_state

P = ParamSpec("P")
R = TypeVar("R")


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

    `@router.post("/export")` then `@rate_limited("default")`.
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
    state = request_state()
    counted = current_resources().redis.limiter.hit(policy, limit_key(user_id=state.user_id, client_ip=state.client_ip))
    if counted is None:
        return
    if state.rate_limit is None:
        after_this_request(_add_headers)
        state.rate_limit = counted
    else:
        state.rate_limit = tightest([state.rate_limit, counted])


def _add_headers(response: Response) -> Response:
    """Runs for every response, error responses included; a header the response sets itself wins."""
    limit = request_state().rate_limit
    if limit is not None:
        for name, value in limit.headers(time.time()).items():
            response.headers.setdefault(name, value)
    return response
