"""HTTP metrics in request hooks: every request timed by method, route template and status.

The route template is the matched URL rule, blueprint prefix included (`/api/v1/users/<int:user_id>`),
never the raw path; a request that matches no rule is counted under one label, so random paths
cannot grow the series.
"""

import time

from flask import Flask, request

from {{ cookiecutter.project_slug }}.core.metrics import UNMATCHED_ROUTE, method_label
from {{ cookiecutter.project_slug }}.web.deps import current_resources
from {{ cookiecutter.project_slug }}.web.state import request_state


def register_metrics(app: Flask) -> None:
    """Register before every other hook: a hook that refuses the request stops the ones after it."""

    @app.before_request
    def count_active() -> None:
        current_resources().metrics.http.started(method_label(request.method))

    # Teardown hooks run in reverse order: this one last, after the access log.
    @app.teardown_request
    def record_duration(_: BaseException | None) -> None:
        state = request_state()
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        current_resources().metrics.http.finished(
            method_label(request.method), route, state.status, time.perf_counter() - state.started
        )
