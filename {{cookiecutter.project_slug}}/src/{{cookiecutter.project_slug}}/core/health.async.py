"""Readiness checks: each dependency registers one, run concurrently with its own timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.project_slug }}.core.health_report import CheckResult, HealthCheckFailed, HealthReport
from {{ cookiecutter.project_slug }}.core.logging import get_logger

# A check returns details to report (may be empty) or raises when the dependency is unusable.
Check = Callable[[], Awaitable[dict[str, Any]]]

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Registered:
    check: Check
    timeout: float
    required: bool


class HealthRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, _Registered] = {}

    def register(self, name: str, check: Check, *, timeout: float = 2.0, required: bool = True) -> None:
        self._checks[name] = _Registered(check, timeout, required)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run(self) -> HealthReport:
        results = await asyncio.gather(*(self._run_one(name, entry) for name, entry in self._checks.items()))
        return HealthReport(checks=list(results))

    async def _run_one(self, name: str, entry: _Registered) -> CheckResult:
        started = time.perf_counter()
        try:
            details = await asyncio.wait_for(entry.check(), timeout=entry.timeout)
        except TimeoutError:
            error = f"timed out after {entry.timeout:g}s"
            details = {}
        except HealthCheckFailed as exc:
            error, details = str(exc), exc.details
        except Exception as exc:  # noqa: BLE001 - any failure makes the dependency unready
            error = type(exc).__name__
            logger.warning("health check failed", check=name, error=str(exc))
            details = {}
        else:
            latency_ms = (time.perf_counter() - started) * 1000
            return CheckResult(name, ok=True, required=entry.required, latency_ms=latency_ms, details=details)
        latency_ms = (time.perf_counter() - started) * 1000
        return CheckResult(name, ok=False, required=entry.required, latency_ms=latency_ms, details=details, error=error)
