"""The readiness registry: concurrent checks, each bounded by its own timeout."""

import asyncio
from typing import Any

import pytest

from {{ cookiecutter.project_slug }}.core.health import HealthRegistry

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def healthy() -> dict[str, Any]:
    return {"version": "1"}


async def hanging() -> dict[str, Any]:
    await asyncio.sleep(60)
    return {}


async def broken() -> dict[str, Any]:
    raise ConnectionRefusedError("refused by 10.0.0.1")


async def test_results_and_status() -> None:
    registry = HealthRegistry()
    registry.register("db", healthy)
    registry.register("cache", broken, required=False)
    report = await registry.run()
    assert report.ok is True
    assert report.status == "degraded"
    checks = report.as_dict()["checks"]
    assert checks["db"] == {"ok": True, "required": True, "latency_ms": checks["db"]["latency_ms"], "version": "1"}
    assert checks["cache"]["error"] == "ConnectionRefusedError"
    assert "10.0.0.1" not in str(checks)


async def test_a_hanging_check_times_out_without_holding_the_others() -> None:
    registry = HealthRegistry()
    registry.register("slow", hanging, timeout=0.05)
    registry.register("fast", healthy)
    report = await registry.run()
    assert report.ok is False
    assert report.status == "unavailable"
    slow, fast = report.checks
    assert slow.error == "timed out after 0.05s"
    assert fast.ok is True
    assert registry.names == ["slow", "fast"]
