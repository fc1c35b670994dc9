"""A circuit breaker: stop waiting on a dependency that keeps failing, try it again later."""

import time
from collections.abc import Callable
from enum import StrEnum
from threading import Lock

from {{ cookiecutter.project_slug }}.core.logging import get_logger

logger = get_logger(__name__)


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class DependencyUnavailable(Exception):
    """A call failed, or was not tried because its circuit is open; the caller falls back."""


class CircuitBreaker:
    """Closed: calls go through, and `failure_threshold` failures in a row open the circuit.

    Open: calls are refused at once for `reset_timeout` seconds. Then one trial call goes
    through (half-open): its success closes the circuit, its failure opens it again. Only the
    opening and the closing are logged, so an outage is logged once, not once per request.
    Safe to share between threads and between tasks.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_timeout: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, bool], None] | None = None,
    ) -> None:
        """`on_change(name, opened)` is called as the circuit opens and as it closes (metrics)."""
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._on_change = on_change
        self._lock = Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._down_since = 0.0
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._trial_running or self._clock() - self._opened_at >= self.reset_timeout:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def allow(self) -> bool:
        """Whether to make the call; a True in half-open state makes it the one trial."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self.reset_timeout:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial_running = False
            if self._opened_at is not None:
                down_for = round(self._clock() - self._down_since, 3)
                self._opened_at = None
                logger.info("circuit closed", dependency=self.name, down_seconds=down_for)
                if self._on_change is not None:
                    self._on_change(self.name, False)

    def record_failure(self, error: BaseException) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running:
                # The trial failed: stay open for another period, already logged.
                self._trial_running = False
                self._opened_at = self._clock()
            elif self._opened_at is None and self._failures >= self.failure_threshold:
                self._opened_at = self._down_since = self._clock()
                logger.warning(
                    "circuit opened",
                    dependency=self.name,
                    error=f"{type(error).__name__}: {error}",
                    retry_in_seconds=self.reset_timeout,
                )
                if self._on_change is not None:
                    self._on_change(self.name, True)

    def release(self) -> None:
        """End a call that gave no verdict (cancelled, or failed for a reason of its own)."""
        with self._lock:
            self._trial_running = False
