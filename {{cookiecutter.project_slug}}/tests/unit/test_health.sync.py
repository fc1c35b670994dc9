"""The readiness registry: concurrent checks, each bounded by its own timeout."""

import threading
from typing import Any

from {{ cookiecutter.project_slug }}.core.health import HealthRegistry

release = threading.Event()


def healthy() -> dict[str, Any]:
    return {"version": "1"}


def hanging() -> dict[str, Any]:
    release.wait(timeout=60)
    return {}


def broken() -> dict[str, Any]:
    raise ConnectionRefusedError("refused by 10.0.0.1")


def test_results_and_status() -> None:
    registry = HealthRegistry()
    registry.register("db", healthy)
    registry.register("cache", broken, required=False)
    report = registry.run()
    assert report.ok is True
    assert report.status == "degraded"
    checks = report.as_dict()["checks"]
    assert checks["db"] == {"ok": True, "required": True, "latency_ms": checks["db"]["latency_ms"], "version": "1"}
    assert checks["cache"]["error"] == "ConnectionRefusedError"
    assert "10.0.0.1" not in str(checks)


def test_a_hanging_check_times_out_without_holding_the_others() -> None:
    registry = HealthRegistry()
    registry.register("slow", hanging, timeout=0.05)
    registry.register("fast", healthy)
    try:
        report = registry.run()
    finally:
        release.set()
    assert report.ok is False
    assert report.status == "unavailable"
    slow, fast = report.checks
    assert slow.error == "timed out after 0.05s"
    assert fast.ok is True
    assert registry.names == ["slow", "fast"]


def test_no_checks_is_ready() -> None:
    assert HealthRegistry().run().ok is True
