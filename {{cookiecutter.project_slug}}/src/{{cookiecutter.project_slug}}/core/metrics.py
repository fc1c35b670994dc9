"""Prometheus metrics of one process: the HTTP server's instruments, and what a scrape returns.

Names, labels and buckets follow OpenTelemetry's HTTP semantic conventions in Prometheus's
spelling: `http.server.request.duration` in seconds is `http_server_request_duration_seconds`,
`http.route` is `http_route`. Each app builds its own registry, so nothing is registered at import.
"""

import hmac
from typing import TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from pydantic import SecretStr

from {{ cookiecutter.project_slug }}.core.errors import Unauthorized

# RFC 9110's methods and PATCH; any other is counted as _OTHER, so odd methods cannot add series.
KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
OTHER_METHOD = "_OTHER"
# The route of a request that matched none: every unknown path shares one series.
UNMATCHED_ROUTE = "_unmatched"
# OpenTelemetry's advised boundaries for http.server.request.duration.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

K = TypeVar("K")
M = TypeVar("M", bound=MetricWrapperBase)


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


class HttpMetrics:
    """The server side of HTTP: request durations by method, route template and status; requests in flight."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            ["http_request_method", "http_route", "http_response_status_code"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.active = Gauge(
            "http_server_active_requests",
            "Number of active HTTP server requests.",
            ["http_request_method"],
            registry=registry,
        )
        # Label lookups take a lock; the children are kept here after the first request of each kind.
        self._durations: dict[tuple[str, str, int], Histogram] = {}
        self._active: dict[str, Gauge] = {}

    def started(self, method: str) -> None:
        """A request has arrived; `method` as `method_label` gives it."""
        self._child(self._active, method, self.active, method).inc()

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self._child(self._active, method, self.active, method).dec()
        key = (method, route, status)
        self._child(self._durations, key, self.duration, method, route, str(status)).observe(seconds)

    @staticmethod
    def _child(children: dict[K, M], key: K, metric: M, *labels: str) -> M:
        child = children.get(key)
        if child is None:
            child = children[key] = metric.labels(*labels)
        return child


class Metrics:
    """The process's registry and instruments; `render` is what GET /metrics answers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http = HttpMetrics(self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def check_scrape_token(expected: SecretStr | None, authorization: str | None) -> None:
    """Unauthorized unless `Authorization: Bearer <METRICS__TOKEN>` is sent, when a token is set."""
    if expected is None:
        return
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise Unauthorized("Send the metrics token as a bearer token.")
