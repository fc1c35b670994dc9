"""A baked project served as a real process, for the outage tests and scripts/benchmark.

    env = app_environment(project / "src", run_dir, {"ENVIRONMENT": "test", "DATABASE_URL": url})
    migrate(package, env, cwd=run_dir)
    with serve(functools.partial(serve_command, package), cwd=run_dir, env=env, log_path=log) as app:
        app.url, app.port, app.process, app.cold_start_s, app.log_lines(40)
    with background(package, "worker", env=env, cwd=run_dir, ready="ready.") as worker:
        worker.process, worker.log_path

`serve` takes any server command, so the benchmark serves bare one-file apps with it too. Failures
raise ServeError with a one-line message; only processes started here are ever signalled.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    import httpx

HOST = "127.0.0.1"
LIVE_PATH = "/health/live"
STARTUP_TIMEOUT_S = 30.0
BACKGROUND_STARTUP_TIMEOUT_S = 60.0  # a Celery worker imports and forks more than a web server
STOP_TIMEOUT_S = 15.0  # then SIGKILL
MIGRATE_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.01  # fine enough to time a cold start
TASK_TIMEOUT_S = 60.0  # for a task sent through the API to be run by a worker
ERROR_LINES = 3  # of the app's output, in a ServeError
# Passed on to the app; everything else (TEST_*, PYTEST_*, a developer's DATABASE_URL) is not.
INHERITED = ("PATH", "LANG", "TMPDIR", "SYSTEMROOT")


class ServeError(RuntimeError):
    """The app did not come up, or its migration failed; the message ends with its last lines of output."""


@dataclass(frozen=True)
class ServedApp:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path  # stdout and stderr
    cold_start_s: float  # from starting the process to its first 200 on LIVE_PATH

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_lines(self, number: int) -> list[str]:
        return last_lines(self.log_path, number)


@dataclass(frozen=True)
class BackgroundProcess:
    process: subprocess.Popen[bytes]
    log_path: Path  # stdout and stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def app_environment(pythonpath: Path, home: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """The app's whole environment: a few variables of ours, then its `settings`."""
    env = {key: value for key, value in os.environ.items() if key in INHERITED or key.startswith("LC_")}
    return env | {
        "HOME": str(home),  # anything a server keeps in $HOME stays out of the real one
        "PYTHONPATH": str(pythonpath),
        "PYTHONUNBUFFERED": "1",  # a crash's last words reach the log
        **settings,
    }


def serve_command(package: str, port: int, *, workers: int = 1) -> list[str]:
    """The project's own production server, one worker unless asked: uvicorn for FastAPI, gunicorn for Flask."""
    return [
        *(sys.executable, "-m", package, "serve", "--host", HOST, "--port", str(port)),
        *("--workers", str(workers), "--no-reload"),
    ]


@contextlib.contextmanager
def serve(
    command: Callable[[int], Sequence[str]], *, cwd: Path, env: Mapping[str, str], log_path: Path
) -> Iterator[ServedApp]:
    """Run `command(port)` on a free port until it answers 200 on LIVE_PATH; stop it and its workers afterwards."""
    port = free_port()
    argv = list(command(port))
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches only us, and we stop it
        )
    try:
        wait_until_live(process, port, log_path)
        yield ServedApp(process, port, log_path, time.perf_counter() - started)
    finally:
        stop(process)


@contextlib.contextmanager
def background(
    package: str, command: str, *, env: Mapping[str, str], cwd: Path, ready: str
) -> Iterator[BackgroundProcess]:
    """`<package> COMMAND` (a worker, beat) once its log shows `ready`; stopped with its children afterwards."""
    log_path = cwd / f"{command}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", package, command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.perf_counter() + BACKGROUND_STARTUP_TIMEOUT_S
        while ready not in log_path.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None:
                msg = f"{command} exited with status {process.returncode}: {log_tail(log_path)}"
                raise ServeError(msg)
            if time.perf_counter() > deadline:
                waited = f"within {BACKGROUND_STARTUP_TIMEOUT_S:.0f} s"
                msg = f"{command} did not log {ready!r} {waited}: {log_tail(log_path)}"
                raise ServeError(msg)
            time.sleep(POLL_INTERVAL_S * 5)
        yield BackgroundProcess(process, log_path)
    finally:
        stop(process)


def is_live(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        connection.request("GET", LIVE_PATH)
        return connection.getresponse().status == HTTPStatus.OK
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_live(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.perf_counter() + STARTUP_TIMEOUT_S
    while not is_live(port):
        if process.poll() is not None:
            msg = f"server exited with status {process.returncode}: {log_tail(log_path)}"
            raise ServeError(msg)
        if time.perf_counter() > deadline:
            msg = f"no 200 on {LIVE_PATH} within {STARTUP_TIMEOUT_S:.0f} s: {log_tail(log_path)}"
            raise ServeError(msg)
        time.sleep(POLL_INTERVAL_S)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server, SIGKILL it after STOP_TIMEOUT_S; then SIGKILL any of its workers still there.

    Its workers are the descendants it has before it is stopped, each signalled only while still in its
    process group: a process id reused by then belongs to some other process, which is left alone.
    """
    workers = descendants(process.pid) if process.poll() is None else set()
    if process.returncode is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):  # exited with the server, as it should
            if os.getpgid(pid) == process.pid:
                os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> set[int]:
    """Process ids below `pid` (gunicorn's workers), from `ps` (Linux and macOS)."""
    output = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in output.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def sqlite_app(project: Path, package: str, run_dir: Path) -> dict[str, str]:
    """The environment of a project served on a SQLite file in `run_dir`, its database migrated.

    TMPDIR is `run_dir` too, so a temporary multiprocess directory lands where a test can see it.
    """
    settings = {"ENVIRONMENT": "test", "DATABASE_URL": f"sqlite:///{run_dir / 'app.db'}", "TMPDIR": str(run_dir)}
    env = app_environment(project / "src", run_dir, settings)
    migrate(package, env, cwd=run_dir)
    return env


def serving_workers(run_dir: Path, package: str) -> set[int]:
    """The ids of the worker processes that have timed a request, from their files in the multiprocess directory."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in run_dir.glob(f"{package}-metrics-*/histogram_*.db")}


def migrate(package: str, env: Mapping[str, str], *, cwd: Path) -> None:
    """Bring the project's database up to date (`db upgrade`)."""
    result = subprocess.run(
        [sys.executable, "-m", package, "db", "upgrade"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=MIGRATE_TIMEOUT_S,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        msg = f"db upgrade exited with status {result.returncode}: {one_line(lines[-ERROR_LINES:])}"
        raise ServeError(msg)


def last_lines(path: Path, number: int) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-number:]
    except OSError:
        return []


def log_tail(path: Path) -> str:
    return one_line(last_lines(path, ERROR_LINES))


def one_line(lines: Sequence[str]) -> str:
    return " | ".join(lines) or "(no output)"


def sign_up(client: httpx.Client, password: str = "correct horse battery staple") -> None:  # noqa: S107 - a test account's
    """Register a new account and send its access token with every later request of `client`."""
    email = f"user-{secrets.token_hex(4)}@example.com"
    registered = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    if registered.status_code != HTTPStatus.CREATED:
        msg = f"register answered {registered.status_code}: {registered.text}"
        raise ServeError(msg)
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    if login.status_code != HTTPStatus.OK:
        msg = f"login answered {login.status_code}: {login.text}"
        raise ServeError(msg)
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"


def imported_through_the_worker(client: httpx.Client, name: str, quantity: int, logs: Callable[[], str]) -> None:
    """POST an import task, wait until a worker has run it, and read its item back from the API."""
    imported = client.post("/api/v1/items/imports", json={"items": [{"name": name, "quantity": quantity}]})
    assert imported.status_code == HTTPStatus.ACCEPTED, imported.text
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while (task := client.get(imported.headers["location"]).json())["state"] not in {"SUCCESS", "FAILURE"}:
        assert time.monotonic() < deadline, f"{task}\n{logs()}"
        time.sleep(0.2)
    assert task["state"] == "SUCCESS", f"{task}\n{logs()}"
    listed = client.get("/api/v1/items", params={"name": name})
    assert [item["quantity"] for item in listed.json()["items"]] == [quantity], listed.text
