"""The Prometheus exposition of this process's metrics."""

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from {{ cookiecutter.project_slug }}.core.metrics import CONTENT_TYPE, check_scrape_token
from {{ cookiecutter.project_slug }}.web.deps import current_resources

router = APIBlueprint("metrics", __name__, abp_tags=[Tag(name="monitoring")])


@router.get("/metrics", responses={401: {"description": "METRICS__TOKEN not sent"}})
def metrics() -> Response:
    """Every metric in Prometheus's text format; with METRICS__TOKEN set, only for a bearer of it."""
    resources = current_resources()
    check_scrape_token(resources.settings.metrics.token, request.headers.get("Authorization"))
    return Response(resources.metrics.render(), content_type=CONTENT_TYPE)
