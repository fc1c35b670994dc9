"""Prometheus metrics of one process: the HTTP server's instruments, and what a scrape returns.

Names, labels and buckets follow OpenTelemetry's HTTP semantic conventions in Prometheus's
spelling: `http.server.request.duration` in seconds is `http_server_request_duration_seconds`,
`http.route` is `http_route`. Each app builds its own registry, so nothing is registered at import.

With several server processes, each writes its samples to files in PROMETHEUS_MULTIPROC_DIR and
a scrape, whichever process answers it, adds them all up (`multiprocess_directory`).
prometheus_client reads that variable once, when first imported; so it is imported here only when
the first registry is built, after `serve` has set the variable and started its workers.
"""

import hmac
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar{% if cookiecutter.use_redis %}, get_args{% endif %}

from pydantic import SecretStr
from sqlalchemy import Pool, event

from {{ cookiecutter.project_slug }}.core.db import pool_status
from {{ cookiecutter.project_slug }}.core.errors import Unauthorized
from {{ cookiecutter.project_slug }}.core.health_report import HealthReport
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Decision, Policy
{%- endif %}

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics import MetricWrapperBase

# RFC 9110's methods and PATCH; any other is counted as _OTHER, so odd methods cannot add series.
KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
OTHER_METHOD = "_OTHER"
# The route of a request that matched none: every unknown path shares one series.
UNMATCHED_ROUTE = "_unmatched"
# OpenTelemetry's advised boundaries for http.server.request.duration.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# Readiness checks take milliseconds, or their timeout of a few seconds.
CHECK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# A checkout takes microseconds from an idle connection, milliseconds to connect, and up to
# DATABASE__POOL_TIMEOUT when every connection is in use.
POOL_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
{%- if cookiecutter.use_redis %}
# Cache.stats counts in the plural; a label reads better in the singular.
CACHE_OUTCOMES = {"hits": "hit", "stale_hits": "stale_hit", "misses": "miss", "errors": "error"}
{%- endif %}
{%- if cookiecutter.use_auth %}
LOGIN_OUTCOMES = ("success", "failure")
REFRESH_OUTCOMES = ("success", "refused", "reused")
{%- endif %}
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"

K = TypeVar("K")
M = TypeVar("M", bound="MetricWrapperBase")


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


class HttpMetrics:
    """The server side of HTTP: request durations by method, route template and status; requests in flight."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        from prometheus_client import Gauge, Histogram  # noqa: PLC0415 - see the module's docstring

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
            # Summed over the processes alive: a dead worker's requests are no longer in flight.
            multiprocess_mode="livesum",
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


class DependencyMetrics:
    """How the dependencies are: each readiness check's last verdict and duration, and the circuits in front of them."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        from prometheus_client import {% if cookiecutter.use_redis %}Counter, {% endif %}Gauge, Histogram  # noqa: PLC0415 - see the module's docstring

        self.check_up = Gauge(
            "readiness_check_up",
            "1 when the readiness check last passed, 0 when it failed.",
            ["check"],
            registry=registry,
            # Whichever worker ran the check last tells how it went.
            multiprocess_mode="livemostrecent",
        )
        self.check_duration = Histogram(
            "readiness_check_duration_seconds",
            "Duration of readiness checks, timeouts included.",
            ["check"],
            buckets=CHECK_BUCKETS,
            registry=registry,
        )
{%- if cookiecutter.use_redis %}
        self.circuit_open = Gauge(
            "circuit_breaker_open",
            "1 while the circuit breaker in front of a dependency is open (calls refused but for trials).",
            ["dependency"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.circuit_transitions = Counter(
            "circuit_breaker_transitions",
            "Circuit breaker openings and closings.",
            ["dependency", "state"],
            registry=registry,
        )
{%- endif %}

    def readiness(self, report: HealthReport) -> None:
        for check in report.checks:
            self.check_up.labels(check.name).set(1 if check.ok else 0)
            self.check_duration.labels(check.name).observe(check.latency_ms / 1000)

{%- if cookiecutter.use_redis %}

    def circuit_created(self, dependency: str) -> None:
        """A breaker guards `dependency`: its series start at 0, so a dashboard shows them before any change."""
        self.circuit_open.labels(dependency).set(0)
        for state in ("open", "closed"):
            self.circuit_transitions.labels(dependency, state)

    def circuit_changed(self, dependency: str, opened: bool) -> None:
        """CircuitBreaker's `on_change`."""
        self.circuit_open.labels(dependency).set(1 if opened else 0)
        self.circuit_transitions.labels(dependency, "open" if opened else "closed").inc()
{%- endif %}


class DatabaseMetrics:
    """The connection pool, in OpenTelemetry's names: connections used and idle, the most it may open, waits."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        from prometheus_client import Gauge, Histogram  # noqa: PLC0415 - see the module's docstring

        self.connections = Gauge(
            "db_client_connection_count",
            "Connections of the pool by state: used (checked out) or idle.",
            ["state"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.overflow = Gauge(
            "db_client_connection_overflow",
            "Connections open beyond the pool's size (up to DATABASE__MAX_OVERFLOW).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.maximum = Gauge(
            "db_client_connection_max",
            "The most connections the pool may open: DATABASE__POOL_SIZE + DATABASE__MAX_OVERFLOW.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.wait_time = Histogram(
            "db_client_connection_wait_time_seconds",
            "Time a checkout waited for a connection: an idle one, a new one, or one handed back.",
            buckets=POOL_WAIT_BUCKETS,
            registry=registry,
        )

    def watch(self, pool: Pool, maximum: int) -> None:
        """Follow `pool`: its counts are read again at each checkout and checkin."""
        self.maximum.set(maximum)
        used, idle = self.connections.labels("used"), self.connections.labels("idle")

        def update(returning: int) -> None:
            status = pool_status(pool)
            if status:  # a QueuePool; other pools have nothing to count
                used.set(status["checked_out"] - returning)
                idle.set(status["idle"] + returning)
                self.overflow.set(status["overflow"])

        # SQLAlchemy fires "checkin" before the connection is back in the pool: count it as back.
        event.listen(pool, "checkout", lambda *_: update(returning=0))
        event.listen(pool, "checkin", lambda *_: update(returning=1))

    def waited(self, seconds: float) -> None:
        """The engine's `on_pool_wait`."""
        self.wait_time.observe(seconds)
{%- if cookiecutter.use_redis or cookiecutter.use_auth %}


class FeatureMetrics:
    """What the features do. Known label values start at 0, so a dashboard shows them before the first event."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        from prometheus_client import Counter  # noqa: PLC0415 - see the module's docstring
{%- if cookiecutter.use_redis %}

        self.cache = Counter(
            "cache_operations",
            "Cache reads by outcome (hit, stale_hit, miss), and failed Redis calls (error).",
            ["outcome"],
            registry=registry,
        )
        for outcome in CACHE_OUTCOMES.values():
            self.cache.labels(outcome)
        self.rate_limit = Counter(
            "rate_limit_decisions",
            "Requests counted by the rate limiter: allowed, refused (429), or unavailable (Redis down).",
            ["policy", "decision"],
            registry=registry,
        )
        for policy in get_args(Policy):
            for decision in get_args(Decision):
                self.rate_limit.labels(policy, decision)
{%- endif %}
{%- if cookiecutter.use_auth %}

        self.logins = Counter("auth_logins", "Logins by outcome: success or failure.", ["outcome"], registry=registry)
        self.refreshes = Counter(
            "auth_refreshes",
            "Token refreshes by outcome: success, refused, or reused (a spent token: the session is revoked).",
            ["outcome"],
            registry=registry,
        )
        for outcome in LOGIN_OUTCOMES:
            self.logins.labels(outcome)
        for outcome in REFRESH_OUTCOMES:
            self.refreshes.labels(outcome)
{%- endif %}
{%- if cookiecutter.use_celery %}

        self.tasks_sent = Counter(
            "celery_task_sent", "Tasks handed to the broker, by task name.", ["task"], registry=registry
        )
{%- endif %}
{%- if cookiecutter.use_auth %}

    def auth_outcome(self, action: str, outcome: str) -> None:
        """AuthService's `on_outcome` (typed by str: core's own modules do not import its domains)."""
        (self.logins if action == "login" else self.refreshes).labels(outcome).inc()
{%- endif %}
{%- if cookiecutter.use_redis %}

    def cache_outcome(self, outcome: str) -> None:
        """Cache's `on_outcome`."""
        self.cache.labels(CACHE_OUTCOMES[outcome]).inc()

    def rate_limit_decision(self, policy: Policy, decision: Decision) -> None:
        """RateLimiter's `on_decision`."""
        self.rate_limit.labels(policy, decision).inc()
{%- endif %}
{%- if cookiecutter.use_celery %}

    def task_sent(self, name: str) -> None:
        """TaskQueue's `on_sent`."""
        self.tasks_sent.labels(name).inc()
{%- endif %}
{%- endif %}


class Metrics:
    """The process's registry and instruments; `render` is what GET /metrics answers."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry  # noqa: PLC0415 - see the module's docstring

        self.registry = CollectorRegistry()
        self.http = HttpMetrics(self.registry)
        self.dependencies = DependencyMetrics(self.registry)
        self.database = DatabaseMetrics(self.registry)
{%- if cookiecutter.use_redis or cookiecutter.use_auth %}
        self.features = FeatureMetrics(self.registry)
{%- endif %}

    def close(self) -> None:
        """This process is ending: in multiprocess mode, its gauges stop counting."""
        mark_process_dead(os.getpid())

    def render(self) -> tuple[bytes, str]:
        """The exposition and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest  # noqa: PLC0415
        from prometheus_client.multiprocess import MultiProcessCollector  # noqa: PLC0415

        if MULTIPROCESS_DIRECTORY not in os.environ:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        # Every process's samples, read from their files at each scrape.
        everyone = CollectorRegistry()
        MultiProcessCollector(everyone)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
        return generate_latest(everyone), CONTENT_TYPE_LATEST


@contextmanager
def multiprocess_directory(processes: int, package: str) -> Iterator[None]:
    """Around a server and its workers (or a Celery worker and its pool): where they all write their samples.

    One set in PROMETHEUS_MULTIPROC_DIR (by a deployment) is emptied first, or a scrape would add
    an earlier run's counts to this one's. Without one, several processes get a temporary
    directory, removed when the server stops; a single process needs none.
    """
    if configured := os.environ.get(MULTIPROCESS_DIRECTORY):
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield
    elif processes <= 1:
        yield
    else:
        with tempfile.TemporaryDirectory(prefix=f"{package}-metrics-") as temporary:
            os.environ[MULTIPROCESS_DIRECTORY] = temporary
            try:
                yield
            finally:
                del os.environ[MULTIPROCESS_DIRECTORY]


def mark_process_dead(pid: int) -> None:
    """A worker has exited (even killed): its live gauges no longer count; its counters still do.

    Without a multiprocess directory (a single worker) there is nothing to mark.
    """
    if not (directory := os.environ.get(MULTIPROCESS_DIRECTORY)):
        return
    from prometheus_client import multiprocess  # noqa: PLC0415 - see the module's docstring

    multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]  # untyped in prometheus_client


def check_scrape_token(expected: SecretStr | None, authorization: str | None) -> None:
    """Unauthorized unless `Authorization: Bearer <METRICS__TOKEN>` is sent, when a token is set."""
    if expected is None:
        return
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise Unauthorized("Send the metrics token as a bearer token.")
