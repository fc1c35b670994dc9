"""Every router of the API in match order, with the dependencies it runs under; web/app.py includes them."""

from collections.abc import Callable, Sequence
from typing import NamedTuple

from fastapi import APIRouter, params
{% if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings
{%- if cookiecutter.use_auth and cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.auth import require_roles
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.web.rate_limit import rate_limit
{%- endif %}
from {{ cookiecutter.project_slug }}.web.routes import {% if cookiecutter.use_auth %}auth, {% endif %}{% if cookiecutter.use_redis %}feature_flags, {% endif %}health, items, metrics{% if cookiecutter.use_celery %}, tasks{% endif %}{% if cookiecutter.use_auth %}, users{% endif %}


class Mount(NamedTuple):
    """A router, the dependencies each of its routes runs under, and whether the settings serve it."""

    router: APIRouter
    dependencies: Sequence[params.Depends] = ()
    served: Callable[[Settings], bool] = lambda _: True


def metrics_served(settings: Settings) -> bool:
    return settings.metrics.enabled
{%- if cookiecutter.use_redis %}


def flag_api_served(settings: Settings) -> bool:
    return settings.flags.admin_api
{%- endif %}
{%- macro limited(policy) %}{% if cookiecutter.use_redis %}, [rate_limit("{{ policy }}")]{% endif %}{% endmacro %}


ROUTERS = [
{%- if cookiecutter.use_redis %}
    # Probes and scrapes are never rate limited: an orchestrator or Prometheus must not be refused.
{%- endif %}
    Mount(health.router),
    Mount(metrics.router, served=metrics_served),
{%- if cookiecutter.use_auth %}
    Mount(auth.router{{ limited("auth") }}),
{%- endif %}
    Mount(items.router{{ limited("default") }}),
{%- if cookiecutter.use_celery %}
    Mount(tasks.router{{ limited("default") }}),
{%- endif %}
{%- if cookiecutter.use_auth %}
    Mount(users.router{{ limited("default") }}),
{%- endif %}
{%- if cookiecutter.use_redis and cookiecutter.use_auth %}
    Mount(feature_flags.router, [rate_limit("default"), require_roles(Role.ADMIN)], served=flag_api_served),
{%- elif cookiecutter.use_redis %}
    Mount(feature_flags.router, [rate_limit("default")], served=flag_api_served),
{%- endif %}
]
