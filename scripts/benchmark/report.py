"""The results table, and a part's run over each framework where a failure skips that framework only."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from tests.served_app import ServeError

from .config import FRAMEWORKS, SKIP_REASON_CHARS, BenchmarkError, Framework

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from .config import Config


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    goal: str = ""
    passed: bool | None = None


def rate_row(figure: str, rate: float, p99_ms: float, goal: float | None, basis: str) -> Row:
    """A load's rate and p99, against the rate it should reach if it has a goal (`basis` says why that one)."""
    value = f"{rate:,.0f} | {p99_ms:.1f} ms"
    if goal is None:
        return Row(figure, value)
    return Row(figure, value, f">= {goal:,.0f} req/s ({basis})", rate >= goal)


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
        except (BenchmarkError, ServeError, subprocess.SubprocessError, psycopg.Error) as exc:
            rows.append(skipped(label, exc))
    return rows


def skipped(label: str, exc: Exception) -> Row:
    print(f"{label}: skipped: {exc}", flush=True)
    return Row(label, f"skipped: {str(exc)[:SKIP_REASON_CHARS]}")


def table(rows: Sequence[Row]) -> str:
    cells = [("figure", "value", "goal", "result")] + [
        (row.figure, row.value, row.goal, {True: "pass", False: "FAIL", None: ""}[row.passed]) for row in rows
    ]
    widths = [max(len(cell[column]) for cell in cells) for column in range(4)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
