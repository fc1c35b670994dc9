"""The Prometheus exposition of this process's metrics."""

from typing import Annotated

from fastapi import APIRouter, Header, Response

from {{ cookiecutter.project_slug }}.core.metrics import check_scrape_token
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", response_class=Response, responses={401: {"description": "METRICS__TOKEN not sent"}})
async def metrics(resources: ResourcesDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Every metric in Prometheus's text format; with METRICS__TOKEN set, only for a bearer of it."""
    check_scrape_token(resources.settings.metrics.token, authorization)
    body, content_type = resources.metrics.render()
    return Response(body, media_type=content_type)
