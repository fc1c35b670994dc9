"""The composition root: `create_app(settings)` wires core services into a Flask app."""

import atexit
from collections.abc import Callable
{%- if cookiecutter.use_redis %}
from functools import partial
{%- endif %}
from typing import Any

from flask import Flask
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.core.logging import configure_logging, get_logger
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
from {{ cookiecutter.project_slug }}.web.errors import register_error_handlers, validation_problem
from {{ cookiecutter.project_slug }}.web.metrics import register_metrics
from {{ cookiecutter.project_slug }}.web.middleware import register_middleware
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.rate_limit import register_rate_limits
{%- endif %}
from {{ cookiecutter.project_slug }}.web.routes import {% if cookiecutter.use_redis %}RATE_LIMITS, {% endif %}{% if cookiecutter.use_auth and cookiecutter.use_redis %}ROLE_GUARDS, {% endif %}ROUTERS
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY
from {{ cookiecutter.project_slug }}.web.transactions import register_unit_of_work

logger = get_logger(__name__)

OPENAPI_OPTIONS: dict[str, Any] = {
    # An invalid request is answered as every other error: a problem document (web/errors.py).
    "validation_error_status": 422,
    "validation_error_callback": validation_problem,
{%- if cookiecutter.use_auth %}
    # Behind the docs' Authorize button.
    "security_schemes": SECURITY_SCHEMES,
{%- endif %}
}
{%- if cookiecutter.use_auth or cookiecutter.use_redis %}

# Request hooks of the optional features, in the order Flask runs them: after the request state,
# log context and body rules (web/middleware.py), before any view.
FEATURE_HOOKS: list[Callable[[Flask], None]] = [
{%- if cookiecutter.use_auth %}
{%- if cookiecutter.use_redis %}
    # Before the rate limits: signed-in requests count per user.
{%- endif %}
    register_authentication,
{%- endif %}
{%- if cookiecutter.use_redis %}
    partial(register_rate_limits, policies=RATE_LIMITS),
{%- endif %}
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
    # After the rate limits, so that a refused caller is counted too.
    partial(register_role_guards, guards=ROLE_GUARDS),
{%- endif %}
]
{%- else %}

# Request hooks of optional features (such as authentication), in the order Flask runs them:
# after the request state, log context and body rules (web/middleware.py), before any view.
FEATURE_HOOKS: list[Callable[[Flask], None]] = []
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
        doc_ui=settings.app.docs_enabled,
        **OPENAPI_OPTIONS,
    )
    register_metrics(app)
    register_middleware(app, settings)
    for register in FEATURE_HOOKS:
        register(app)
    register_error_handlers(app, debug=settings.debug)
    register_unit_of_work(app)
    for mount in ROUTERS:
        if mount.served(settings):
            app.register_api(mount.router)

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
