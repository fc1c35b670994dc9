"""The composition root: `create_app(settings)` wires core services into a Flask app."""

import atexit

from flask import Flask
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.core.logging import configure_logging, get_logger
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
{%- endif %}
from {{ cookiecutter.project_slug }}.resources import Resources, open_resources
from {{ cookiecutter.project_slug }}.settings import Settings, get_settings
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.auth import SECURITY_SCHEMES, register_role_guards
{%- elif cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.auth import SECURITY_SCHEMES
{%- endif %}
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.bearer import register_authentication
{%- endif %}
from {{ cookiecutter.project_slug }}.web.deps import RESOURCES_KEY
from {{ cookiecutter.project_slug }}.web.errors import register_error_handlers, validation_problem
from {{ cookiecutter.project_slug }}.web.middleware import register_middleware
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.rate_limit import register_rate_limits
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
from {{ cookiecutter.project_slug }}.web.transactions import register_unit_of_work

logger = get_logger(__name__)
{%- if cookiecutter.use_redis and cookiecutter.use_auth %}


def _register_routes(app: OpenAPI, settings: Settings) -> None:
    """Health probes are never rate limited: an orchestrator polling them must not be refused."""
    app.register_api(health.router)
    app.register_api(auth.router)
    limited = [items.router, users.router]
    if settings.flags.admin_api:
        limited.append(feature_flags.router)
    for router in limited:
        app.register_api(router)
    register_rate_limits(app, {auth.router.name: "auth", **{router.name: "default" for router in limited}})
    # After the rate limits, so that a refused caller is counted too.
    register_role_guards(app, {feature_flags.router.name: [Role.ADMIN]})
{%- elif cookiecutter.use_redis %}


def _register_routes(app: OpenAPI, settings: Settings) -> None:
    """Health probes are never rate limited: an orchestrator polling them must not be refused."""
    app.register_api(health.router)
    limited = [items.router]
    if settings.flags.admin_api:
        limited.append(feature_flags.router)
    for router in limited:
        app.register_api(router)
    register_rate_limits(app, {router.name: "default" for router in limited})
{%- elif cookiecutter.use_auth %}


def _register_routes(app: OpenAPI, _: Settings) -> None:
    for router in (health.router, auth.router, items.router, users.router):
        app.register_api(router)
{%- else %}


def _register_routes(app: OpenAPI, _: Settings) -> None:
    app.register_api(health.router)
    app.register_api(items.router)
{%- endif %}


def create_app(settings: Settings | None = None) -> OpenAPI:
    """Build the app and its resources; nothing connects until first use, all closes at exit.

    The OpenAPI document is served at /openapi/openapi.json while docs are enabled.
    """
    settings = settings or get_settings()
    configure_logging(settings)
    app = OpenAPI(
        __name__,
        info=Info(title=settings.app.name, version=__version__),
{%- if cookiecutter.use_auth %}
        security_schemes=SECURITY_SCHEMES,
{%- endif %}
        doc_ui=settings.app.docs_enabled,
        validation_error_status=422,
        validation_error_callback=validation_problem,
    )
    register_middleware(app, settings)
{%- if cookiecutter.use_auth %}
    # Before the rate limits (registered with the routes): signed-in requests count per user.
    register_authentication(app)
{%- endif %}
    register_error_handlers(app, debug=settings.debug)
    register_unit_of_work(app)
    _register_routes(app, settings)

    resources = open_resources(settings)
    app.extensions[RESOURCES_KEY] = resources
    atexit.register(resources.close)
    logger.info("started", version=__version__, **settings.connection_info())
    return app


def close_resources(app: Flask) -> None:
    """Close the app's resources now rather than at process exit (tests, code embedding the app)."""
    resources: Resources = app.extensions[RESOURCES_KEY]
    atexit.unregister(resources.close)
    resources.close()
