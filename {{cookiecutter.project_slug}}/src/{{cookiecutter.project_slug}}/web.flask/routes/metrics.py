"""The Prometheus exposition of this process's metrics."""

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from {{ cookiecutter.project_slug }}.core.metrics import check_scrape_token
from {{ cookiecutter.project_slug }}.web.deps import current_resources

router = APIBlueprint("metrics", __name__, abp_tags=[Tag(name="monitoring")])


@router.get("/metrics", responses={401: {"description": "METRICS__TOKEN not sent"}})
def metrics() -> Response:
    """Every metric in Prometheus's text format; with METRICS__TOKEN set, only for a bearer of it."""
    resources = current_resources()
    check_scrape_token(resources.settings.metrics.token, request.headers.get("Authorization"))
    body, content_type = resources.metrics.render()
    return Response(body, content_type=content_type)
