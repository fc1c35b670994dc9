"""HTTP overhead: the default FastAPI and Flask variants next to a bare one-file app.

Each is served with one worker, bare and full alternately on fresh servers, and loaded with wrk on
/health/live over loopback: requests per second, p99 latency, cold start to the first 200 and the
RSS of the serving process after the load.
"""

from __future__ import annotations

import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.served_app import HOST, descendants

from .bake import bake, cookiecutter_config
from .config import BenchmarkError, Target, progress
from .deploy import served, server_env
from .report import Row, per_framework
from .wrk import run_wrk

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .config import Config, Framework

RATIO_GOAL = 0.8
COLD_START_GOAL_S = 0.9
RSS_GOAL_MIB = 100.0

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


@dataclass(frozen=True)
class Stack:
    """How a framework is served here, bare and full alike, and its bare app."""

    bare_source: str
    command: Callable[[str, int], list[str]]


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


STACKS = {"fastapi": Stack(BARE_FASTAPI, uvicorn_command), "flask": Stack(BARE_FLASK, gunicorn_command)}


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        msg = f"no VmRSS for process {pid}"
        raise BenchmarkError(msg)
    return int(match.group(1)) / 1024


def memory(pid: int) -> tuple[float, float | None]:
    """RSS of the process serving requests; with a master process, also the master's."""
    workers = descendants(pid)
    if len(workers) == 1:
        return rss_mib(workers.pop()), rss_mib(pid)
    return rss_mib(pid), None


def measure(stack: Stack, target: Target, config: Config, logs: Path) -> Sample:
    with served(target, logs, stack.command) as app:
        requests_per_s, p99_ms = run_wrk(app.port, config)
        rss, master_rss = memory(app.process.pid)
    return Sample(app.cold_start_s, requests_per_s, p99_ms, rss, master_rss)


def prepare(framework: Framework, stack: Stack, config: Config, workdir: Path) -> tuple[Target, Target]:
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
    (bare_dir / "bare_app.py").write_text(stack.bare_source, encoding="utf-8")
    bare = Target("bare", "bare_app", bare_dir, server_env(bare_dir, {}))
    return bare, full


def benchmark_framework(framework: Framework, config: Config, workdir: Path) -> Samples:
    """Bare and full alternately, each on a fresh server."""
    progress(f"{framework.name}: {config.runs} x (bare, full), wrk -t1 -c{config.connections} -d{config.duration_s}s")
    stack = STACKS[framework.name]
    samples: dict[str, list[Sample]] = {"bare": [], "full": []}
    # (bare, full) repeated: bare, full, bare, full, ...
    for target in [*prepare(framework, stack, config, workdir)] * config.runs:
        done = samples[target.kind]
        sample = measure(stack, target, config, workdir / f"{target.kind}-{len(done) + 1}")
        done.append(sample)
        progress(
            f"  {framework.name} {target.kind} run {len(done)}/{config.runs}: "
            f"{sample.requests_per_s:,.0f} req/s, p99 {sample.p99_ms:.1f} ms, "
            f"cold start {sample.cold_start_s:.2f} s, RSS {sample.rss_mib:.1f} MiB"
        )
    return Samples(samples["bare"], samples["full"])


def http_part(config: Config, workdir: Path) -> list[Row]:
    return per_framework(
        config,
        workdir,
        "",
        lambda framework, directory: http_rows(framework.name, benchmark_framework(framework, config, directory)),
    )


def median_of(samples: Sequence[Sample], attribute: str) -> float:
    return statistics.median(float(getattr(sample, attribute)) for sample in samples)


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


def is_master(samples: Samples) -> bool:
    return any(sample.master_rss_mib is not None for sample in samples.full)
