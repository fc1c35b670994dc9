"""Two server processes, one Redis: the limit holds for the whole service, not for each process."""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.ports import free_port
from tests.redis_fixtures import REDIS_RUN_PREFIX

SRC = Path(__file__).parents[2] / "src"
LIMIT = 20
STARTUP_SECONDS = 60
STOP_SECONDS = 15


def wait_until_live(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not live after {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextmanager
def server(env: dict[str, str], workdir: Path, name: str) -> Iterator[str]:
    """`serve` in a process of its own (the production server: uvicorn or gunicorn); yields its URL."""
    port = free_port()
    log = workdir / f"{name}.log"
    command = [sys.executable, "-m", "{{ cookiecutter.project_slug }}", "serve", "--port", str(port), "--no-reload"]
    with log.open("wb") as output:
        # Our own module with fixed arguments.
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_live(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_processes_share_one_count(database_url: str, redis_url: str, tmp_path: Path) -> None:
    # Only what a deployed process would be given; the working directory has no .env.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Under the run's prefix, so the session's cleanup deletes the counts.
        "REDIS__KEY_PREFIX": f"{REDIS_RUN_PREFIX}:{secrets.token_hex(4)}",
        "RATE_LIMIT__DEFAULT": f"{LIMIT}/minute",
    }
    with ExitStack() as stack:
        urls = [stack.enter_context(server(env, tmp_path, name)) for name in ("first", "second")]
        clients = [stack.enter_context(httpx.Client(base_url=url, timeout=10)) for url in urls]
        # No proxy is trusted, so the server must not take a new address from each request's header.
        codes = [
            clients[number % 2].get("/api/v1/items", headers={"X-Forwarded-For": f"203.0.113.{number}"}).status_code
            for number in range(LIMIT + 10)
        ]
    assert codes.count(200) == LIMIT
    assert codes.count(429) == 10
    # Alternating, so each process allowed half: neither counted alone.
    assert codes[:LIMIT] == [200] * LIMIT
