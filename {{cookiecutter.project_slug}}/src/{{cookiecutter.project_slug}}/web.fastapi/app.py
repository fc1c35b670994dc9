"""The composition root: `create_app(settings)` wires core services into a FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.core.logging import configure_logging, get_logger
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
{%- endif %}
from {{ cookiecutter.project_slug }}.resources import open_resources
from {{ cookiecutter.project_slug }}.settings import Settings, get_settings
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.auth import require_roles
{%- endif %}
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.bearer import AuthenticationMiddleware
{%- endif %}
from {{ cookiecutter.project_slug }}.web.errors import register_error_handlers
from {{ cookiecutter.project_slug }}.web.middleware import (
    REQUEST_ID_HEADER,
    RequestBodyMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.rate_limit import rate_limit
{%- endif %}
{%- if cookiecutter.use_redis and cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.routes import auth, feature_flags, health, items, users
{%- elif cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.routes import feature_flags, health, items
{%- elif cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.routes import auth, health, items, users
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
{%- if cookiecutter.use_auth %}
    # Innermost: the request has its id and log context, and passed the body rules.
    stack.append(Middleware(AuthenticationMiddleware))
{%- endif %}
    return stack
{%- if cookiecutter.use_redis and cookiecutter.use_auth %}


def _include_routes(app: FastAPI, settings: Settings) -> None:
    """Health probes are never rate limited: an orchestrator polling them must not be refused."""
    app.include_router(health.router)
    app.include_router(auth.router, dependencies=[rate_limit("auth")])
    for router in (items.router, users.router):
        app.include_router(router, dependencies=[rate_limit("default")])
    if settings.flags.admin_api:
        app.include_router(feature_flags.router, dependencies=[rate_limit("default"), require_roles(Role.ADMIN)])
{%- elif cookiecutter.use_redis %}


def _include_routes(app: FastAPI, settings: Settings) -> None:
    """Health probes are never rate limited: an orchestrator polling them must not be refused."""
    app.include_router(health.router)
    app.include_router(items.router, dependencies=[rate_limit("default")])
    if settings.flags.admin_api:
        app.include_router(feature_flags.router, dependencies=[rate_limit("default")])
{%- elif cookiecutter.use_auth %}


def _include_routes(app: FastAPI, _: Settings) -> None:
    for router in (health.router, auth.router, items.router, users.router):
        app.include_router(router)
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
