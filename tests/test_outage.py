"""Outage: the database server, or the Redis server, stops under a running app, then comes back.

With the database down, database endpoints answer 503 problem+json within the connect timeout and
readiness is 503 while liveness stays 200. With Redis down, every endpoint keeps answering (cache
bypassed, rate limiter open, flags at their defaults), readiness reports "degraded", and starting a
task is a prompt 503. Once the server is back, the same process serves again without a restart, and
the same Celery worker process runs tasks again. Each variant gets its own
throwaway server, since stopping the shared session one would break the tests running beside it.
The figures (seconds to 503, seconds to recover) are recorded as properties and printed in the
terminal summary (tests/conftest.py).
"""

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIGURE, Bake
from tests.served_app import (
    BackgroundProcess,
    ServedApp,
    app_environment,
    background,
    descendants,
    migrate,
    serve,
    serve_command,
    sign_up,
)
from tests.servers import Server, server_directory, start_mariadb, start_postgresql, start_redis
from tests.variants import Answers, variant_id

VARIANTS = [
    {"framework": "fastapi", "database": "postgresql", "use_redis": False, "use_celery": False},
    {"framework": "flask", "database": "mysql", "use_redis": False, "use_celery": False},
]
# With Celery and auth (the defaults): a worker runs beside the app.
REDIS_VARIANTS = [
    {"framework": "fastapi", "database": "sqlite", "use_redis": True},
    {"framework": "flask", "database": "sqlite", "use_redis": True},
]
STARTERS: dict[str, Callable[[Path], Server]] = {"postgresql": start_postgresql, "mysql": start_mariadb}
PACKAGE = "my_service"  # the default project_slug
DATABASE = "outage"
CONNECT_TIMEOUT = 3  # DATABASE__CONNECT_TIMEOUT, set explicitly (the template's default)
RECOVERY_LIMIT = 5.0  # seconds from the server accepting connections to the first 200
REDIS_TIMEOUT = 1.0  # REDIS__SOCKET_TIMEOUT and REDIS__CONNECT_TIMEOUT, set explicitly (the defaults)
BREAKER_RESET = 1.0  # REDIS__BREAKER_RESET_SECONDS: how long the circuit stays open before a trial
HTTP_TIMEOUT = 30.0  # per request: far above every limit, so a hang shows up as a slow answer
POLL_INTERVAL = 0.05
TASK_LIMIT = 30.0  # seconds for a task to be done once accepted
IMPORTS = "/api/v1/items/imports"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class App:
    server: ServedApp
    client: httpx.Client

    def log_tail(self, lines: int = 40) -> str:
        return "\napp log (tail):\n" + "\n".join(self.server.log_lines(lines))


def environment(project: Path, database_url: str, run_dir: Path, **extra: str) -> dict[str, str]:
    settings = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "DATABASE__CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        **extra,
    }
    return app_environment(project / "src", run_dir, settings)


@contextmanager
def serve_app(env: dict[str, str], run_dir: Path) -> Iterator[App]:
    """The app on a free port, live, with a client; stopped (with its workers) afterwards."""
    command = functools.partial(serve_command, PACKAGE)
    # No .env in run_dir: the environment above is all the app reads.
    with (
        serve(command, cwd=run_dir, env=env, log_path=run_dir / "app.log") as server,
        httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as client,
    ):
        yield App(server, client)


def timed(app: App, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = app.client.request(method, path, **kwargs)
    return response, time.monotonic() - began


def assert_unavailable(response: httpx.Response, app: App) -> None:
    context = f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
    assert response.status_code == 503, context + app.log_tail()
    assert response.headers["content-type"].startswith(PROBLEM_JSON), context
    assert response.json()["code"] == "service_unavailable", context


def start_import(app: App, name: str) -> str:
    """POST an import of one item; the task's status URL."""
    accepted = app.client.post(IMPORTS, json={"items": [{"name": name}]})
    assert accepted.status_code == 202, accepted.text + app.log_tail()
    return str(accepted.headers["location"])


def finished(app: App, worker: BackgroundProcess, location: str) -> dict[str, Any]:
    """The task's status once the worker has run it."""
    deadline = time.monotonic() + TASK_LIMIT
    while (body := app.client.get(location).json())["state"] not in {"SUCCESS", "FAILURE"}:
        assert time.monotonic() < deadline, f"{body}\nworker log:\n{worker.log_path.read_text()[-3000:]}"
        time.sleep(POLL_INTERVAL)
    result: dict[str, Any] = body
    return result


def names(app: App) -> list[str]:
    response = app.client.get("/api/v1/items", params={"size": 100})
    assert response.status_code == 200, response.text + app.log_tail()
    return [item["name"] for item in response.json()["items"]]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_app_survives_database_outage(
    bake: Bake, answers: Answers, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    project = bake(**answers)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with server_directory() as server_dir:
        server = STARTERS[answers["database"]](server_dir)
        try:
            env = environment(project, server.create_database(DATABASE), run_dir)
            migrate(PACKAGE, env, cwd=run_dir)
            with serve_app(env, run_dir) as app:
                created = app.client.post("/api/v1/items", json={"name": "before the outage"})
                assert created.status_code == 201, created.text + app.log_tail()
                assert names(app) == ["before the outage"]
                assert app.client.get("/health/ready").status_code == 200
                workers = descendants(app.server.process.pid)

                server.stop()
                listed, to_503 = timed(app, "GET", "/api/v1/items")
                record_property(f"{FIGURE}seconds to 503", round(to_503, 3))
                assert_unavailable(listed, app)
                assert to_503 < CONNECT_TIMEOUT + 1, f"503 took {to_503:.2f} s" + app.log_tail()
                posted, post_seconds = timed(app, "POST", "/api/v1/items", json={"name": "during the outage"})
                assert_unavailable(posted, app)
                assert post_seconds < CONNECT_TIMEOUT + 1, f"POST 503 took {post_seconds:.2f} s"
                ready, ready_seconds = timed(app, "GET", "/health/ready")
                assert ready.status_code == 503, ready.text
                assert ready.json()["checks"]["database"]["ok"] is False, ready.text
                assert ready_seconds < CONNECT_TIMEOUT + 2, f"readiness took {ready_seconds:.2f} s"
                assert app.client.get("/health/live").status_code == 200

                server.start()  # returns once the server accepts connections again
                back = time.monotonic()
                while (response := app.client.get("/api/v1/items")).status_code != 200:
                    waited = time.monotonic() - back
                    assert waited < RECOVERY_LIMIT, (
                        f"still {response.status_code} after {waited:.1f} s" + app.log_tail()
                    )
                    time.sleep(POLL_INTERVAL)
                to_recover = time.monotonic() - back
                record_property(f"{FIGURE}seconds to recover", round(to_recover, 3))

                assert app.server.process.poll() is None, "the app exited" + app.log_tail()
                assert descendants(app.server.process.pid) == workers, "the app restarted its workers" + app.log_tail()
                assert names(app) == ["before the outage"]  # committed data kept, the refused POST absent
                assert app.client.get("/health/ready").status_code == 200
        finally:
            server.stop()


def assert_serves_without_redis(app: App, path: str) -> float:
    """Reads, writes and readiness work with Redis down, and starting a task is a prompt 503; the slowest read."""
    reads = [timed(app, "GET", path) for _ in range(10)]
    for response, _ in reads:
        assert response.status_code == 200, response.text + app.log_tail()
        assert response.json()["name"] == "cached"
        assert "ratelimit-limit" not in response.headers, "the limiter fails open"
    slowest = max(seconds for _, seconds in reads)
    # At most one short timeout: the breaker keeps later calls from waiting on the dead server.
    assert slowest < REDIS_TIMEOUT + 1, f"a read took {slowest:.2f} s" + app.log_tail()
    renamed = app.client.patch(path, json={"name": "renamed while Redis was down"})
    assert renamed.status_code == 200, renamed.text + app.log_tail()
    ready = app.client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "degraded", ready.text
    assert ready.json()["checks"]["redis"]["ok"] is False, ready.text
    refused, refused_seconds = timed(app, "POST", IMPORTS, json={"items": [{"name": "refused"}]})
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "task_queue_unavailable", refused.text
    assert refused_seconds < REDIS_TIMEOUT + 1, f"the refusal took {refused_seconds:.2f} s"
    return slowest


@pytest.mark.parametrize("answers", REDIS_VARIANTS, ids=variant_id)
def test_app_survives_redis_outage(
    bake: Bake, answers: Answers, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    project = bake(**answers)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with server_directory() as server_dir:
        redis = start_redis(server_dir)
        try:
            env = environment(
                project,
                f"sqlite:///{run_dir / 'app.db'}",
                run_dir,
                REDIS_URL=redis.url,
                REDIS__CONNECT_TIMEOUT=str(REDIS_TIMEOUT),
                REDIS__SOCKET_TIMEOUT=str(REDIS_TIMEOUT),
                REDIS__BREAKER_RESET_SECONDS=str(BREAKER_RESET),
                CELERY__HEARTBEAT_DIR=str(run_dir),
                CELERY__METRICS_PORT="0",  # the default port is one per host, and tests run side by side
            )
            migrate(PACKAGE, env, cwd=run_dir)
            with (
                serve_app(env, run_dir) as app,
                background(PACKAGE, "worker", env=env, cwd=run_dir, ready="ready.") as worker,
            ):
                sign_up(app.client)
                assert finished(app, worker, start_import(app, "imported before"))["state"] == "SUCCESS"
                created = app.client.post("/api/v1/items", json={"name": "cached"})
                assert created.status_code == 201, created.text + app.log_tail()
                path = created.headers["location"]
                for _ in range(2):  # the second read comes from the cache
                    read = app.client.get(path)
                    assert read.status_code == 200, read.text + app.log_tail()
                    assert "ratelimit-limit" in read.headers, read.headers
                assert app.client.get("/health/ready").json()["checks"]["redis"]["ok"] is True
                workers = descendants(app.server.process.pid)

                redis.stop()
                slowest = assert_serves_without_redis(app, path)
                record_property(f"{FIGURE}slowest read with Redis down (s)", round(slowest, 3))

                redis.start()  # same port, empty: no persistence
                back = time.monotonic()
                while "ratelimit-limit" not in (response := app.client.get(path)).headers:
                    waited = time.monotonic() - back
                    assert waited < BREAKER_RESET + RECOVERY_LIMIT, f"limiter not back after {waited:.1f} s"
                    time.sleep(POLL_INTERVAL)
                record_property(f"{FIGURE}seconds to recover", round(time.monotonic() - back, 3))
                assert response.json()["name"] == "renamed while Redis was down"
                assert app.client.get("/health/ready").json()["status"] == "ok"
                assert app.server.process.poll() is None, "the app exited" + app.log_tail()
                assert descendants(app.server.process.pid) == workers, "the app restarted its workers" + app.log_tail()

                # The worker that was consuming when Redis went away consumes again by itself.
                sent = time.monotonic()
                assert finished(app, worker, start_import(app, "imported after"))["state"] == "SUCCESS"
                record_property(f"{FIGURE}seconds to a task after Redis is back", round(time.monotonic() - sent, 3))
                assert worker.process.poll() is None, worker.log_path.read_text()[-3000:]
        finally:
            redis.stop()
