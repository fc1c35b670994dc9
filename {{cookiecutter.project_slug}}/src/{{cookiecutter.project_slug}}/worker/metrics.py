"""The worker's metrics: each task's start, outcome, run time and time in the queue; the queues' length.

The pool's processes write their samples to files in PROMETHEUS_MULTIPROC_DIR, which `worker` sets
before anything imports prometheus_client (core/metrics.py says why). The main process serves the
sum on CELERY__METRICS_PORT, with the length of each queue read from the broker at every scrape.
"""

import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from celery import Celery, Task, bootsteps
from celery.worker import WorkController

from {{ cookiecutter.project_slug }}.core.metrics import MULTIPROCESS_DIRECTORY
from {{ cookiecutter.project_slug }}.core.task_queue import SENT_AT_HEADER

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

    from {{ cookiecutter.project_slug }}.worker.app import TaskApp

logger = logging.getLogger(__name__)

# From the canary's milliseconds to CELERY__TIME_LIMIT's minutes.
RUNTIME_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
QUEUE_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
# How a task's run ended (task_postrun's state), as the counter that counts it.
OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}


class TaskMetrics:
    """What one process's tasks did. Every registered task's series start at 0."""

    def __init__(self, task_names: Iterable[str]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram  # noqa: PLC0415 - see the module's docstring

        self.registry = CollectorRegistry()
        self.started = Counter("celery_task_started", "Tasks a worker began to run.", ["task"], registry=self.registry)
        self.outcomes = {
            outcome: Counter(
                f"celery_task_{outcome}", f"Tasks whose run ended {outcome}.", ["task"], registry=self.registry
            )
            for outcome in OUTCOMES.values()
        }
        self.runtime = Histogram(
            "celery_task_runtime_seconds",
            "How long tasks ran, whatever the outcome.",
            ["task"],
            buckets=RUNTIME_BUCKETS,
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "celery_task_queue_wait_seconds",
            "How long tasks waited between being sent (or their countdown ending) and starting.",
            ["task"],
            buckets=QUEUE_WAIT_BUCKETS,
            registry=self.registry,
        )
        for name in task_names:
            self.started.labels(name)
            for counter in self.outcomes.values():
                counter.labels(name)
        self._running: dict[str, float] = {}

    def task_started(self, task_id: str, task: Task[Any, Any], **_: Any) -> None:
        """The task_prerun signal."""
        self.started.labels(task.name).inc()
        self._running[task_id] = time.perf_counter()
        if (waited := queue_wait(task.request)) is not None:
            self.queue_wait.labels(task.name).observe(waited)

    def task_ended(self, task_id: str, task: Task[Any, Any], state: str | None = None, **_: Any) -> None:
        """The task_postrun signal."""
        if (started := self._running.pop(task_id, None)) is not None:
            self.runtime.labels(task.name).observe(time.perf_counter() - started)
        if (outcome := OUTCOMES.get(state or "")) is not None:
            self.outcomes[outcome].labels(task.name).inc()


def queue_wait(request: Any) -> float | None:
    """Seconds since the task was sent, or since its countdown ended; None without a send time.

    Across hosts this is as good as their clocks agree.
    """
    sent_at = getattr(request, SENT_AT_HEADER, None)
    if not isinstance(sent_at, int | float):
        return None
    ready_at = float(sent_at)
    if request.eta:
        ready_at = max(ready_at, datetime.fromisoformat(request.eta).timestamp())
    return max(time.time() - ready_at, 0.0)


class QueueLengths:
    """A collector: how many messages wait in each queue the worker consumes, read at each scrape."""

    def __init__(self, app: Celery, queues: list[str], socket_timeout: float) -> None:
        self._app = app
        self._queues = queues
        # The worker's own broker connection waits on reads forever (app.py) and reconnects until the
        # broker is back; a scrape must do neither.
        self._transport_options = {"socket_timeout": socket_timeout, "max_retries": 0}

    def collect(self) -> Iterator["Metric"]:
        from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415 - see the module's docstring

        family = GaugeMetricFamily("celery_queue_length", "Messages waiting in the queue.", labels=["queue"])
        try:
            with self._app.connection_for_read(transport_options=self._transport_options) as connection:
                # Any: the stubs of kombu's channels leave out queue_declare, which every transport has.
                channel: Any = connection.default_channel
                for queue in self._queues:
                    # Not passive: Redis drops the key of an empty queue, and a passive declare of it fails.
                    _, waiting, _ = channel.queue_declare(queue=queue)
                    family.add_metric([queue], waiting)
        except Exception:  # a broker that is down leaves the series out, not the whole scrape
            logger.warning("could not read the queue lengths from the broker", exc_info=True)
            return
        yield family


class MetricsServer(bootsteps.StartStopStep):
    """Serves the worker's metrics over HTTP from the main process, if METRICS__ENABLED and a port is set."""

    def __init__(self, worker: WorkController, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.app = cast("TaskApp", worker.app)
        self.server: WSGIServer | None = None

    def start(self, worker: WorkController) -> None:
        settings = self.app.settings
        if not settings.metrics.enabled or not settings.celery.metrics_port:
            return
        from prometheus_client import start_http_server  # noqa: PLC0415 - see the module's docstring

        queues = list(worker.app.amqp.queues) or [worker.app.conf.task_default_queue]
        registry = scrape_registry(self.app)
        registry.register(QueueLengths(worker.app, queues, settings.redis.socket_timeout))
        self.server, _ = start_http_server(settings.celery.metrics_port, settings.celery.metrics_host, registry)

    def stop(self, worker: WorkController) -> None:  # noqa: ARG002 - bootstep signature
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def scrape_registry(app: "TaskApp") -> "CollectorRegistry":
    """What a scrape reads: every pool process's samples, or this process's when it runs the tasks itself."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415 - see the module's docstring
    from prometheus_client.multiprocess import MultiProcessCollector  # noqa: PLC0415

    registry = CollectorRegistry()
    if MULTIPROCESS_DIRECTORY in os.environ:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
    else:
        registry.register(app.task_metrics.registry)
    return registry
