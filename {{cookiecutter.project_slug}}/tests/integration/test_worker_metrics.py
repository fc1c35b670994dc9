"""The worker's own metrics endpoint, scraped over HTTP while a real worker runs real tasks."""

import logging
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from kombu import Queue

from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import TaskApp, create_celery
from {{ cookiecutter.project_slug }}.worker.metrics import QueueLengths
from tests.ports import free_port
from tests.web.scrapes import Samples, scrape
from tests.worker_fixtures import RESULT_TIMEOUT, running_worker, with_celery


@pytest.fixture
def metrics_worker(settings: Settings, tmp_path: Path) -> Iterator[tuple[TaskApp, httpx.Client]]:
    """A worker serving its metrics on a port of its own, and a client for that port."""
    port = free_port()
    with (
        running_worker(with_celery(settings, tmp_path, metrics_port=port)) as app,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client,
    ):
        yield app, client


def run(app: TaskApp, task_name: str, **kwargs: object) -> None:
    app.send_task(task_name, kwargs=kwargs).get(timeout=RESULT_TIMEOUT, propagate=False)


def by_task(samples: Samples, name: str, task: str) -> float:
    return samples[name, frozenset({("task", task)})]


def settled(
    client: httpx.Client, expected: Mapping[tuple[str, str], float], timeout: float = 5
) -> dict[tuple[str, str], float]:
    """The (metric, task) values of the first scrape that equals expected, or of the last before timeout.

    Celery stores a task's result before its task_postrun signal counts the outcome, so the caller
    can see the result a moment before the worker's counters do.
    """
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(client)
        seen = {key: by_task(samples, *key) for key in expected}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_the_worker_counts_each_run_and_its_outcome(metrics_worker: tuple[TaskApp, httpx.Client]) -> None:
    app, client = metrics_worker
    key = f"{app.settings.redis.key_prefix}:attempts:{secrets.token_hex(4)}"
    before = scrape(client)
    # Every registered task's series are there, at 0, before it first runs.
    assert by_task(before, "celery_task_started_total", "tests.flaky") == 0
    assert by_task(before, "celery_task_failed_total", "tests.broken") == 0

    run(app, "tests.flaky", key=key, failures=1)
    run(app, "tests.broken", key=f"{key}:broken")
    expected = {
        # The flaky task ran twice: a retry, then a success.
        ("celery_task_started_total", "tests.flaky"): 2,
        ("celery_task_retried_total", "tests.flaky"): 1,
        ("celery_task_succeeded_total", "tests.flaky"): 1,
        ("celery_task_failed_total", "tests.flaky"): 0,
        ("celery_task_runtime_seconds_count", "tests.flaky"): 2,
        # The retry was stamped when it was sent again, so both runs measured their wait.
        ("celery_task_queue_wait_seconds_count", "tests.flaky"): 2,
        ("celery_task_failed_total", "tests.broken"): 1,
        ("celery_task_succeeded_total", "tests.broken"): 0,
    }
    assert settled(client, expected) == expected
    after = scrape(client)
    # Both are done, so nothing waits in the queue.
    assert after["celery_queue_length", frozenset({("queue", app.conf.task_default_queue)})] == 0


def test_the_queue_length_counts_what_no_worker_took(task_settings: Settings) -> None:
    app = create_celery(task_settings)
    queue = f"unconsumed-{secrets.token_hex(4)}"
    for _ in range(3):
        app.send_task("tests.broken", kwargs={"key": "unused"}, queue=queue)
    try:
        (family,) = QueueLengths(app, [queue], socket_timeout=1).collect()
        assert [(sample.labels, sample.value) for sample in family.samples] == [({"queue": queue}, 3)]
    finally:
        with app.connection_for_write() as connection:
            Queue(queue).bind(connection).delete()
        app.runtime.close()


def test_a_broker_that_is_down_yields_no_queue_lengths_and_a_warning(
    task_settings: Settings, unused_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_celery(task_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"}))
    try:
        with caplog.at_level(logging.WARNING):
            assert list(QueueLengths(app, ["celery"], socket_timeout=1).collect()) == []
    finally:
        app.runtime.close()
    assert "could not read the queue lengths from the broker" in caplog.text
