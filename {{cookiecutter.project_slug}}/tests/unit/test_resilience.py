"""The circuit breaker's states, driven by a clock the test moves."""

import pytest
import structlog
from structlog.testing import capture_logs

from {{ cookiecutter.project_slug }}.core import resilience
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker

FAILURE = ConnectionError("refused")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("redis", failure_threshold=3, reset_timeout=5.0, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure(FAILURE)


def test_stays_closed_below_the_threshold(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_success_resets_the_failure_count(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state == "closed"


def test_opens_after_consecutive_failures_and_refuses_calls(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    assert breaker.state == "open"
    clock.now += 4.9
    assert not breaker.allow()


def test_lets_one_trial_through_after_the_reset_timeout(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 5.0
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow(), "only one trial at a time"
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_failed_trial_opens_the_circuit_for_another_period(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 5.0
    fail(breaker, 1)
    assert breaker.state == "open"
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_a_trial_without_verdict_frees_the_next_one(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 5.0
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_logs_the_outage_once_and_the_recovery_once(
    breaker: CircuitBreaker, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with capture_logs() as logs:
        # A logger made inside capture_logs: the module's own may be bound to an earlier configuration.
        monkeypatch.setattr(resilience, "logger", structlog.get_logger(resilience.__name__))
        fail(breaker, 3)
        for _ in range(5):
            clock.now += 5.0
            fail(breaker, 1)
        clock.now += 5.0
        assert breaker.allow()
        breaker.record_success()
    assert [(log["event"], log["log_level"]) for log in logs] == [
        ("circuit opened", "warning"),
        ("circuit closed", "info"),
    ]
    assert logs[0]["error"] == "ConnectionError: refused"
    assert logs[1]["down_seconds"] == 30.0


def test_reports_each_opening_and_closing_once(clock: Clock) -> None:
    changes: list[tuple[str, bool]] = []
    breaker = CircuitBreaker(
        "redis", failure_threshold=3, reset_timeout=5.0, clock=clock, on_change=lambda *change: changes.append(change)
    )
    fail(breaker, 3)
    assert not breaker.allow()  # refused while open: no change
    clock.now += 5.0
    fail(breaker, 1)  # a failed trial: still open, nothing to report
    clock.now += 5.0
    assert breaker.allow()
    breaker.record_success()
    assert changes == [("redis", True), ("redis", False)]
