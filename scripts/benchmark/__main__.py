"""Benchmark the template: bake time, HTTP overhead, cold start, memory, database reads, Redis, auth,
tasks, the container image.

Bakes projects in-process with cookiecutter, serves the FastAPI and Flask variants with
one worker next to a bare one-file app, loads both with wrk over loopback and prints
each figure against its goal. Exits 1 when a goal is missed. One module per part (bake,
http, db, redis, auth) says what that part measures; tests/served_app.py serves the apps.

Run from the repository root:

    .venv/bin/python -m scripts.benchmark            # full run (a few minutes)
    .venv/bin/python -m scripts.benchmark --quick    # smoke check
    .venv/bin/python -m scripts.benchmark --only db  # only the database part
    .venv/bin/python -m scripts.benchmark --only redis --framework flask  # cache and limiter latency
    .venv/bin/python -m scripts.benchmark --only auth --framework fastapi  # GET /users/me and login cost
    .venv/bin/python -m scripts.benchmark --only image  # image size, build times, compose up to healthy
    .venv/bin/python -m scripts.benchmark --app-env LOG_LEVEL=WARNING  # without access log
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .auth import LOGIN_WARMUP, READ_WARMUP, TIMED_LOGINS, TIMED_READS, auth_part
from .bake import bake_rows
from .config import FRAMEWORKS, Config, progress
from .db import db_part
from .http import http_part
from .image import image_part
from .redis import redis_part
from .report import table
from .tasks import ROUND_TRIP_WARMUP, WORKER_WARMUP, round_trips, tasks_part

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType

    from .report import Row

PARTS = ("bake", "http", "db", "redis", "auth", "tasks", "image")
# Redis part: requests sent one after another, each timed alone, after a warm-up.
LATENCY_WARMUP = 300
QUICK_LATENCY_WARMUP = 30


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
    parser = argparse.ArgumentParser(
        prog="python -m scripts.benchmark", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke check: 1 bake, 1 run of 3 s or 200 sequential requests each"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part: bake, http (bare vs full app), db (PostgreSQL reads), "
        "redis (cached read and rate limiter latency), auth (GET /users/me with a token, login cost) or "
        "tasks (Celery enqueue latency, enqueue to done, one worker's tasks/s and connections) or "
        "image (image size, cold and warm build, compose up to healthy); "
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
    if "tasks" in config.parts:
        rows.extend(tasks_part(config, workdir))
    if "image" in config.parts:
        rows.extend(image_part(config, workdir))
    return rows


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
    if "tasks" in config.parts:
        loads.append(
            f"{config.warmup} + {config.requests} sequential enqueues, "
            f"{ROUND_TRIP_WARMUP} + {round_trips(config)} round trips, "
            f"{WORKER_WARMUP} + {config.requests} tasks per worker batch"
        )
    if "image" in config.parts:
        loads.append("one cold and one warm image build, one compose up")
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
