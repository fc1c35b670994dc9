"""Every blueprint of the API in registration order, with what its requests go through; web/app.py registers them."""

from collections.abc import Callable{% if cookiecutter.use_auth and cookiecutter.use_redis %}, Sequence{% endif %}
from typing import NamedTuple

from flask_openapi3.blueprint import APIBlueprint
{% if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Policy
{%- endif %}
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.routes import {% if cookiecutter.use_auth %}auth, {% endif %}{% if cookiecutter.use_redis %}feature_flags, {% endif %}health, items, metrics{% if cookiecutter.use_celery %}, tasks{% endif %}{% if cookiecutter.use_auth %}, users{% endif %}


class Mount(NamedTuple):
    """A blueprint and what its requests go through."""

    router: APIBlueprint
{%- if cookiecutter.use_redis %}
    # The policy its requests count against (web/rate_limit.py); None: not rate limited.
    rate_limit: Policy | None = None
{%- endif %}
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
    # Its callers need every one of these roles (web/auth.py).
    roles: Sequence[Role] = ()
{%- endif %}
    # Whether the settings serve it.
    served: Callable[[Settings], bool] = lambda _: True


def metrics_served(settings: Settings) -> bool:
    return settings.metrics.enabled
{%- if cookiecutter.use_redis %}


def flag_api_served(settings: Settings) -> bool:
    return settings.flags.admin_api
{%- endif %}


ROUTERS = [
{%- if cookiecutter.use_redis %}
    # Probes and scrapes are never rate limited: an orchestrator or Prometheus must not be refused.
{%- endif %}
    Mount(health.router),
    Mount(metrics.router, served=metrics_served),
{%- if cookiecutter.use_auth %}
    Mount(auth.router{% if cookiecutter.use_redis %}, rate_limit="auth"{% endif %}),
{%- endif %}
    Mount(items.router{% if cookiecutter.use_redis %}, rate_limit="default"{% endif %}),
{%- if cookiecutter.use_celery %}
    Mount(tasks.router, rate_limit="default"),
{%- endif %}
{%- if cookiecutter.use_auth %}
    Mount(users.router{% if cookiecutter.use_redis %}, rate_limit="default"{% endif %}),
{%- endif %}
{%- if cookiecutter.use_redis %}
    Mount(feature_flags.router, rate_limit="default"{% if cookiecutter.use_auth %}, roles=[Role.ADMIN]{% endif %}, served=flag_api_served),
{%- endif %}
]
{%- if cookiecutter.use_redis %}

# By blueprint name, for web/rate_limit.py.
RATE_LIMITS = {mount.router.name: mount.rate_limit for mount in ROUTERS if mount.rate_limit is not None}
{%- endif %}
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
# By blueprint name, for web/auth.py.
ROLE_GUARDS = {mount.router.name: mount.roles for mount in ROUTERS if mount.roles}
{%- endif %}
