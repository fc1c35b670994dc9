"""HTTP metrics in pure ASGI middleware: every request timed by method, route template and status.

The route template is the full path of the matched route, nested routers' prefixes included
(`/api/v1/users/{user_id}`), never the raw path; a request that matches no route is counted
under one label, so random paths cannot grow the series.
"""

import time

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.project_slug }}.core.metrics import UNMATCHED_ROUTE, method_label
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY


def route_templates(app: FastAPI) -> dict[int, str]:
    """Each route's full path template, by the id of the route object the router leaves in the scope."""
    templates: dict[int, str] = {}
    for context in iter_route_contexts(app.routes):
        if context.path is not None:
            # A router included twice keeps its first template.
            templates.setdefault(id(context.original_route), context.path)
    return templates


class MetricsMiddleware:
    """Outermost, so that the time includes every other layer and error responses are counted too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Built at the first request, once every router is included.
        self._templates: dict[int, str] | None = None

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED_ROUTE
        if self._templates is None:
            self._templates = route_templates(scope["app"])
        return self._templates.get(id(route), UNMATCHED_ROUTE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = scope["state"][RESOURCES_KEY].metrics.http
        method = method_label(scope["method"])
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        metrics.started(method)
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            metrics.finished(method, self._route(scope), status, time.perf_counter() - started)
