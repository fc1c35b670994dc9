"""Baking: projects baked in-process with cookiecutter, and the bake part's figures (wall time per bake)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cookiecutter.main import cookiecutter

from .config import TEMPLATE, BenchmarkError, progress
from .report import Row

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from .config import Config

BAKE_GOAL_S = 0.5
DEFAULT_VARIANT: dict[str, object] = {}
# Every use_redis=true variant has the most files; BSD-3-Clause is the longest license.
LARGEST_VARIANT: dict[str, object] = {
    "framework": "fastapi",
    "database": "postgresql",
    "use_redis": True,
    "open_source_license": "BSD-3-Clause",
}


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
