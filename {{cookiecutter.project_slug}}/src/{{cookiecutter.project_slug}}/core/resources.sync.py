{# Generated from resources.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Everything the process holds open, built once from settings and closed on shutdown."""

from dataclasses import dataclass
from functools import partial

{% if cookiecutter.use_redis -%}
from redis import Redis
{% endif -%}
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.auth.service import Connect
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenCodec
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.cache import Cache
{%- endif %}
from {{ cookiecutter.project_slug }}.core.db import check_database, create_engine, create_session_factory, read_engine
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
{%- endif %}
from {{ cookiecutter.project_slug }}.core.health import HealthRegistry
from {{ cookiecutter.project_slug }}.core.health_report import HealthReport
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.ratelimit import RateLimiter
from {{ cookiecutter.project_slug }}.core.redis_client import check_redis, create_breaker, create_redis
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    health: HealthRegistry
    engine: Engine
    # One session per request or task, through unit_of_work().
    sessions: sessionmaker[Session]
{%- if cookiecutter.use_auth %}
    # A connection for one read outside any unit of work: the caller's lookup on each request.
    connect: Connect
    passwords: PasswordHasher
    tokens: TokenCodec
{%- endif %}
{%- if cookiecutter.use_redis %}
    redis: Redis
    # Shared by everything below: while Redis is down none of them waits on it.
    redis_breaker: CircuitBreaker
    cache: Cache
    limiter: RateLimiter
    flags: FlagStore
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
    # Single reads outside a unit of work (readiness{% if cookiecutter.use_auth %}, the caller of each request{% endif %}) share the pool.
    reads = read_engine(engine)
    check = partial(check_database, reads, require_migrations=settings.database.check_migrations)
    health.register("database", check, timeout=settings.database.connect_timeout + 1)
{%- if cookiecutter.use_redis %}
    redis = create_redis(settings)
    breaker = create_breaker(settings)
    # Optional: without Redis the service degrades (no cache, limiter per its fail mode, flags
    # at their defaults) but keeps serving.
    check_redis_server = partial(check_redis, redis, breaker)
    health.register("redis", check_redis_server, timeout=settings.redis.connect_timeout + 1, required=False)
    prefix = settings.redis.key_prefix
{%- endif %}
    return Resources(
        settings=settings,
        health=health,
        engine=engine,
        sessions=sessions,
{%- if cookiecutter.use_auth %}
        connect=reads.connect,
        passwords=PasswordHasher(settings.auth),
        tokens=TokenCodec(settings.auth, settings.secret_key),
{%- endif %}
{%- if cookiecutter.use_redis %}
        redis=redis,
        redis_breaker=breaker,
        cache=Cache(redis, breaker, key_prefix=prefix, settings=settings.cache),
        limiter=RateLimiter(redis, breaker, key_prefix=prefix, settings=settings.rate_limit),
        flags=FlagStore(redis, breaker, key_prefix=prefix, settings=settings.flags),
{%- endif %}
    )


def check_health_once(settings: Settings) -> HealthReport:
    """Open resources, run every readiness check once and close them again (for the CLI)."""
    resources = open_resources(settings)
    try:
        return resources.health.run()
    finally:
        resources.close()
