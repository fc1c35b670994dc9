"""A server outlives the workers it loses: SIGKILL one (what the OOM killer does) and a new one serves.

gunicorn (Flask) with one worker, killed five times in a row, and with two; uvicorn's supervisor
(FastAPI) with two. Each time a new worker process must answer /health/live within RECOVERY_S, and
/metrics must still answer. One variant per framework, on SQLite, so no server is needed.
"""

import functools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from tests.conftest import FIGURE, Bake
from tests.served_app import ServedApp, descendants, serve, serve_command, serving_workers, sqlite_app

PACKAGE = "my_service"  # the default project_slug
RECOVERY_S = 10.0
POLL_S = 0.05
BURST = 25


class Case(NamedTuple):
    framework: str
    workers: int
    kills: int  # in a row


CASES = [Case("flask", 1, 5), Case("flask", 2, 1), Case("fastapi", 2, 1)]


def live(app: ServedApp) -> bool:
    try:
        return httpx.get(f"{app.url}/health/live", timeout=1).status_code == httpx.codes.OK
    except httpx.TransportError:
        return False


def workers_that_served(app: ServedApp, run_dir: Path, workers: int) -> set[int]:
    """The worker processes that have answered a request, after one more (a burst with several workers).

    One worker: the server's only child, once it answers. Several: those whose request-duration file
    exists. The server's other children (uvicorn's multiprocessing resource tracker) never count.
    Sequential requests on fresh connections reach an idle worker only now and then, hence the burst.
    """
    answered = [live(app) for _ in range(1 if workers == 1 else BURST)]
    if workers == 1:
        return descendants(app.process.pid) if answered[0] else set()
    return serving_workers(run_dir, PACKAGE) & descendants(app.process.pid)


def a_new_worker_served(app: ServedApp, run_dir: Path, workers: int, before: set[int]) -> bool:
    return bool(workers_that_served(app, run_dir, workers) - before)


def wait_for(app: ServedApp, done: Callable[[], bool], what: str) -> float:
    """Seconds until `done()`; fails past RECOVERY_S or when the server exits."""
    started = time.perf_counter()
    while not done():
        assert app.process.poll() is None, f"the server exited: {app.log_lines(10)}"
        assert time.perf_counter() - started < RECOVERY_S, f"not {what} within {RECOVERY_S} s: {app.log_lines(10)}"
        time.sleep(POLL_S)
    return time.perf_counter() - started


@pytest.mark.parametrize("case", CASES, ids=[f"{case.framework}-{case.workers}-workers" for case in CASES])
def test_a_killed_worker_is_replaced_by_one_that_serves(
    bake: Bake, tmp_path: Path, case: Case, record_property: Callable[[str, object], None]
) -> None:
    workers = case.workers
    project = bake(framework=case.framework, database="sqlite", use_redis=False, use_celery=False, use_auth=False)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = sqlite_app(project, PACKAGE, run_dir)
    command = functools.partial(serve_command, PACKAGE, workers=workers)
    recoveries = []
    with serve(command, cwd=run_dir, env=env, log_path=run_dir / "app.log") as app:
        wait_for(app, lambda: len(workers_that_served(app, run_dir, workers)) == workers, "every worker served")
        for _ in range(case.kills):
            before = workers_that_served(app, run_dir, workers)
            victim = min(before)  # a process we started: the server's own child
            os.kill(victim, signal.SIGKILL)
            replaced = functools.partial(a_new_worker_served, app, run_dir, workers, before)
            recoveries.append(wait_for(app, replaced, "a new worker served"))
            assert victim not in descendants(app.process.pid)
            assert httpx.get(f"{app.url}/metrics", timeout=5).status_code == httpx.codes.OK
        log = "\n".join(app.log_lines(200))
    assert "Traceback" not in log, log
    record_property(f"{FIGURE}seconds to a new worker's 200", ", ".join(f"{seconds:.2f}" for seconds in recoveries))
