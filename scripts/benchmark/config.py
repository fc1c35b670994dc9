"""What every part shares: the run's settings, the frameworks, a server to start, progress lines."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2]
SKIP_REASON_CHARS = 70


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


@dataclass(frozen=True)
class Target:
    """What to serve: the module (or package) in `cwd`, with its whole environment."""

    kind: str
    module: str
    cwd: Path
    env: dict[str, str]


FRAMEWORKS = {
    "fastapi": Framework(
        "fastapi", {"framework": "fastapi", "database": "sqlite", "use_redis": False, "use_celery": False}
    ),
    "flask": Framework("flask", {"framework": "flask", "database": "sqlite", "use_redis": False, "use_celery": False}),
}


def progress(message: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(message, file=sys.stderr, flush=True)
