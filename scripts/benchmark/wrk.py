"""Loading one path of a served app with wrk."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from typing import TYPE_CHECKING

from tests.served_app import HOST, LIVE_PATH

from .config import BenchmarkError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import Config

WRK_GRACE_S = 30.0
WARMUP_S = 3


def warmup(config: Config) -> Config:
    """The settings of a warm-up load: as `config`, for a few seconds at most."""
    return replace(config, duration_s=min(WARMUP_S, config.duration_s))


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
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", result.stdout, re.MULTILINE)
    if rate is None or p99 is None:
        msg = f"cannot read wrk output: {result.stdout!r}"
        raise BenchmarkError(msg)
    return float(rate.group(1)), milliseconds(p99.group(1), p99.group(2))


def milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
