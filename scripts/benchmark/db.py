"""Database reads: the PostgreSQL variants under load, and the server connections they open meanwhile.

Bakes the PostgreSQL variants, migrates them into a throwaway server (tests/servers.py), seeds
items through the API, serves each with one worker and loads a single-row read and a 10-row page,
counting the server connections opened meanwhile (pg_stat_database.sessions): a reused pool opens
none.
"""

from __future__ import annotations

import functools
import http.client
import statistics
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import psycopg

from tests.served_app import HOST

from .api import ITEMS_PATH, REQUEST_TIMEOUT_S, create_items, expect, request
from .config import SKIP_REASON_CHARS, BenchmarkError, progress
from .deploy import deploy, served, throwaway
from .report import Row, per_framework, rate_row, skipped
from .wrk import run_wrk, warmup

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from tests.servers import Server

    from .config import Config, Framework

SEED_ITEMS = 100
PAGE_SIZE = 10
ONE_ROW = "get 1 row"
PAGE_OF_ROWS = f"list {PAGE_SIZE} rows"
# A new backend reports its session to pg_stat_database when it first goes idle, and
# later statistics at most once a second: wait past that before reading the counter.
STATS_SETTLE_S = 1.5
# A popular async FastAPI template's paginated list on a comparable 2-core machine.
REFERENCE_LIST_RPS = 961
DB_RATE_GOALS = {("fastapi", PAGE_OF_ROWS): 2 * REFERENCE_LIST_RPS}


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
    run_wrk(port, warmup(config), endpoint.path)
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
    with served(target, workdir / "server") as app:
        endpoints = seed(app.port)
        progress(f"  seeded {SEED_ITEMS} items; wrk warm-up, then {config.runs} run(s) per endpoint")
        stats = functools.partial(connection_stats, server.url, database)
        return {endpoint.name: load_endpoint(app.port, endpoint, stats, config) for endpoint in endpoints}


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


def db_rows(name: str, results: Mapping[str, Sequence[DbSample]]) -> list[Row]:
    """Per endpoint: median rate and p99, and the connections opened over all runs."""
    rows = []
    for endpoint, samples in results.items():
        rate = statistics.median(sample.requests_per_s for sample in samples)
        p99 = statistics.median(sample.p99_ms for sample in samples)
        figure = f"db {name} {endpoint} req/s | p99, median of {len(samples)}"
        goal = DB_RATE_GOALS.get((name, endpoint))
        rows.append(rate_row(figure, rate, p99, goal, f"2x {REFERENCE_LIST_RPS}"))
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
