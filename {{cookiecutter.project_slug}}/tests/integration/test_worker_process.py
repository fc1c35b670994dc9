"""Worker processes as production runs them: killed mid-task, logging JSON, probed for liveness.

Each worker is `python -m tests.worker_main` (the task app and the test tasks), with a visibility
timeout of seconds instead of an hour.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis import Redis

from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import TaskApp, create_celery
from tests.redis_fixtures import REDIS_URL
from tests.worker_fixtures import RESULT_TIMEOUT, VISIBILITY_TIMEOUT, NameFactory, heartbeat, worker_environment

if TYPE_CHECKING:
    from celery.result import AsyncResult

STARTUP_SECONDS = 30
# How long the test task lingers after its commit: the window in which the worker is killed (the
# test kills it as soon as it sees the commit).
PAUSE_SECONDS = 0.5


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker in a process group of its own, so that killing it kills its pool's children too."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.worker_main"],
            env=env,
            cwd=log.parent,  # no .env there
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "ready." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STARTUP_SECONDS)


def log_lines(log: Path) -> list[dict[str, Any]]:
    """The JSON log lines (a worker's banner is plain text, printed before logging starts)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
def client(settings: Settings) -> Iterator[TaskApp]:
    """Sends tasks and reads results over the real server, as the web app does."""
    app = create_celery(settings)
    yield app
    app.close()


def test_a_worker_killed_mid_task_hands_it_over_and_its_effect_happens_once(
    settings: Settings, client: TaskApp, new_name: NameFactory, tmp_path: Path
) -> None:
    env = worker_environment(settings, REDIS_URL, tmp_path)
    attempts = f"{settings.redis.key_prefix}:attempts:{secrets.token_hex(4)}"
    request_id = f"req-{secrets.token_hex(4)}"
    items = [{"name": new_name(), "quantity": 7}]
    with Redis.from_url(REDIS_URL) as redis:
        first_log = tmp_path / "first.log"
        with worker_process(env, first_log) as first:
            result: AsyncResult[Any] = client.send_task(
                "tests.slow_import",
                kwargs={"key": attempts, "items": items, "pause": PAUSE_SECONDS},
                headers={"request_id": request_id},
            )
            deadline = time.monotonic() + RESULT_TIMEOUT
            while redis.get(attempts) is None:  # not committed yet
                assert time.monotonic() < deadline, first_log.read_text()
                time.sleep(0.01)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=STARTUP_SECONDS)
        assert result.state != "SUCCESS"  # killed before it could report

        # Past the visibility timeout, the next worker to start takes the task back.
        time.sleep(VISIBILITY_TIMEOUT + 0.5)
        second_log = tmp_path / "second.log"
        with worker_process(env, second_log):
            outcome = result.get(timeout=RESULT_TIMEOUT)
            probe = heartbeat(env, "worker")
            assert probe.returncode == 0, probe.stderr
            # Ran twice, changed things once: the second run found the item the first had committed.
            assert redis.get(attempts) == b"2"
            assert outcome["created"] == []
            assert len(outcome["updated"]) == 1

    lines = [line for line in log_lines(first_log) + log_lines(second_log) if line.get("task_id") == result.id]
    assert lines, second_log.read_text()
    assert {line["request_id"] for line in lines} == {request_id}
    assert {line["task_name"] for line in lines} == {"tests.slow_import"}
