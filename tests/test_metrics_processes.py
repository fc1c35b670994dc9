"""Metrics with several server processes: one scrape adds up what every worker counted.

A baked project's `serve` runs two workers (gunicorn for Flask, uvicorn's for FastAPI). Requests
on fresh connections spread over both; every scrape, whichever worker answers it, reports them all,
and still does after a worker is killed. One variant per framework, on SQLite, so no server is needed.
"""

import functools
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIGURE, Bake
from tests.served_app import descendants, serve, serve_command, serving_workers, sqlite_app
from tests.variants import Answers, variant_id

VARIANTS = [
    {"framework": framework, "database": "sqlite", "use_redis": False, "use_celery": False, "use_auth": False}
    for framework in ("fastapi", "flask")
]
PACKAGE = "my_service"  # the default project_slug
WORKERS = 2
MAX_REQUESTS = 2000  # to reach both workers; a few dozen do
SETTLE_SECONDS = 5.0
LIVE_COUNT = re.compile(
    r'^http_server_request_duration_seconds_count\{(?=[^}]*http_route="/health/live")[^}]*\} (\S+)$', re.MULTILINE
)


def counted(url: str) -> float:
    """The /health/live requests a scrape reports, on a connection of its own."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return sum(float(value) for value in LIVE_COUNT.findall(response.text))


def settled(url: str, expected: float | None = None) -> float:
    """The count once the last answered request is in it: a worker records a request just after its
    response is sent, so a scrape right then can miss it. Reads until `expected` shows or, without
    one, until two reads 0.1 s apart agree.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    last = counted(url)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = counted(url)
        if now == expected or (expected is None and now == last):
            return now
        last = now
    return last


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_one_scrape_adds_up_every_worker(
    bake: Bake, answers: Answers, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    project = bake(**answers)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = sqlite_app(project, PACKAGE, run_dir)
    command = functools.partial(serve_command, PACKAGE, workers=WORKERS)
    with serve(command, cwd=run_dir, env=env, log_path=run_dir / "app.log") as app:
        sent = settled(app.url)  # serve's own liveness polls
        while len(serving_workers(run_dir, PACKAGE)) < WORKERS:
            assert sent < MAX_REQUESTS, f"one worker took all {sent} requests: {serving_workers(run_dir, PACKAGE)}"
            assert httpx.get(f"{app.url}/health/live", timeout=10).status_code == 200
            sent += 1
        record_property(f"{FIGURE}requests until both workers served", int(sent))
        assert settled(app.url, sent) == sent
        assert [counted(app.url) for _ in range(6)] == [sent] * 6

        # A killed worker's counts stay: they happened.
        worker = min(serving_workers(run_dir, PACKAGE))
        assert worker in descendants(app.process.pid), worker  # only a process we started is signalled
        os.kill(worker, signal.SIGKILL)
        assert [counted(app.url) for _ in range(3)] == [sent] * 3
