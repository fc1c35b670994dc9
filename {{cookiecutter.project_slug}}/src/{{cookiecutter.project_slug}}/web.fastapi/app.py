"""The composition root: `create_app(settings)` wires core services into a FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.core.logging import configure_logging, get_logger
from {{ cookiecutter.project_slug }}.resources import open_resources
from {{ cookiecutter.project_slug }}.settings import Settings, get_settings
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.bearer import AuthenticationMiddleware
{%- endif %}
from {{ cookiecutter.project_slug }}.web.errors import register_error_handlers
from {{ cookiecutter.project_slug }}.web.metrics import MetricsMiddleware
from {{ cookiecutter.project_slug }}.web.middleware import (
    REQUEST_ID_HEADER,
    RequestBodyMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
from {{ cookiecutter.project_slug }}.web.routes import ROUTERS
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY

logger = get_logger(__name__)
{% if cookiecutter.use_auth %}
# Innermost: the request has its id and log context, and passed the body rules.
FEATURE_MIDDLEWARE = [Middleware(AuthenticationMiddleware)]
{%- else %}
# Innermost, after the body rules: optional layers, such as authentication, that need the request id and log context.
FEATURE_MIDDLEWARE: list[Middleware] = []
{%- endif %}


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first. Optional layers are left out entirely rather than made no-ops."""
    stack = [
        Middleware(MetricsMiddleware),
        Middleware(SecurityHeadersMiddleware, settings=settings),
        Middleware(RequestContextMiddleware, settings=settings),
    ]
    if settings.security.trusted_hosts != ["*"]:
        stack.append(Middleware(TrustedHostMiddleware, settings=settings))
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_credentials=settings.cors.allow_credentials,
                allow_methods=settings.cors.allow_methods,
                allow_headers=settings.cors.allow_headers,
                expose_headers=[REQUEST_ID_HEADER],
            )
        )
    return [*stack, Middleware(RequestBodyMiddleware, settings=settings), *FEATURE_MIDDLEWARE]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing connects here: the lifespan opens resources and closes them."""
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        resources = open_resources(settings)
        logger.info("started", version=__version__, **settings.connection_info())
        try:
            yield {RESOURCES_KEY: resources}
        finally:
            await resources.close()
            logger.info("stopped")

    docs = settings.app.docs_enabled
    app = FastAPI(
        title=settings.app.name,
        version=__version__,
        debug=settings.debug,
        lifespan=lifespan,
        middleware=_middleware(settings),
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    register_error_handlers(app)
    for mount in ROUTERS:
        if mount.served(settings):
            app.include_router(mount.router, dependencies=mount.dependencies)
    return app
