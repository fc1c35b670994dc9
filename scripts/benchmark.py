"""Benchmark the template: bake time, HTTP overhead, cold start, memory, database reads, Redis, auth.

Bakes projects in-process with cookiecutter, serves the FastAPI and Flask variants with
one worker next to a bare one-file app, loads both with wrk over loopback and prints
each figure against its goal. Exits 1 when a goal is missed.

The database part bakes the PostgreSQL variants, migrates them into a throwaway server
(tests/servers.py), seeds items through the API, serves each with one worker (`serve`)
and loads a single-row read and a 10-row page, counting the server connections opened
meanwhile (pg_stat_database.sessions): a reused pool opens none.

The Redis part times one `GET /api/v1/items/{id}` at a time over one connection, against a
throwaway PostgreSQL and Redis: a use_redis=false bake (uncached), then a use_redis=true bake
with the rate limiter off (cached) and on with a limit never reached (cached + limiter), so
the differences are the cache's gain and the limiter's cost per request.

The auth part bakes use_redis=true, use_auth=true against a throwaway PostgreSQL and Redis,
registers one user and logs in through the API, then loads `GET /api/v1/users/me` with its
access token (one database read per request) with the rate limiter off, and on with a limit
never reached. It then times logins (Argon2id at the production cost) and token reads one at a
time over one connection, to show the hash is paid at login only.

    .venv/bin/python scripts/benchmark.py            # full run (a few minutes)
    .venv/bin/python scripts/benchmark.py --quick    # smoke check
    .venv/bin/python scripts/benchmark.py --only db  # only the database part
    .venv/bin/python scripts/benchmark.py --only redis --framework flask  # cache and limiter latency
    .venv/bin/python scripts/benchmark.py --only auth --framework fastapi  # GET /users/me and login cost
    .venv/bin/python scripts/benchmark.py --app-env LOG_LEVEL=WARNING  # without access log
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import psycopg
import redis
from cookiecutter.main import cookiecutter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from types import FrameType

    from tests.servers import Server

TEMPLATE = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LIVE_PATH = "/health/live"
STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.01
SKIP_REASON_CHARS = 70
WRK_GRACE_S = 30.0
PARTS = ("bake", "http", "db", "redis", "auth")

ITEMS_PATH = "/api/v1/items"
READY_PATH = "/health/ready"
SEED_ITEMS = 100
PAGE_SIZE = 10
ONE_ROW = "get 1 row"
PAGE_OF_ROWS = f"list {PAGE_SIZE} rows"
REQUEST_TIMEOUT_S = 5.0
MIGRATE_TIMEOUT_S = 60.0
DB_WARMUP_S = 3
# A new backend reports its session to pg_stat_database when it first goes idle, and
# later statistics at most once a second: wait past that before reading the counter.
STATS_SETTLE_S = 1.5

# Redis part: requests sent one after another, each timed alone, after a warm-up.
LATENCY_WARMUP = 300
QUICK_LATENCY_WARMUP = 30
# Far more than a run sends in a minute: the limiter counts every request and refuses none.
UNREACHED_LIMIT = 1_000_000
RATE_LIMIT_HEADER = "RateLimit-Limit"

# Auth part: one user; its access token loads GET /users/me, then logins and reads are timed alone.
REGISTER_PATH = "/api/v1/auth/register"
LOGIN_PATH = "/api/v1/auth/login"
ME_PATH = "/api/v1/users/me"
# The password is token_urlsafe, which has no ".", so it never contains the local part (policy).
AUTH_EMAIL = "auth.benchmark@example.com"
PASSWORD_BYTES = 24
LOGIN_WARMUP = 2
TIMED_LOGINS = 10
READ_WARMUP = 20
TIMED_READS = 200
DEFAULT_ACCESS_TOKEN_MINUTES = 15
ACCESS_TOKEN_MARGIN_MINUTES = 5  # checks, warm-ups and the timed logins after the loads
MAX_ACCESS_TOKEN_MINUTES = 24 * 60
# The parameters of a stored hash, e.g. $argon2id$v=19$m=65536,t=3,p=4$salt$hash.
ARGON2ID_HASH = re.compile(r"\$argon2id\$v=\d+\$(m=\d+,t=\d+,p=\d+)\$")

BAKE_GOAL_S = 0.5
RATIO_GOAL = 0.8
COLD_START_GOAL_S = 0.9
RSS_GOAL_MIB = 100.0
# A popular async FastAPI template's paginated list on a comparable 2-core machine.
REFERENCE_LIST_RPS = 961
DB_RATE_GOALS = {("fastapi", PAGE_OF_ROWS): 2 * REFERENCE_LIST_RPS}
# The best-known full-stack FastAPI template's GET /users/me on a comparable 2-core machine.
REFERENCE_ME_RPS = 690
ME_GOAL_FACTOR = 2.5
AUTH_RATE_GOALS = {"fastapi": ME_GOAL_FACTOR * REFERENCE_ME_RPS}

DEFAULT_VARIANT: dict[str, object] = {}
# Every use_redis=true variant has the most files; BSD-3-Clause is the longest license.
LARGEST_VARIANT: dict[str, object] = {
    "framework": "fastapi",
    "database": "postgresql",
    "use_redis": True,
    "open_source_license": "BSD-3-Clause",
}

BARE_FASTAPI = """\
from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app
"""

BARE_FLASK = """\
from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health/live")
    def live() -> dict[str, str]:
        return {"status": "ok"}

    return app
"""


class BenchmarkError(Exception):
    """A step failed; the message says which and why, in one line."""


@dataclass(frozen=True)
class Config:
    bake_runs: int
    runs: int
    duration_s: int
    connections: int
    requests: int
    warmup: int
    frameworks: tuple[str, ...]
    parts: tuple[str, ...]
    app_env: dict[str, str]


@dataclass(frozen=True)
class Framework:
    name: str
    answers: dict[str, object]
    bare_source: str
    command: Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Target:
    kind: str
    module: str
    cwd: Path
    env: dict[str, str]


@dataclass(frozen=True)
class Sample:
    cold_start_s: float
    requests_per_s: float
    p99_ms: float
    rss_mib: float
    master_rss_mib: float | None


@dataclass(frozen=True)
class Samples:
    bare: list[Sample]
    full: list[Sample]


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str


@dataclass(frozen=True)
class ConnectionStats:
    """One database's counters: connections ever opened (sessions) and open now."""

    sessions: int
    open: int


@dataclass(frozen=True)
class DbSample:
    requests_per_s: float
    p99_ms: float
    new_connections: int
    duration_s: float
    open_connections: int


@dataclass(frozen=True, eq=False)  # hashed by identity: the setups are the constants CACHE_SETUPS
class CacheSetup:
    """One way of serving the item read: which bake (`redis`) and which settings on top."""

    name: str
    key: str
    redis: bool
    env: dict[str, str]
    rate_limited: bool


@dataclass(frozen=True, eq=False)  # hashed by identity: the setups are the constants AUTH_SETUPS
class LimiterSetup:
    """One way of serving GET /users/me of the auth bake: the rate limiter's settings."""

    name: str
    key: str
    env: dict[str, str]
    rate_limited: bool


@dataclass(frozen=True)
class LatencySample:
    median_ms: float
    p99_ms: float
    requests: int
    new_connections: int


@dataclass(frozen=True)
class AuthResults:
    """The loads of GET /users/me per setup, and logins and reads timed one at a time."""

    password_cost: str
    loads: dict[LimiterSetup, list[tuple[float, float]]]
    login: LatencySample
    me: LatencySample


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    goal: str = ""
    passed: bool | None = None


def uvicorn_command(module: str, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", f"{module}:create_app", "--factory"),
        *("--host", HOST, "--port", str(port), "--no-access-log"),
    ]


def gunicorn_command(module: str, port: int) -> list[str]:
    # No control socket: it would live in $HOME and be shared between runs.
    return [
        *(sys.executable, "-m", "gunicorn", "-w", "1", "--bind", f"{HOST}:{port}"),
        *("--no-control-socket", f"{module}:create_app()"),
    ]


UNCACHED = CacheSetup("uncached (use_redis=false)", "uncached", redis=False, env={}, rate_limited=False)
CACHED = CacheSetup(
    "cached, limiter off", "cached", redis=True, env={"RATE_LIMIT__ENABLED": "false"}, rate_limited=False
)
LIMITED = CacheSetup(
    "cached + limiter",
    "limited",
    redis=True,
    env={"RATE_LIMIT__ENABLED": "true", "RATE_LIMIT__DEFAULT": f"{UNREACHED_LIMIT}/minute"},
    rate_limited=True,
)
CACHE_SETUPS = (UNCACHED, CACHED, LIMITED)

LIMITER_OFF = LimiterSetup("limiter off", "off", {"RATE_LIMIT__ENABLED": "false"}, rate_limited=False)
LIMITER_ON = LimiterSetup(
    "limiter on, never reached",
    "on",
    {
        "RATE_LIMIT__ENABLED": "true",
        "RATE_LIMIT__DEFAULT": f"{UNREACHED_LIMIT}/minute",
        "RATE_LIMIT__AUTH": f"{UNREACHED_LIMIT}/minute",
    },
    rate_limited=True,
)
AUTH_SETUPS = (LIMITER_OFF, LIMITER_ON)

FRAMEWORKS = {
    "fastapi": Framework(
        "fastapi",
        {"framework": "fastapi", "database": "sqlite", "use_redis": False},
        BARE_FASTAPI,
        uvicorn_command,
    ),
    "flask": Framework(
        "flask",
        {"framework": "flask", "database": "sqlite", "use_redis": False},
        BARE_FLASK,
        gunicorn_command,
    ),
}


def progress(message: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(message, file=sys.stderr, flush=True)


# --- baking -------------------------------------------------------------------------


@contextlib.contextmanager
def fd_stdout_silenced() -> Iterator[None]:
    """Hooks run as child processes writing to descriptor 1: point it at /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def bake(answers: Mapping[str, object], output_dir: Path, config_file: Path) -> Path:
    """Bake one project; the config file keeps user settings and replay files out."""
    try:
        with fd_stdout_silenced():
            project = cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(output_dir),
                extra_context=dict(answers),
                config_file=str(config_file),
            )
    except Exception as exc:
        msg = f"bake {describe(answers)} failed: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc
    return Path(project)


def cookiecutter_config(workdir: Path) -> Path:
    path = workdir / "cookiecutter.yaml"
    path.write_text(
        f"cookiecutters_dir: {workdir / 'cookiecutters'}\nreplay_dir: {workdir / 'replay'}\n",
        encoding="utf-8",
    )
    return path


def bake_times(answers: Mapping[str, object], runs: int, workdir: Path) -> list[float]:
    """Wall time of each bake, each into a fresh directory."""
    config_file = cookiecutter_config(workdir)
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=workdir) as output_dir:
            started = time.perf_counter()
            bake(answers, Path(output_dir), config_file)
            times.append(time.perf_counter() - started)
    return times


def describe(answers: Mapping[str, object]) -> str:
    """Name a variant by the answers that shape it, e.g. fastapi/sqlite/no-redis/MIT."""
    prompts = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    chosen = {key: default[0] if isinstance(default, list) else default for key, default in prompts.items()}
    chosen.update(answers)
    redis = "redis" if chosen["use_redis"] else "no-redis"
    return f"{chosen['framework']}/{chosen['database']}/{redis}/{chosen['open_source_license']}"


# --- servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def is_live(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        connection.request("GET", LIVE_PATH)
        return connection.getresponse().status == HTTPStatus.OK
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(no output)"


def wait_until_live(process: subprocess.Popen[bytes], port: int, stderr: Path) -> None:
    deadline = time.perf_counter() + STARTUP_TIMEOUT_S
    while not is_live(port):
        if process.poll() is not None:
            msg = f"server exited with status {process.returncode}: {tail(stderr)}"
            raise BenchmarkError(msg)
        if time.perf_counter() > deadline:
            msg = f"no 200 on {LIVE_PATH} within {STARTUP_TIMEOUT_S:.0f} s: {tail(stderr)}"
            raise BenchmarkError(msg)
        time.sleep(POLL_INTERVAL_S)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill; the server leads its own process group, so workers go too."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(command: list[str], port: int, target: Target, logs: Path) -> Iterator[tuple[int, float]]:
    """Start the server and wait for its first 200; yield its pid and that cold start."""
    out_path, err_path = logs.with_suffix(".out"), logs.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=target.cwd, env=target.env, stdout=out, stderr=err, start_new_session=True
        )
        try:
            wait_until_live(process, port, err_path)
            yield process.pid, time.perf_counter() - started
        finally:
            stop(process)


# --- measuring ----------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        msg = f"no VmRSS for process {pid}"
        raise BenchmarkError(msg)
    return int(match.group(1)) / 1024


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The parent pid follows the state, after the parenthesised command name.
            if int(stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def memory(pid: int) -> tuple[float, float | None]:
    """RSS of the process serving requests; with a master process, also the master's."""
    workers = children(pid)
    if len(workers) == 1:
        return rss_mib(workers[0]), rss_mib(pid)
    return rss_mib(pid), None


def milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    port: int, config: Config, path: str = LIVE_PATH, *, headers: Mapping[str, str] | None = None
) -> tuple[float, float]:
    """Load one path of the server, `headers` on every request; return requests per second and p99 in ms.

    Fails when any response was not 2xx or 3xx.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        msg = "wrk is not installed"
        raise BenchmarkError(msg)
    command = [wrk, "-t1", f"-c{config.connections}", f"-d{config.duration_s}s", "--latency"]
    command += [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    result = subprocess.run(
        [*command, f"http://{HOST}:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=config.duration_s + WRK_GRACE_S,
    )
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout):
        msg = f"{match.group(1)} responses were not 2xx"
        raise BenchmarkError(msg)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", result.stdout, re.MULTILINE)
    if rate is None or p99 is None:
        msg = f"cannot read wrk output: {result.stdout!r}"
        raise BenchmarkError(msg)
    return float(rate.group(1)), milliseconds(p99.group(1), p99.group(2))


def measure(framework: Framework, target: Target, config: Config, logs: Path) -> Sample:
    port = free_port()
    with serving(framework.command(target.module, port), port, target, logs) as (pid, cold_start_s):
        requests_per_s, p99_ms = run_wrk(port, config)
        rss, master_rss = memory(pid)
    return Sample(cold_start_s, requests_per_s, p99_ms, rss, master_rss)


def server_env(pythonpath: Path, extra: Mapping[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(pythonpath),
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(36),
        "DATABASE_URL": f"sqlite:///{pythonpath.parent / 'bench.db'}",
        "LOG_FORMAT": "json",
        **extra,
    }


def prepare(framework: Framework, config: Config, workdir: Path) -> tuple[Target, Target]:
    """Bake the project and write the bare app; return them as (bare, full)."""
    project = bake(framework.answers, workdir, cookiecutter_config(workdir))
    full = Target(
        "full",
        f"{project.name}.web.app",
        project,
        server_env(project / "src", config.app_env),
    )
    bare_dir = workdir / "bare"
    bare_dir.mkdir()
    (bare_dir / "bare_app.py").write_text(framework.bare_source, encoding="utf-8")
    bare = Target("bare", "bare_app", bare_dir, server_env(bare_dir, {}))
    return bare, full


def benchmark_framework(framework: Framework, config: Config, workdir: Path) -> Samples:
    """Bare and full alternately, each on a fresh server."""
    progress(f"{framework.name}: {config.runs} x (bare, full), wrk -t1 -c{config.connections} -d{config.duration_s}s")
    samples: dict[str, list[Sample]] = {"bare": [], "full": []}
    # (bare, full) repeated: bare, full, bare, full, ...
    for target in [*prepare(framework, config, workdir)] * config.runs:
        done = samples[target.kind]
        sample = measure(framework, target, config, workdir / f"{target.kind}-{len(done) + 1}")
        done.append(sample)
        progress(
            f"  {framework.name} {target.kind} run {len(done)}/{config.runs}: "
            f"{sample.requests_per_s:,.0f} req/s, p99 {sample.p99_ms:.1f} ms, "
            f"cold start {sample.cold_start_s:.2f} s, RSS {sample.rss_mib:.1f} MiB"
        )
    return Samples(samples["bare"], samples["full"])


def per_framework(
    config: Config, workdir: Path, part: str, benchmark: Callable[[Framework, Path], list[Row]]
) -> list[Row]:
    """Benchmark each framework in a folder of its own; one that fails gets a skipped row, not the run."""
    rows = []
    for name in config.frameworks:
        label = f"{part} {name}".strip()
        directory = workdir / label.replace(" ", "-")
        directory.mkdir()
        try:
            rows.extend(benchmark(FRAMEWORKS[name], directory))
        except (BenchmarkError, subprocess.SubprocessError, psycopg.Error) as exc:
            rows.append(skipped(label, exc))
    return rows


def skipped(label: str, exc: Exception) -> Row:
    print(f"{label}: skipped: {exc}", flush=True)
    return Row(label, f"skipped: {str(exc)[:SKIP_REASON_CHARS]}")


# --- database -----------------------------------------------------------------------


@contextlib.contextmanager
def throwaway(kind: str, base_dir: Path) -> Iterator[Server]:
    """A throwaway PostgreSQL or Redis server, stopped however the block ends."""
    if str(TEMPLATE) not in sys.path:  # tests/ is a folder of the repository, not an installed package
        sys.path.insert(0, str(TEMPLATE))
    from tests import servers  # noqa: PLC0415 - importable only with the repository on sys.path

    start: dict[str, Callable[[Path], Server]] = {"PostgreSQL": servers.start_postgresql, "Redis": servers.start_redis}
    base_dir.mkdir(exist_ok=True)  # servers can share it: each keeps its files in a folder of its own
    try:
        server = start[kind](base_dir)
    except (servers.MissingServerBinary, servers.ServerStartError) as exc:
        msg = f"{kind} did not start: {exc}"
        raise BenchmarkError(msg) from exc
    try:
        yield server
    finally:
        server.stop()


def connection_stats(admin_url: str, database: str) -> ConnectionStats:
    """Read through the admin database, so this connection is not counted itself."""
    query = """
        SELECT sessions, (SELECT count(*) FROM pg_stat_activity WHERE datname = %(db)s)
        FROM pg_stat_database WHERE datname = %(db)s
    """
    # Autocommit: every query sees fresh statistics, not the snapshot of an open transaction.
    with psycopg.connect(admin_url, autocommit=True) as connection:
        row = connection.execute(query, {"db": database}).fetchone()
    if row is None:
        msg = f"no pg_stat_database row for {database}"
        raise BenchmarkError(msg)
    return ConnectionStats(sessions=int(row[0]), open=int(row[1]))


def migrate(project: Path, env: Mapping[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", project.name, "db", "upgrade"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=MIGRATE_TIMEOUT_S,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        msg = f"db upgrade exited with status {result.returncode}: {' | '.join(lines[-3:])}"
        raise BenchmarkError(msg)


def serve_command(package: str, port: int) -> list[str]:
    """The project's own production server: uvicorn for FastAPI, gunicorn for Flask."""
    return [
        *(sys.executable, "-m", package, "serve", "--host", HOST, "--port", str(port)),
        *("--workers", "1", "--no-reload"),
    ]


def deploy(
    answers: Mapping[str, object],
    server: Server,
    database: str,
    config: Config,
    workdir: Path,
    *,
    env: Mapping[str, str],
) -> Target:
    """Bake the PostgreSQL variant into `workdir` and migrate it into a new database of `server`, `env` set."""
    url = server.create_database(database)
    project = bake({**answers, "database": "postgresql"}, workdir, cookiecutter_config(workdir))
    target_env = server_env(project / "src", {"DATABASE_URL": url, **env, **config.app_env})
    migrate(project, target_env)
    return Target(database, project.name, project, target_env)


@contextlib.contextmanager
def served(target: Target, logs: Path) -> Iterator[int]:
    """Serve a deployed project with one worker on a free port; yield the port."""
    port = free_port()
    with serving(serve_command(target.module, port), port, target, logs):
        yield port


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: object = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request with a JSON body, or none, and `headers`; return the response and its body, read in full."""
    sent = {**({} if body is None else {"Content-Type": "application/json"}), **(headers or {})}
    try:
        connection.request(method, path, None if body is None else json.dumps(body), sent)
        response = connection.getresponse()
        content = response.read()
    except (OSError, http.client.HTTPException) as exc:
        msg = f"{method} {path}: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc
    return response, content


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: object = None
) -> tuple[int, dict[str, Any]]:
    """One request with a JSON body, or none; return the status and the JSON object answered."""
    response, content = send(connection, method, path, body)
    return response.status, json_object(method, path, content)


def json_object(method: str, path: str, content: bytes) -> dict[str, Any]:
    """The JSON object of a response body; an empty body is an empty object."""
    try:
        answer = json.loads(content or b"{}")
    except ValueError as exc:
        msg = f"{method} {path}: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc
    if not isinstance(answer, dict):
        msg = f"{method} {path}: expected a JSON object, got {str(answer)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return answer


def expect(answer: tuple[int, dict[str, Any]], wanted: HTTPStatus, what: str) -> dict[str, Any]:
    """The body of an answer with the wanted status."""
    status, body = answer
    if status != wanted:
        msg = f"{what}: status {status}, expected {wanted.value}: {str(body)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return body


def create_items(connection: http.client.HTTPConnection, number: int, name: str = "item") -> list[int]:
    """Check the server is ready, then create `number` items named `name` NNN; return their ids."""
    expect(request(connection, "GET", READY_PATH), HTTPStatus.OK, f"GET {READY_PATH}")
    ids = []
    for n in range(number):
        item = {"name": f"{name} {n:03d}", "description": f"Benchmark item number {n}.", "quantity": n}
        created = expect(request(connection, "POST", ITEMS_PATH, item), HTTPStatus.CREATED, f"POST {ITEMS_PATH}")
        ids.append(int(created["id"]))
    return ids


def seed(port: int) -> list[Endpoint]:
    """Create the items through the API and check a page of them; return the endpoints to load."""
    page_path = f"{ITEMS_PATH}?size={PAGE_SIZE}"
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        ids = create_items(connection, SEED_ITEMS)
        page = expect(request(connection, "GET", page_path), HTTPStatus.OK, f"GET {page_path}")
    finally:
        connection.close()
    if len(page.get("items", [])) != PAGE_SIZE or page.get("total") != SEED_ITEMS:
        msg = f"GET {page_path}: expected {PAGE_SIZE} of {SEED_ITEMS} items: {str(page)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return [Endpoint(ONE_ROW, f"{ITEMS_PATH}/{ids[len(ids) // 2]}"), Endpoint(PAGE_OF_ROWS, page_path)]


def load_endpoint(
    port: int, endpoint: Endpoint, stats: Callable[[], ConnectionStats], config: Config
) -> list[DbSample]:
    """Warm up, then load `runs` times, counting the connections each run opened."""
    run_wrk(port, replace(config, duration_s=min(DB_WARMUP_S, config.duration_s)), endpoint.path)
    time.sleep(STATS_SETTLE_S)
    before = stats()
    samples = []
    for run in range(1, config.runs + 1):
        started = time.perf_counter()
        requests_per_s, p99_ms = run_wrk(port, config, endpoint.path)
        duration_s = time.perf_counter() - started
        time.sleep(STATS_SETTLE_S)
        after = stats()
        sample = DbSample(requests_per_s, p99_ms, after.sessions - before.sessions, duration_s, after.open)
        samples.append(sample)
        before = after
        progress(
            f"  {endpoint.name} run {run}/{config.runs}: {requests_per_s:,.0f} req/s, p99 {p99_ms:.1f} ms, "
            f"{sample.new_connections} new connections, {sample.open_connections} open"
        )
    return samples


def benchmark_database(
    framework: Framework, server: Server, config: Config, workdir: Path
) -> dict[str, list[DbSample]]:
    """Bake, migrate, serve and seed the PostgreSQL variant; load each endpoint on one server."""
    progress(f"db {framework.name}: PostgreSQL, wrk -t1 -c{config.connections} -d{config.duration_s}s per endpoint")
    database = f"bench_{framework.name}"
    target = deploy(framework.answers, server, database, config, workdir, env={})
    with served(target, workdir / "server") as port:
        endpoints = seed(port)
        progress(f"  seeded {SEED_ITEMS} items; wrk warm-up, then {config.runs} run(s) per endpoint")
        stats = functools.partial(connection_stats, server.url, database)
        return {endpoint.name: load_endpoint(port, endpoint, stats, config) for endpoint in endpoints}


def db_part(config: Config, workdir: Path) -> list[Row]:
    """Every framework against one PostgreSQL server, each in its own database."""
    try:
        with throwaway("PostgreSQL", workdir / "postgresql") as server:
            return per_framework(
                config,
                workdir,
                "db",
                lambda framework, directory: db_rows(
                    framework.name, benchmark_database(framework, server, config, directory)
                ),
            )
    except BenchmarkError as exc:  # the server did not start
        return [skipped("db", exc)]


# --- Redis --------------------------------------------------------------------------


def key_prefix(framework: Framework, setup: CacheSetup) -> str:
    """Each server's own Redis keys, so a check or a cache hit cannot come from another."""
    return f"bench_{framework.name}_{setup.key}"


def cache_targets(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[CacheSetup, Target]:
    """Bake and migrate the framework without and with Redis; return each setup's target."""
    bakes: dict[bool, Target] = {}
    for use_redis in (False, True):
        directory = workdir / ("redis" if use_redis else "no-redis")
        directory.mkdir()
        answers = {**framework.answers, "use_redis": use_redis}
        env = {"REDIS_URL": redis_server.url} if use_redis else {}
        database = f"bench_{framework.name}_{directory.name.replace('-', '_')}"
        bakes[use_redis] = deploy(answers, postgres, database, config, directory, env=env)
    targets = {}
    for setup in CACHE_SETUPS:
        base = bakes[setup.redis]
        prefix = {"REDIS__KEY_PREFIX": key_prefix(framework, setup)} if setup.redis else {}
        targets[setup] = replace(base, kind=setup.key, env={**base.env, **setup.env, **prefix, **config.app_env})
    return targets


def cache_keys(url: str, prefix: str) -> int:
    """How many keys of the cache under `prefix` Redis holds."""
    try:
        with redis.Redis.from_url(url, socket_timeout=REQUEST_TIMEOUT_S) as client:
            return sum(1 for _ in client.scan_iter(match=f"{prefix}:cache:*"))
    except redis.RedisError as exc:
        msg = f"cannot count cache keys in Redis: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc


def get_ok(
    connection: http.client.HTTPConnection, path: str, headers: Mapping[str, str] | None = None
) -> http.client.HTTPResponse:
    """GET a path with `headers`, read in full; fail unless the status is 200."""
    response, content = send(connection, "GET", path, headers=headers)
    if response.status != HTTPStatus.OK:
        msg = f"GET {path}: status {response.status}: {content[:SKIP_REASON_CHARS]!r}"
        raise BenchmarkError(msg)
    return response


def check_limiter(response: http.client.HTTPResponse, setup_name: str, *, rate_limited: bool) -> None:
    """Fail unless the answer's rate limit headers show the limiter on at the unreached limit, or off."""
    limit_headers = {name: value for name, value in response.getheaders() if "ratelimit-" in name.lower()}
    limit = response.getheader(RATE_LIMIT_HEADER)
    if rate_limited and limit != str(UNREACHED_LIMIT):
        msg = f"{setup_name}: {RATE_LIMIT_HEADER} is {limit}, expected {UNREACHED_LIMIT}: the limiter is not on as set"
        raise BenchmarkError(msg)
    if not rate_limited and limit_headers:
        msg = f"{setup_name}: the limiter should be off, but the answer has {limit_headers}"
        raise BenchmarkError(msg)


def check_setup(port: int, setup: CacheSetup, redis_url: str, prefix: str) -> str:
    """Create one item and read it once; fail unless the answer shows the setup's cache and limiter.

    Returns the item's path. The read fills the cache, so every timed read of a cached setup hits it.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        [item_id] = create_items(connection, 1, setup.key)  # servers of one bake share its database
        path = f"{ITEMS_PATH}/{item_id}"
        response = get_ok(connection, path)
    finally:
        connection.close()
    check_limiter(response, setup.name, rate_limited=setup.rate_limited)
    if setup.redis and cache_keys(redis_url, prefix) == 0:
        msg = f"{setup.name}: no cache key in Redis after GET {path}: the read does not go through the cache"
        raise BenchmarkError(msg)
    return path


def sequential_latency(port: int, path: str, config: Config) -> LatencySample:
    """Warm up, then time GETs one after another over one connection, reopened only when the server closes it."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        return timed_calls(connection, lambda: get_ok(connection, path), config.warmup, config.requests)
    finally:
        connection.close()


def timed_calls(
    connection: http.client.HTTPConnection, call: Callable[[], object], warmup: int, number: int
) -> LatencySample:
    """Call `warmup` times, then time `number` calls one after another, each a request over `connection`.

    A server that closes the connection after each response makes http.client reconnect before
    the next request: those reconnections are counted, and timed with the request.
    """
    times = []
    opened = 0
    for _ in range(warmup):
        call()
    for _ in range(number):
        opened += connection.sock is None  # http.client reconnects on its own
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    p99 = statistics.quantiles(times, n=100)[98]
    return LatencySample(statistics.median(times) * 1000, p99 * 1000, len(times), opened)


def benchmark_cache(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[CacheSetup, list[LatencySample]]:
    """Serve every setup at once, check each, then time them in turn, `runs` times."""
    progress(
        f"redis {framework.name}: PostgreSQL + Redis, {config.runs} x ({', '.join(s.key for s in CACHE_SETUPS)}), "
        f"{config.warmup} warm-up + {config.requests} timed sequential GETs each"
    )
    targets = cache_targets(framework, postgres, redis_server, config, workdir)
    samples: dict[CacheSetup, list[LatencySample]] = {setup: [] for setup in CACHE_SETUPS}
    with contextlib.ExitStack() as servers:
        paths = {}
        for setup, target in targets.items():
            port = servers.enter_context(served(target, workdir / f"server-{setup.key}"))
            paths[setup] = port, check_setup(port, setup, redis_server.url, key_prefix(framework, setup))
        for run in range(1, config.runs + 1):
            for setup, (port, path) in paths.items():
                sample = sequential_latency(port, path, config)
                samples[setup].append(sample)
                progress(
                    f"  {setup.name} run {run}/{config.runs}: median {sample.median_ms:.2f} ms, "
                    f"p99 {sample.p99_ms:.2f} ms, {sample.new_connections} new connections"
                )
    return samples


def with_postgres_and_redis(
    config: Config, workdir: Path, part: str, rows: Callable[[Framework, Server, Server, Path], list[Row]]
) -> list[Row]:
    """Every framework against one PostgreSQL and one Redis server: `rows(framework, postgres, redis, dir)`."""
    servers = workdir / f"{part}-servers"
    try:
        with throwaway("PostgreSQL", servers) as postgres, throwaway("Redis", servers) as redis_server:
            return per_framework(
                config, workdir, part, lambda framework, directory: rows(framework, postgres, redis_server, directory)
            )
    except BenchmarkError as exc:  # a server did not start
        return [skipped(part, exc)]


def redis_part(config: Config, workdir: Path) -> list[Row]:
    return with_postgres_and_redis(
        config,
        workdir,
        "redis",
        lambda framework, postgres, redis_server, directory: cache_rows(
            framework.name, benchmark_cache(framework, postgres, redis_server, config, directory)
        ),
    )


# --- auth ---------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(port: int, credentials: Mapping[str, str]) -> None:
    """Check the server is ready, then register the user; a bake without auth routes fails here, saying so."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        expect(request(connection, "GET", READY_PATH), HTTPStatus.OK, f"GET {READY_PATH}")
        response, content = send(connection, "POST", REGISTER_PATH, dict(credentials))
    finally:
        connection.close()
    if response.status in {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}:
        msg = f"POST {REGISTER_PATH}: status {response.status}: the bake has no auth routes"
        raise BenchmarkError(msg)
    user = expect(
        (response.status, json_object("POST", REGISTER_PATH, content)), HTTPStatus.CREATED, f"POST {REGISTER_PATH}"
    )
    if user.get("email") != credentials["email"]:
        msg = f"POST {REGISTER_PATH}: expected the user {credentials['email']}: {str(user)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)


def log_in(connection: http.client.HTTPConnection, credentials: Mapping[str, str]) -> str:
    """Log in; return the access token."""
    tokens = expect(request(connection, "POST", LOGIN_PATH, dict(credentials)), HTTPStatus.OK, f"POST {LOGIN_PATH}")
    token = tokens.get("access_token")
    if not isinstance(token, str) or str(tokens.get("token_type")).lower() != "bearer":
        msg = f"POST {LOGIN_PATH}: expected a bearer access_token, got the keys {sorted(tokens)}"
        raise BenchmarkError(msg)
    return token


def authorize(port: int, credentials: Mapping[str, str], setup: LimiterSetup) -> str:
    """Log in and read GET /users/me with the token once; return the token.

    Fails unless the read answers 200 with the user's email and rate limit headers as the setup sets:
    a run that loads anything else is misconfigured.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        token = log_in(connection, credentials)
        response, content = send(connection, "GET", ME_PATH, headers=bearer(token))
    finally:
        connection.close()
    user = json_object("GET", ME_PATH, content)
    if response.status != HTTPStatus.OK or user.get("email") != credentials["email"]:
        msg = (
            f"{setup.name}: GET {ME_PATH} with the token: status {response.status}, expected 200 "
            f"with {credentials['email']}: {str(user)[:SKIP_REASON_CHARS]}"
        )
        raise BenchmarkError(msg)
    check_limiter(response, setup.name, rate_limited=setup.rate_limited)
    return token


def password_cost(database_url: str, email: str) -> str:
    """The Argon2id parameters of the user's stored hash, e.g. m=65536,t=3,p=4; fail for any other hash."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute('SELECT password_hash FROM "user" WHERE email = %s', (email,)).fetchone()
    match = None if row is None else ARGON2ID_HASH.match(str(row[0]))
    if match is None:
        msg = f"the password of {email} is not stored as an Argon2id hash"
        raise BenchmarkError(msg)
    return match.group(1)


def access_token_minutes(config: Config) -> int:
    """The template's default, unless a long run needs the token to outlive all its loads."""
    load_s = len(AUTH_SETUPS) * (min(DB_WARMUP_S, config.duration_s) + config.runs * config.duration_s)
    needed = math.ceil(load_s / 60) + ACCESS_TOKEN_MARGIN_MINUTES
    return min(max(DEFAULT_ACCESS_TOKEN_MINUTES, needed), MAX_ACCESS_TOKEN_MINUTES)


def auth_targets(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[LimiterSetup, Target]:
    """Bake and migrate the auth variant once; return each setup's target, with Redis keys of its own."""
    database = f"bench_auth_{framework.name}"
    answers = {**framework.answers, "use_redis": True, "use_auth": True}
    env = {"REDIS_URL": redis_server.url, "AUTH__ACCESS_TOKEN_MINUTES": str(access_token_minutes(config))}
    base = deploy(answers, postgres, database, config, workdir, env=env)
    return {
        setup: replace(
            base,
            kind=setup.key,
            env={**base.env, **setup.env, "REDIS__KEY_PREFIX": f"{database}_{setup.key}", **config.app_env},
        )
        for setup in AUTH_SETUPS
    }


def login_latency(port: int, credentials: Mapping[str, str], token: str) -> tuple[LatencySample, LatencySample]:
    """Time logins, then GET /users/me with the token, one at a time over one connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        login = timed_calls(connection, lambda: log_in(connection, credentials), LOGIN_WARMUP, TIMED_LOGINS)
        me = timed_calls(connection, lambda: get_ok(connection, ME_PATH, bearer(token)), READ_WARMUP, TIMED_READS)
    finally:
        connection.close()
    return login, me


def benchmark_auth(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> AuthResults:
    """Serve both setups at once, register and check; load them in turn, `runs` times; then time logins."""
    progress(
        f"auth {framework.name}: PostgreSQL + Redis, {config.runs} x ({', '.join(s.key for s in AUTH_SETUPS)}) "
        f"GET {ME_PATH}, wrk -t1 -c{config.connections} -d{config.duration_s}s; "
        f"then {TIMED_LOGINS} logins and {TIMED_READS} reads one at a time"
    )
    targets = auth_targets(framework, postgres, redis_server, config, workdir)
    credentials = {"email": AUTH_EMAIL, "password": secrets.token_urlsafe(PASSWORD_BYTES)}
    loads: dict[LimiterSetup, list[tuple[float, float]]] = {setup: [] for setup in AUTH_SETUPS}
    with contextlib.ExitStack() as servers:
        ports = {
            setup: servers.enter_context(served(target, workdir / f"server-{setup.key}"))
            for setup, target in targets.items()
        }
        register(ports[LIMITER_OFF], credentials)  # the setups share the bake's database
        cost = password_cost(targets[LIMITER_OFF].env["DATABASE_URL"], AUTH_EMAIL)
        tokens = {setup: authorize(port, credentials, setup) for setup, port in ports.items()}
        warmup = replace(config, duration_s=min(DB_WARMUP_S, config.duration_s))
        for setup, port in ports.items():
            run_wrk(port, warmup, ME_PATH, headers=bearer(tokens[setup]))
        for run in range(1, config.runs + 1):
            for setup, port in ports.items():
                requests_per_s, p99_ms = run_wrk(port, config, ME_PATH, headers=bearer(tokens[setup]))
                loads[setup].append((requests_per_s, p99_ms))
                progress(f"  {setup.name} run {run}/{config.runs}: {requests_per_s:,.0f} req/s, p99 {p99_ms:.1f} ms")
        login, me = login_latency(ports[LIMITER_OFF], credentials, tokens[LIMITER_OFF])
        progress(f"  login median {login.median_ms:.1f} ms ({cost}), {ME_PATH} median {me.median_ms:.2f} ms")
    return AuthResults(cost, loads, login, me)


def auth_part(config: Config, workdir: Path) -> list[Row]:
    return with_postgres_and_redis(
        config,
        workdir,
        "auth",
        lambda framework, postgres, redis_server, directory: auth_rows(
            framework.name, benchmark_auth(framework, postgres, redis_server, config, directory)
        ),
    )


# --- report -------------------------------------------------------------------------


def median_of(samples: Sequence[Sample], attribute: str) -> float:
    return statistics.median(float(getattr(sample, attribute)) for sample in samples)


def bake_figure(answers: Mapping[str, object], config: Config, workdir: Path) -> tuple[str, float]:
    """Bake the variant repeatedly; return the figure as text and the median in seconds."""
    progress(f"bake {describe(answers)}: {config.bake_runs} runs")
    times = bake_times(answers, config.bake_runs, workdir)
    median = statistics.median(times)
    return f"{median:.3f} s median of {len(times)} (min {min(times):.3f}, max {max(times):.3f})", median


def bake_rows(config: Config, workdir: Path) -> list[Row]:
    value, median = bake_figure(DEFAULT_VARIANT, config, workdir)
    default = Row(f"bake default ({describe(DEFAULT_VARIANT)})", value, f"< {BAKE_GOAL_S} s", median < BAKE_GOAL_S)
    value, _ = bake_figure(LARGEST_VARIANT, config, workdir)
    return [default, Row(f"bake largest ({describe(LARGEST_VARIANT)})", value)]


def http_rows(name: str, samples: Samples) -> list[Row]:
    bare_rate = median_of(samples.bare, "requests_per_s")
    full_rate = median_of(samples.full, "requests_per_s")
    ratio = full_rate / bare_rate
    cold = median_of(samples.full, "cold_start_s")
    rss = max(sample.rss_mib for sample in samples.full)
    n = len(samples.full)
    rows = [
        Row(f"{name} req/s bare | full, median of {n}", f"{bare_rate:,.0f} | {full_rate:,.0f}"),
        Row(f"{name} ratio full/bare", f"{ratio:.2f}", f">= {RATIO_GOAL}", ratio >= RATIO_GOAL),
        Row(
            f"{name} p99 latency bare | full",
            f"{median_of(samples.bare, 'p99_ms'):.1f} ms | {median_of(samples.full, 'p99_ms'):.1f} ms",
        ),
        Row(
            f"{name} cold start full, median of {n}",
            f"{cold:.2f} s (bare {median_of(samples.bare, 'cold_start_s'):.2f} s)",
            f"< {COLD_START_GOAL_S} s",
            cold < COLD_START_GOAL_S,
        ),
        Row(
            f"{name} RSS after load, full{' worker' if is_master(samples) else ''}",
            f"{rss:.1f} MiB (bare {max(sample.rss_mib for sample in samples.bare):.1f} MiB)",
            f"< {RSS_GOAL_MIB:.0f} MiB",
            rss < RSS_GOAL_MIB,
        ),
    ]
    masters = [sample.master_rss_mib for sample in samples.full if sample.master_rss_mib is not None]
    if masters:
        rows.append(Row(f"{name} RSS full master (not serving)", f"{max(masters):.1f} MiB"))
    return rows


def db_rows(name: str, results: Mapping[str, Sequence[DbSample]]) -> list[Row]:
    """Per endpoint: median rate and p99, and the connections opened over all runs."""
    rows = []
    for endpoint, samples in results.items():
        rate = statistics.median(sample.requests_per_s for sample in samples)
        p99 = statistics.median(sample.p99_ms for sample in samples)
        goal = DB_RATE_GOALS.get((name, endpoint))
        rows.append(
            Row(
                f"db {name} {endpoint} req/s | p99, median of {len(samples)}",
                f"{rate:,.0f} | {p99:.1f} ms",
                "" if goal is None else f">= {goal:,} req/s (2x {REFERENCE_LIST_RPS})",
                None if goal is None else rate >= goal,
            )
        )
        new = sum(sample.new_connections for sample in samples)
        seconds = sum(sample.duration_s for sample in samples)
        rows.append(
            Row(
                f"db {name} {endpoint} new server connections/s",
                f"{new / seconds:.2f} ({new} in {seconds:.0f} s; {samples[-1].open_connections} open after)",
                "0",
                new == 0,
            )
        )
    return rows


def cache_rows(name: str, results: Mapping[CacheSetup, Sequence[LatencySample]]) -> list[Row]:
    """Per setup: median and p99 latency (each the median over the runs); then the differences."""
    figures = {
        setup: (
            statistics.median(sample.median_ms for sample in samples),
            statistics.median(sample.p99_ms for sample in samples),
        )
        for setup, samples in results.items()
    }
    rows = [
        Row(
            f"redis {name} GET one item, {setup.name}: median | p99, median of {len(results[setup])}",
            f"{median:.2f} ms | {p99:.2f} ms{reconnections(results[setup])}",
        )
        for setup, (median, p99) in figures.items()
    ]
    for figure, slower, faster in (
        ("cache gain, uncached - cached", UNCACHED, CACHED),
        ("limiter cost, (cached + limiter) - cached", LIMITED, CACHED),
    ):
        (slow_median, slow_p99), (fast_median, fast_p99) = figures[slower], figures[faster]
        rows.append(
            Row(
                f"redis {name} {figure}: median | p99",
                f"{slow_median - fast_median:+.2f} ms | {slow_p99 - fast_p99:+.2f} ms",
            )
        )
    return rows


def auth_rows(name: str, results: AuthResults) -> list[Row]:
    """Per setup: median rate and p99 of GET /users/me; the limiter's cost; then login against a read."""
    figures = {
        setup: (statistics.median(rate for rate, _ in loads), statistics.median(p99 for _, p99 in loads))
        for setup, loads in results.loads.items()
    }
    rows = []
    for setup, (rate, p99) in figures.items():
        goal = AUTH_RATE_GOALS.get(name) if setup is LIMITER_OFF else None
        rows.append(
            Row(
                f"auth {name} GET /users/me, {setup.name}: req/s | p99, median of {len(results.loads[setup])}",
                f"{rate:,.0f} | {p99:.1f} ms",
                "" if goal is None else f">= {goal:,.0f} req/s ({ME_GOAL_FACTOR}x {REFERENCE_ME_RPS})",
                None if goal is None else rate >= goal,
            )
        )
    (off_rate, off_p99), (on_rate, on_p99) = figures[LIMITER_OFF], figures[LIMITER_ON]
    rows.append(
        Row(
            f"auth {name} limiter cost, on - off: req/s | p99",
            f"{(on_rate / off_rate - 1) * 100:+.0f}% | {on_p99 - off_p99:+.1f} ms",
        )
    )
    login, me = results.login, results.me
    rows += [
        Row(
            f"auth {name} login (Argon2id, production cost) median of {login.requests}",
            f"{login.median_ms:.1f} ms, {login.median_ms / me.median_ms:.0f}x a read "
            f"({results.password_cost}){reconnections([login])}",
        ),
        Row(f"auth {name} /users/me median of {me.requests}", f"{me.median_ms:.2f} ms{reconnections([me])}"),
    ]
    return rows


def reconnections(samples: Sequence[LatencySample]) -> str:
    """A note when the server closed connections, so timed requests also opened new ones."""
    opened = sum(sample.new_connections for sample in samples)
    if opened == 0:
        return ""
    if opened == sum(sample.requests for sample in samples):
        return " (a new connection per request)"
    return f" ({opened} reconnections)"


def is_master(samples: Samples) -> bool:
    return any(sample.master_rss_mib is not None for sample in samples.full)


def table(rows: Sequence[Row]) -> str:
    cells = [("figure", "value", "goal", "result")] + [
        (row.figure, row.value, row.goal, {True: "pass", False: "FAIL", None: ""}[row.passed]) for row in rows
    ]
    widths = [max(len(cell[column]) for cell in cells) for column in range(4)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------


def count(minimum: int) -> Callable[[str], int]:
    """Build an argparse type that accepts whole numbers of at least `minimum`."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < minimum:
            msg = f"expected a whole number >= {minimum}, got {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return int(text)

    return parse


def pick(given: int | None, *, quick: int, full: int, is_quick: bool) -> int:
    """Return the explicit value if there is one, else the default of the mode."""
    if given is not None:
        return given
    return quick if is_quick else full


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="smoke check: 1 bake, 1 run of 3 s or 200 sequential requests each"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part: bake, http (bare vs full app), db (PostgreSQL reads), "
        "redis (cached read and rate limiter latency) or auth (GET /users/me with a token, login cost); "
        "repeatable",
    )
    parser.add_argument("--bake-runs", type=count(0), help="bakes per variant; 0 skips baking (default 10, quick 1)")
    parser.add_argument("--runs", type=count(1), help="load runs per app (default 3, quick 1)")
    parser.add_argument("--duration", type=count(1), help="seconds per wrk run (default 10, quick 3)")
    parser.add_argument("--connections", type=count(1), default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--requests",
        type=count(2),
        help="timed sequential requests per run of the redis part (default 2000, quick 200)",
    )
    parser.add_argument(
        "--framework",
        action="append",
        choices=sorted(FRAMEWORKS),
        help="benchmark only this framework (repeatable; default all)",
    )
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the baked app, e.g. LOG_LEVEL=WARNING (repeatable)",
    )
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.app_env):
        parser.error("--app-env takes NAME=VALUE")
    return Config(
        bake_runs=pick(args.bake_runs, quick=1, full=10, is_quick=args.quick),
        runs=pick(args.runs, quick=1, full=3, is_quick=args.quick),
        duration_s=pick(args.duration, quick=3, full=10, is_quick=args.quick),
        connections=args.connections,
        requests=pick(args.requests, quick=200, full=2000, is_quick=args.quick),
        warmup=QUICK_LATENCY_WARMUP if args.quick else LATENCY_WARMUP,
        frameworks=tuple(args.framework or FRAMEWORKS),
        parts=tuple(args.only or PARTS),
        app_env=dict(item.split("=", 1) for item in args.app_env),
    )


def exit_on_sigterm(signum: int, _: FrameType | None) -> NoReturn:
    """Turn SIGTERM into SystemExit so every `finally` stops its server."""
    raise SystemExit(128 + signum)


def run(config: Config, workdir: Path) -> list[Row]:
    rows = bake_rows(config, workdir) if config.bake_runs and "bake" in config.parts else []
    if "http" in config.parts:
        rows.extend(http_part(config, workdir))
    if "db" in config.parts:
        rows.extend(db_part(config, workdir))
    if "redis" in config.parts:
        rows.extend(redis_part(config, workdir))
    if "auth" in config.parts:
        rows.extend(auth_part(config, workdir))
    return rows


def http_part(config: Config, workdir: Path) -> list[Row]:
    return per_framework(
        config,
        workdir,
        "",
        lambda framework, directory: http_rows(framework.name, benchmark_framework(framework, config, directory)),
    )


def footer(config: Config) -> str:
    """How the parts that ran loaded the servers."""
    loads = []
    if {"http", "db", "auth"} & set(config.parts):
        loads.append(f"wrk -t1 -c{config.connections} -d{config.duration_s}s, {config.runs} run(s) per app")
    if "redis" in config.parts:
        loads.append(f"{config.warmup} + {config.requests} sequential GETs, {config.runs} run(s) per redis setup")
    if "auth" in config.parts:
        loads.append(
            f"{LOGIN_WARMUP} + {TIMED_LOGINS} sequential logins, {READ_WARMUP} + {TIMED_READS} sequential reads"
        )
    return "; ".join(loads) or "bake only"


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="benchmark-") as workdir:
            rows = run(config, Path(workdir))
    except KeyboardInterrupt:
        progress("interrupted; servers stopped")
        return 130
    print(f"\n{table(rows)}\n\n{footer(config)}, {os.cpu_count()} CPUs; took {time.perf_counter() - started:.0f} s")
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
