"""Liveness and readiness probes."""

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from {{ cookiecutter.project_slug }}.web.deps import current_resources

router = APIBlueprint("health", __name__, url_prefix="/health", abp_tags=[Tag(name="health")])


@router.get("/live")
def live() -> dict[str, Any]:
    """The process is up. Touches no dependency, so a slow database never restarts pods."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A required dependency is unavailable"}})
def ready() -> tuple[dict[str, Any], int]:
    """Each dependency checked with its own timeout; 503 when a required one fails."""
    resources = current_resources()
    report = resources.health.run()
    resources.metrics.dependencies.readiness(report)
    return report.as_dict(), 200 if report.ok else 503
