"""The composition root: `create_app(settings)` wires core services into a FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.core.logging import configure_logging, get_logger
from {{ cookiecutter.project_slug }}.core.resources import open_resources
from {{ cookiecutter.project_slug }}.settings import Settings, get_settings
from {{ cookiecutter.project_slug }}.web.errors import register_error_handlers
from {{ cookiecutter.project_slug }}.web.middleware import (
    REQUEST_ID_HEADER,
    RequestBodyMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.ratelimit import rate_limit
from {{ cookiecutter.project_slug }}.web.routes import feature_flags, health, items
{%- else %}
from {{ cookiecutter.project_slug }}.web.routes import health, items
{%- endif %}

logger = get_logger(__name__)


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first. Optional layers are left out entirely rather than made no-ops."""
    stack = [
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
    stack.append(Middleware(RequestBodyMiddleware, settings=settings))
    return stack
{%- if cookiecutter.use_redis %}


def _include_routes(app: FastAPI, settings: Settings) -> None:
    """Health probes are never rate limited: an orchestrator polling them must not be refused."""
    app.include_router(health.router)
    app.include_router(items.router, dependencies=[rate_limit("default")])
    if settings.flags.admin_api:
        app.include_router(feature_flags.router, dependencies=[rate_limit("default")])
{%- else %}


def _include_routes(app: FastAPI, _: Settings) -> None:
    app.include_router(health.router)
    app.include_router(items.router)
{%- endif %}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing connects here: the lifespan opens resources and closes them."""
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        resources = open_resources(settings)
        logger.info("started", version=__version__, **settings.connection_info())
        try:
            yield {"resources": resources}
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
    _include_routes(app, settings)
    return app
