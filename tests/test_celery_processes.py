"""Celery for real: a baked project's `serve`, `worker` and `beat` as processes on real servers.

A task is started through HTTP and its result read back through HTTP; beat's canary reaching a
worker shows in readiness; both liveness probes pass. One variant per framework.
"""

import functools
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIGURE, Bake
from tests.served_app import app_environment, background, free_port, migrate, serve, serve_command, sign_up
from tests.servers import Server
from tests.variants import Answers, variant_id

VARIANTS = [
    {"framework": "fastapi", "database": "postgresql"},
    {"framework": "flask", "database": "mysql"},
]
PACKAGE = "my_service"  # the default project_slug
TASK_SECONDS = 30.0
POLL_SECONDS = 0.05


def until(check: Callable[[], Any], what: str, logs: list[Path]) -> Any:
    """Poll `check` until it returns something true; fail naming `what`, with the processes' logs."""
    deadline = time.monotonic() + TASK_SECONDS
    while not (value := check()):
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)
            pytest.fail(f"{what} not within {TASK_SECONDS:g} s\n{tails}")
        time.sleep(POLL_SECONDS)
    return value


def heartbeat(env: dict[str, str], run_dir: Path, process: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", PACKAGE, "heartbeat", process]
    return subprocess.run(command, cwd=run_dir, env=env, capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_serve_worker_and_beat_run_tasks_end_to_end(
    bake: Bake,
    servers: dict[str, Server],
    answers: Answers,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    project = bake(**answers)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    settings = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": servers[answers["database"]].create_database(f"celery_{secrets.token_hex(4)}"),
        "REDIS_URL": servers["redis"].url,
        "REDIS__KEY_PREFIX": f"celery_processes_{secrets.token_hex(4)}",
        "CELERY__CANARY_SECONDS": "1",
        "CELERY__HEARTBEAT_DIR": str(run_dir),
        # The default port is one per host, and tests run side by side.
        "CELERY__METRICS_PORT": str(metrics_port := free_port()),
    }
    # No .env in run_dir: the environment is all the processes read.
    env = app_environment(project / "src", run_dir, settings)
    migrate(PACKAGE, env, cwd=run_dir)
    with (
        background(PACKAGE, "worker", env=env, cwd=run_dir, ready="ready.") as worker,
        background(PACKAGE, "beat", env=env, cwd=run_dir, ready="beat: Starting") as beat,
        serve(functools.partial(serve_command, PACKAGE), cwd=run_dir, env=env, log_path=run_dir / "app.log") as app,
        httpx.Client(base_url=app.url, timeout=30) as client,
    ):
        logs = [worker.log_path, beat.log_path, app.log_path]
        sign_up(client)

        started = time.monotonic()
        accepted = client.post("/api/v1/items/imports", json={"items": [{"name": "from a task", "quantity": 3}]})
        assert accepted.status_code == 202, accepted.text
        location = accepted.headers["location"]

        def outcome() -> dict[str, Any] | None:
            body: dict[str, Any] = client.get(location).json()
            return body if body["state"] in {"SUCCESS", "FAILURE"} else None

        done = until(outcome, "the import task", logs)
        record_property(f"{FIGURE}seconds from POST to SUCCESS", round(time.monotonic() - started, 3))
        assert done["state"] == "SUCCESS", done
        [created] = done["result"]["created"]
        # The worker's own scrape counts the run (the pool process's samples, summed by the main process).
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert scrape.status_code == 200, scrape.text
        assert re.search(r'^celery_task_succeeded_total\{task="[^"]*import[^"]*"\} [1-9]', scrape.text, re.MULTILINE), (
            scrape.text
        )
        item = client.get(f"/api/v1/items/{created}")
        assert (item.status_code, item.json()["quantity"]) == (200, 3)

        # Beat sent the canary, a worker ran it, and readiness reports how long ago.
        def canary_age() -> int | None:
            broker: dict[str, Any] = client.get("/health/ready").json()["checks"]["broker"]
            return broker.get("canary_age_seconds") if broker["ok"] else None

        assert until(lambda: canary_age() is not None, "the canary", logs)
        for process in ("worker", "beat"):
            probe = heartbeat(env, run_dir, process)
            assert probe.returncode == 0, probe.stdout + probe.stderr
