"""Background tasks: what enqueueing costs the API, how long a task takes to come back, one worker's rate.

Bakes use_redis=true, use_celery=true, use_auth=true against a throwaway PostgreSQL and Redis, serves
the API with one worker next to one Celery worker process (`worker --concurrency 1`), registers one
user and times `POST /api/v1/items/imports` one at a time with the worker paused, so only the API's
work is timed; then enqueue to done, one at a time, read from Celery's result. The worker's rate is
timed on a full queue, for the near no-op `maintenance.canary` and the database task `items.import`,
counting the database connections it opens meanwhile (pg_stat_database.sessions): a reused pool opens
none.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import itertools
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import redis
from celery import Celery
from celery.exceptions import CeleryError
from kombu.exceptions import KombuError

from tests.served_app import HOST, STARTUP_TIMEOUT_S, ServeError, log_tail, stop

from .api import REQUEST_TIMEOUT_S, LatencySample, check_limiter, json_object, reconnections, send, timed_calls
from .auth import LIMITER_ON, bearer, log_in, register
from .config import SKIP_REASON_CHARS, BenchmarkError, progress
from .db import STATS_SETTLE_S, connection_stats
from .deploy import deploy, served, with_postgres_and_redis
from .report import Row

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from celery.result import AsyncResult

    from tests.servers import Server

    from .config import Config, Framework, Target
    from .db import ConnectionStats

IMPORTS_PATH = "/api/v1/items/imports"
TASKS_PATH = "/api/v1/tasks"
IMPORT_ITEMS = "items.import"
CANARY = "maintenance.canary"
QUEUE = "celery"  # Celery's default queue; the project routes every task there
TASKS_EMAIL = "tasks.benchmark@example.com"
PASSWORD_BYTES = 24
ROUND_TRIP_WARMUP = 10
ROUND_TRIP_SHARE = 4  # enqueue-to-done round trips: a quarter of the timed enqueues
# Tasks of each kind the worker runs before a timed batch: its pool and Redis client are open by then.
WORKER_WARMUP = 50
TASK_TIMEOUT_S = 60.0
DRAIN_POLL_S = 0.01
CONTROL_TIMEOUT_S = 5.0
CONNECTIONS_PER = 1000


@dataclass(frozen=True)
class Batch:
    """One timed batch of tasks on a full queue, and the database connections opened meanwhile."""

    tasks: int
    seconds: float
    new_connections: int
    open_connections: int

    @property
    def per_s(self) -> float:
        return self.tasks / self.seconds


@dataclass(frozen=True)
class TaskResults:
    enqueue: LatencySample
    round_trip: LatencySample
    canary: Batch
    imports: Batch


@dataclass(frozen=True)
class Broker:
    """The Celery client and the Redis keys of one project: its queue, unacknowledged tasks and canary."""

    client: Celery
    redis: redis.Redis
    key_prefix: str

    @property
    def queue_key(self) -> str:
        return f"{self.key_prefix}:celery:{QUEUE}"

    @property
    def unacked_key(self) -> str:
        return f"{self.key_prefix}:celery:unacked"

    @property
    def canary_key(self) -> str:
        return f"{self.key_prefix}:canary"


@contextlib.contextmanager
def broker_errors(what: str) -> Iterator[None]:
    """Celery, kombu and Redis failures as a BenchmarkError, so only this framework is skipped."""
    try:
        yield
    except (CeleryError, KombuError, redis.RedisError, OSError) as exc:
        msg = f"{what}: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc


def round_trips(config: Config) -> int:
    """Timed enqueue-to-done round trips: a share of the timed enqueues, each waiting for the worker."""
    return max(config.requests // ROUND_TRIP_SHARE, 2)


def task_client(redis_url: str, key_prefix: str) -> Celery:
    """A plain Celery app sending and reading tasks as the project's does (core/task_queue.py)."""
    # The project's broker and result keys all start with this prefix, on both sides.
    options = {"global_keyprefix": f"{key_prefix}:celery:"}
    client = Celery("benchmark", set_as_current=False)
    client.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
        broker_transport_options=options,
        result_backend_transport_options=options,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
    )
    return client


@contextlib.contextmanager
def broker(target: Target) -> Iterator[Broker]:
    """A Celery client and a Redis connection to the target's broker, closed afterwards."""
    prefix = target.env["REDIS__KEY_PREFIX"]  # --app-env may have set another
    client = task_client(target.env["REDIS_URL"], prefix)
    connection = redis.Redis.from_url(target.env["REDIS_URL"], socket_timeout=REQUEST_TIMEOUT_S)
    try:
        yield Broker(client, connection, prefix)
    finally:
        client.close()
        connection.close()


@contextlib.contextmanager
def worker(target: Target, log_path: Path, queue: Broker) -> Iterator[subprocess.Popen[bytes]]:
    """Run `<package> worker --concurrency 1` until it has run a canary; stop it and its pool afterwards."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", target.module, "worker", "--concurrency", "1"],
            cwd=target.cwd,
            env=target.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # as the served app: a terminal's Ctrl-C reaches only us
        )
    try:
        wait_until_working(process, queue, log_path)
        yield process
    finally:
        stop(process)


def wait_until_working(process: subprocess.Popen[bytes], queue: Broker, log_path: Path) -> None:
    """Send a canary and wait for its Redis key: proof the worker consumes, whatever its log level."""
    with broker_errors("worker start"):
        queue.redis.delete(queue.canary_key)
        queue.client.send_task(CANARY)
        deadline = time.perf_counter() + STARTUP_TIMEOUT_S
        while queue.redis.get(queue.canary_key) is None:
            if process.poll() is not None:
                msg = f"worker exited with status {process.returncode}: {log_tail(log_path)}"
                raise ServeError(msg)
            if time.perf_counter() > deadline:
                msg = f"worker ran no canary within {STARTUP_TIMEOUT_S:.0f} s: {log_tail(log_path)}"
                raise ServeError(msg)
            time.sleep(DRAIN_POLL_S)


def control(action: Callable[..., Any], what: str) -> None:
    """Tell the worker to stop or start consuming the queue; fail unless it answers."""
    with broker_errors(what):
        # limit=1: back at the one worker's answer; without it Celery waits out the whole timeout.
        replies = action(QUEUE, reply=True, timeout=CONTROL_TIMEOUT_S, limit=1)
    if not replies or not all("ok" in answer for reply in replies for answer in reply.values()):
        msg = f"{what}: the worker answered {str(replies)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)


def pause(queue: Broker) -> None:
    control(queue.client.control.cancel_consumer, "pause the worker")
    # A blocking read already waiting may still take one message: let it time out (kombu's is 1 s).
    time.sleep(STATS_SETTLE_S)


def resume(queue: Broker) -> None:
    control(queue.client.control.add_consumer, "resume the worker")


def wait_drained(queue: Broker) -> None:
    """Wait until no task is queued or unacknowledged (late acks: acknowledged once it has run).

    A message is off the queue a moment before it is recorded as unacknowledged, so the queue
    counts as drained only when two polls in a row see both empty. Fails once nothing has moved
    for TASK_TIMEOUT_S, however long the queue.
    """
    deadline = time.perf_counter() + TASK_TIMEOUT_S
    left, empty_polls = -1, 0
    with broker_errors("wait for the queue"):
        while empty_polls < 2:  # noqa: PLR2004 - two polls in a row
            time.sleep(DRAIN_POLL_S)
            queued, unacked = queue.redis.llen(queue.queue_key), queue.redis.hlen(queue.unacked_key)
            if queued + unacked != left:
                left, deadline = queued + unacked, time.perf_counter() + TASK_TIMEOUT_S
            elif time.perf_counter() > deadline:
                msg = f"{queued} tasks queued and {unacked} unacknowledged for {TASK_TIMEOUT_S:.0f} s"
                raise BenchmarkError(msg)
            empty_polls = 0 if left else empty_polls + 1


def enqueue(connection: http.client.HTTPConnection, token: str, name: str) -> tuple[str, http.client.HTTPResponse]:
    """POST one item to import; return the task id (checked against the Location) and the response."""
    response, content = send(connection, "POST", IMPORTS_PATH, {"items": [{"name": name}]}, bearer(token))
    body = json_object("POST", IMPORTS_PATH, content)
    task_id = body.get("id")
    if response.status != HTTPStatus.ACCEPTED or not isinstance(task_id, str):
        msg = f"POST {IMPORTS_PATH}: status {response.status}, expected 202: {str(body)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    location, status_url = response.getheader("Location"), body.get("status_url")
    if location != f"{TASKS_PATH}/{task_id}" or status_url != location:
        msg = f"POST {IMPORTS_PATH}: Location {location} and status_url {status_url}, expected {TASKS_PATH}/{task_id}"
        raise BenchmarkError(msg)
    return task_id, response


def finished(result: AsyncResult[Any]) -> dict[str, Any]:
    """Wait for an import; its result, unless it failed."""
    with broker_errors(f"task {result.id}"):
        outcome = result.get(timeout=TASK_TIMEOUT_S, propagate=False)
        state = result.state
    if state != "SUCCESS" or not isinstance(outcome, dict):
        msg = f"task {result.id}: {state}: {str(outcome)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)
    return outcome


def check_status(connection: http.client.HTTPConnection, token: str, task_id: str) -> None:
    """The API's own view of a finished import: SUCCESS, with the one item created."""
    path = f"{TASKS_PATH}/{task_id}"
    response, content = send(connection, "GET", path, headers=bearer(token))
    task = json_object("GET", path, content)
    created = (task.get("result") or {}).get("created")
    if response.status != HTTPStatus.OK or task.get("state") != "SUCCESS" or len(created or []) != 1:
        msg = f"GET {path}: status {response.status}, expected SUCCESS with 1 item: {str(task)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)


def api_latency(
    port: int, token: str, queue: Broker, names: Iterator[str], config: Config
) -> tuple[LatencySample, LatencySample]:
    """Time enqueues with the worker paused, then enqueue-to-done round trips with it working."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        _, response = enqueue(connection, token, next(names))
        check_limiter(response, LIMITER_ON.name, rate_limited=True)
        pause(queue)
        enqueued = timed_calls(
            connection, lambda: enqueue(connection, token, next(names)), config.warmup, config.requests
        )
        # Dropped, not run: this part times the API only, and the worker's rate is timed below.
        with broker_errors("purge the queue"):
            queue.redis.delete(queue.queue_key)
        resume(queue)
        wait_drained(queue)

        def round_trip() -> str:
            task_id, _ = enqueue(connection, token, next(names))
            finished(queue.client.AsyncResult(task_id))
            return task_id

        done = timed_calls(connection, round_trip, ROUND_TRIP_WARMUP, round_trips(config))
        check_status(connection, token, round_trip())
    finally:
        connection.close()
    return enqueued, done


def timed_batch(
    queue: Broker, submit: Callable[[], AsyncResult[Any]], number: int, stats: Callable[[], ConnectionStats]
) -> tuple[Batch, list[AsyncResult[Any]]]:
    """Queue `number` tasks with the worker paused, then time it emptying the full queue.

    Timed to the last acknowledgement, polled in Redis: the same for tasks with and without a
    result, and no results are read meanwhile, so the benchmark takes no CPU from the worker.
    """
    pause(queue)  # also waits past STATS_SETTLE_S, so the warm-up's connections are counted by now
    before = stats()
    with broker_errors("send the tasks"):
        sent = [submit() for _ in range(number)]
        queued = queue.redis.llen(queue.queue_key)
    if queued != number:
        msg = f"{queued} of {number} tasks queued with the worker paused"
        raise BenchmarkError(msg)
    started = time.perf_counter()
    resume(queue)
    wait_drained(queue)
    seconds = time.perf_counter() - started
    time.sleep(STATS_SETTLE_S)
    after = stats()
    return Batch(number, seconds, after.sessions - before.sessions, after.open), sent


def worker_rates(
    queue: Broker, names: Iterator[str], stats: Callable[[], ConnectionStats], number: int
) -> tuple[Batch, Batch]:
    """Warm up, then time a full queue of canaries and one of single-item imports."""

    def canary() -> AsyncResult[Any]:
        return queue.client.send_task(CANARY)

    def import_one() -> AsyncResult[Any]:
        return queue.client.send_task(IMPORT_ITEMS, kwargs={"items": [{"name": next(names)}]})

    warmup = [submit() for submit in (canary, import_one) for _ in range(WORKER_WARMUP)]
    wait_drained(queue)
    for result in warmup[WORKER_WARMUP:]:
        finished(result)
    ran_from = time.time()
    canaries, _ = timed_batch(queue, canary, number, stats)
    with broker_errors("read the canary"):
        last_run = queue.redis.get(queue.canary_key)
    # Canaries keep no result: one that failed would not have written its key since the batch began.
    if last_run is None or float(last_run) < ran_from:
        msg = f"no canary of the batch wrote {queue.canary_key}"
        raise BenchmarkError(msg)
    imports, results = timed_batch(queue, import_one, number, stats)
    for result in results:
        finished(result)
    return canaries, imports


def database_name(framework: Framework) -> str:
    return f"bench_tasks_{framework.name}"


def tasks_target(framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path) -> Target:
    """Bake and migrate the Celery variant with auth; the API and the worker share its environment."""
    database = database_name(framework)
    answers = {**framework.answers, "use_redis": True, "use_celery": True, "use_auth": True}
    env = {
        "REDIS_URL": redis_server.url,
        **LIMITER_ON.env,
        # Unique to this run, and where the benchmark looks for the queue.
        "REDIS__KEY_PREFIX": f"{database}_{secrets.token_hex(4)}",
        # Not the shared temporary folder, where another worker of the same package writes its own.
        "CELERY__HEARTBEAT_DIR": str(workdir),
    }
    return deploy(answers, postgres, database, config, workdir, env=env)


def benchmark_tasks(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> TaskResults:
    """Serve the API and one worker; time enqueues and round trips, then the worker's rate on full queues."""
    progress(
        f"tasks {framework.name}: PostgreSQL + Redis, one worker process; {config.warmup} + {config.requests} "
        f"sequential enqueues, {ROUND_TRIP_WARMUP} + {round_trips(config)} round trips, "
        f"{WORKER_WARMUP} + {config.requests} tasks per worker batch"
    )
    target = tasks_target(framework, postgres, redis_server, config, workdir)
    credentials = {"email": TASKS_EMAIL, "password": secrets.token_urlsafe(PASSWORD_BYTES)}
    names = (f"tasks benchmark {n}" for n in itertools.count())
    stats = functools.partial(connection_stats, postgres.url, database_name(framework))
    with (
        broker(target) as queue,
        served(target, workdir / "server") as app,
        worker(target, workdir / "worker.log", queue),
    ):
        register(app.port, credentials)
        connection = http.client.HTTPConnection(HOST, app.port, timeout=REQUEST_TIMEOUT_S)
        try:
            token = log_in(connection, credentials)
        finally:
            connection.close()
        enqueued, done = api_latency(app.port, token, queue, names, config)
        progress(
            f"  enqueue median {enqueued.median_ms:.2f} ms, p99 {enqueued.p99_ms:.2f} ms; "
            f"enqueue to done median {done.median_ms:.2f} ms, p99 {done.p99_ms:.2f} ms"
        )
        canaries, imports = worker_rates(queue, names, stats, config.requests)
        progress(
            f"  {CANARY} {canaries.per_s:,.0f}/s, {IMPORT_ITEMS} {imports.per_s:,.0f}/s, "
            f"{imports.new_connections} new connections, {imports.open_connections} open"
        )
    return TaskResults(enqueued, done, canaries, imports)


def tasks_part(config: Config, workdir: Path) -> list[Row]:
    return with_postgres_and_redis(config, workdir, "tasks", benchmark_tasks, task_rows)


def task_rows(name: str, results: TaskResults) -> list[Row]:
    """Enqueue and round-trip latency; the worker's rates; the connections it opened per 1,000 tasks."""
    enqueued, done, imports = results.enqueue, results.round_trip, results.imports
    new = imports.new_connections
    rows = [
        Row(
            f"tasks {name} POST {IMPORTS_PATH} (enqueue): median | p99 of {enqueued.requests}",
            f"{enqueued.median_ms:.2f} ms | {enqueued.p99_ms:.2f} ms{reconnections([enqueued])}",
        ),
        Row(
            f"tasks {name} enqueue to done ({IMPORT_ITEMS}, 1 item): median | p99 of {done.requests}",
            f"{done.median_ms:.2f} ms | {done.p99_ms:.2f} ms{reconnections([done])}",
        ),
    ]
    rows += [
        Row(
            f"tasks {name} one worker process, {task} on a full queue: tasks/s",
            f"{batch.per_s:,.0f} ({batch.tasks} in {batch.seconds:.1f} s)",
        )
        for task, batch in ((CANARY, results.canary), (IMPORT_ITEMS, imports))
    ]
    rows.append(
        Row(
            f"tasks {name} new database connections per {CONNECTIONS_PER:,} {IMPORT_ITEMS} after warm-up",
            f"{new * CONNECTIONS_PER / imports.tasks:.1f} ({new} in {imports.tasks} tasks; "
            f"{imports.open_connections} open after)",
            "0",
            new == 0,
        )
    )
    return rows
