"""Readiness checks: each dependency registers one, run concurrently with its own timeout."""

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.project_slug }}.core.health_report import CheckResult, HealthCheckFailed, HealthReport
from {{ cookiecutter.project_slug }}.core.logging import get_logger

# A check returns details to report (may be empty) or raises when the dependency is unusable.
Check = Callable[[], dict[str, Any]]

logger = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Registered:
    check: Check
    timeout: float
    required: bool


def _timed(check: Check) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    details = check()
    return details, (time.perf_counter() - started) * 1000


class HealthRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, _Registered] = {}

    def register(self, name: str, check: Check, *, timeout: float = 2.0, required: bool = True) -> None:
        self._checks[name] = _Registered(check, timeout, required)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    def run(self) -> HealthReport:
        if not self._checks:
            return HealthReport(checks=[])
        # Threads let the checks overlap; a check that outlives its timeout is abandoned, not joined.
        executor = ThreadPoolExecutor(max_workers=len(self._checks), thread_name_prefix="health")
        try:
            started = time.perf_counter()
            # Each check runs in a copy of the caller's context, so its log lines keep the request id.
            futures = {
                name: executor.submit(contextvars.copy_context().run, _timed, entry.check)
                for name, entry in self._checks.items()
            }
            results = [self._collect(name, self._checks[name], future, started) for name, future in futures.items()]
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        return HealthReport(checks=results)

    @staticmethod
    def _collect(
        name: str, entry: _Registered, future: Future[tuple[dict[str, Any], float]], started: float
    ) -> CheckResult:
        remaining = max(0.0, entry.timeout - (time.perf_counter() - started))
        try:
            details, latency_ms = future.result(timeout=remaining)
        except FutureTimeoutError:
            error = f"timed out after {entry.timeout:g}s"
            details = {}
        except HealthCheckFailed as exc:
            error, details = str(exc), exc.details
        except Exception as exc:  # noqa: BLE001 - any failure makes the dependency unready
            error = type(exc).__name__
            logger.warning("health check failed", check=name, error=str(exc))
            details = {}
        else:
            return CheckResult(name, ok=True, required=entry.required, latency_ms=latency_ms, details=details)
        latency_ms = (time.perf_counter() - started) * 1000
        return CheckResult(name, ok=False, required=entry.required, latency_ms=latency_ms, details=details, error=error)
