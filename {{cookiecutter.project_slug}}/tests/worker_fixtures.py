"""Real Celery workers for tests, as a pytest plugin: on the test Redis broker and the test database."""

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from {{ cookiecutter.project_slug }}.resources import run_with_resources
from {{ cookiecutter.project_slug }}.settings import CelerySettings, Settings
from {{ cookiecutter.project_slug }}.worker.app import TaskApp, create_celery
from tests.worker_tasks import delete_items  # also registers the test tasks

# Retries at most a second apart, so that a test sees them all.
QUICK_RETRIES = {"max_retries": 2, "retry_backoff_max": 1}
# Seconds a test waits for a task's result.
RESULT_TIMEOUT = 30

NameFactory = Callable[[], str]
ROOT = Path(__file__).parents[1]
# For worker processes: an unacknowledged task is delivered again after this many seconds (not an hour).
# Its soft time limit, 2 s less, must leave a slow machine time to run the test tasks.
VISIBILITY_TIMEOUT = 5


def with_celery(settings: Settings, heartbeat_dir: Path, **celery: Any) -> Settings:
    """Celery settings for a test worker; it serves no metrics unless a test gives it a port."""
    section = CelerySettings(heartbeat_dir=heartbeat_dir, **{**QUICK_RETRIES, "metrics_port": 0, **celery})
    return settings.model_copy(update={"celery": section})


def worker_environment(settings: Settings, redis_url: str, heartbeat_dir: Path) -> dict[str, str]:
    """The environment of a worker or beat process on the test servers; no `.env` is read."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "REDIS__KEY_PREFIX": settings.redis.key_prefix,
        "CELERY__VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY__SOFT_TIME_LIMIT": str(VISIBILITY_TIMEOUT - 2),
        "CELERY__TIME_LIMIT": str(VISIBILITY_TIMEOUT - 1),
        "CELERY__RETRY_BACKOFF_MAX": "1",
        "CELERY__HEARTBEAT_DIR": str(heartbeat_dir),
        "CELERY__METRICS_PORT": "0",
    }


def heartbeat(env: dict[str, str], process: str) -> subprocess.CompletedProcess[str]:
    """`{{ cookiecutter.project_slug }} heartbeat PROCESS`, the liveness probe, as an orchestrator runs it."""
    command = [sys.executable, "-m", "{{ cookiecutter.project_slug }}", "heartbeat", process]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603


@contextmanager
def running_worker(settings: Settings) -> Iterator[TaskApp]:
    """A worker in a thread of this process (Celery's own test worker), one task at a time."""
    app = create_celery(settings)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        app.runtime.close()


@pytest.fixture
def task_settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_celery(settings, tmp_path)


@pytest.fixture
def worker(task_settings: Settings) -> Iterator[TaskApp]:
    with running_worker(task_settings) as app:
        yield app


@pytest.fixture
def new_name(settings: Settings) -> Iterator[NameFactory]:
    """Unique item names. Workers commit, so the items made with them are deleted after the test."""
    prefix = f"task-{secrets.token_hex(4)}"
    count = iter(range(1_000_000))
    yield lambda: f"{prefix}-{next(count)}"
    run_with_resources(settings, partial(delete_items, prefix=prefix))
