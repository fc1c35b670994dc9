"""Liveness and readiness probes."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, Any]:
    """The process is up. Touches no dependency, so a slow database never restarts pods."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A required dependency is unavailable"}})
async def ready(resources: ResourcesDep) -> JSONResponse:
    """Each dependency checked with its own timeout; 503 when a required one fails."""
    report = await resources.health.run()
    resources.metrics.dependencies.readiness(report)
    return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)
