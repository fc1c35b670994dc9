"""Everything the process holds open, built once from settings and closed on shutdown."""

from dataclasses import dataclass
from functools import partial

{% if cookiecutter.use_redis -%}
from redis import Redis
{% endif -%}
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.project_slug }}.core.db import check_database, create_engine, create_session_factory
from {{ cookiecutter.project_slug }}.core.health import HealthRegistry
from {{ cookiecutter.project_slug }}.core.health_report import HealthReport
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.redis_client import check_redis, create_redis
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    health: HealthRegistry
    engine: Engine
    # One session per request or task, through unit_of_work().
    sessions: sessionmaker[Session]
{%- if cookiecutter.use_redis %}
    redis: Redis
{%- endif %}

    def close(self) -> None:
{%- if cookiecutter.use_redis %}
        self.redis.close()
{%- endif %}
        self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    """Build clients and register their readiness checks; no I/O happens here."""
    health = HealthRegistry()
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    check = partial(check_database, engine, require_migrations=settings.database.check_migrations)
    health.register("database", check, timeout=settings.database.connect_timeout + 1)
{%- if cookiecutter.use_redis %}
    redis = create_redis(settings)
    # Optional: without Redis the service degrades (no cache) but keeps serving.
    health.register("redis", partial(check_redis, redis), timeout=settings.redis.connect_timeout + 1, required=False)
    return Resources(settings=settings, health=health, engine=engine, sessions=sessions, redis=redis)
{%- else %}
    return Resources(settings=settings, health=health, engine=engine, sessions=sessions)
{%- endif %}


def check_health_once(settings: Settings) -> HealthReport:
    """Open resources, run every readiness check once and close them again (for the CLI)."""
    resources = open_resources(settings)
    try:
        return resources.health.run()
    finally:
        resources.close()
