"""Everything the process holds open, built once from settings and closed on shutdown.

The composition root below the adapters: the web app, the CLI and the worker open the same
resources and reach core services through them.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

{% if cookiecutter.use_redis -%}
from redis.asyncio import Redis
{% endif -%}
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenCodec
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.cache import Cache
{%- endif %}
from {{ cookiecutter.project_slug }}.core.database_check import check_database
from {{ cookiecutter.project_slug }}.core.db import Connect, create_engine, create_session_factory, read_engine
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
{%- endif %}
from {{ cookiecutter.project_slug }}.core.health import HealthRegistry
from {{ cookiecutter.project_slug }}.core.metrics import Metrics
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.rate_limit import RateLimiter
from {{ cookiecutter.project_slug }}.core.redis_client import check_redis, create_breaker, create_redis
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker
{%- endif %}
{%- if cookiecutter.use_celery %}
from {{ cookiecutter.project_slug }}.core.task_queue import TaskQueue, create_task_client
{%- endif %}
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings

T = TypeVar("T")
{%- if cookiecutter.use_redis %}


@dataclass(frozen=True, slots=True)
class RedisClients:
    """One Redis connection pool and what runs over it."""

    client: Redis
    # Shared by everything below: while Redis is down none of them waits on it.
    breaker: CircuitBreaker
    cache: Cache
    limiter: RateLimiter
    flags: FlagStore

    @classmethod
    def open(cls, settings: Settings, health: HealthRegistry, metrics: Metrics) -> "RedisClients":
        client = create_redis(settings)
        breaker = create_breaker(settings, on_change=metrics.dependencies.circuit_changed)
        metrics.dependencies.circuit_created(breaker.name)
        # Optional: without Redis the service degrades (no cache, limiter per its fail mode, flags
        # at their defaults) but keeps serving.
        health.register(
            "redis", partial(check_redis, client, breaker), timeout=settings.redis.connect_timeout + 1, required=False
        )
        prefix = settings.redis.key_prefix
        return cls(
            client=client,
            breaker=breaker,
            cache=Cache(
                client, breaker, key_prefix=prefix, settings=settings.cache, on_outcome=metrics.features.cache_outcome
            ),
            limiter=RateLimiter(
                client,
                breaker,
                key_prefix=prefix,
                settings=settings.rate_limit,
                on_decision=metrics.features.rate_limit_decision,
            ),
            flags=FlagStore(client, breaker, key_prefix=prefix, settings=settings.flags),
        )
{%- endif %}
{%- if cookiecutter.use_celery %}


def open_task_queue(settings: Settings, redis: RedisClients, health: HealthRegistry, metrics: Metrics) -> TaskQueue:
    client = create_task_client(settings)
    queue = TaskQueue(
        client,
        redis.client,
        redis.breaker,
        key_prefix=settings.redis.key_prefix,
        settings=settings,
        on_sent=metrics.features.task_sent,
    )
    # Optional: without the broker, requests that start tasks answer 503 and the rest keep working.
    health.register("broker", queue.check_broker, timeout=settings.celery.publish_timeout + 1, required=False)
    return queue
{%- endif %}


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    health: HealthRegistry
    metrics: Metrics
    engine: AsyncEngine
    # One session per request or task, through unit_of_work().
    sessions: async_sessionmaker[AsyncSession]
    # A connection for one read outside any unit of work: readiness{% if cookiecutter.use_auth %}, the caller of each request{% endif %}.
    connect: Connect
{%- if cookiecutter.use_auth %}
    passwords: PasswordHasher
    tokens: TokenCodec
{%- endif %}
{%- if cookiecutter.use_redis %}
    redis: RedisClients
{%- endif %}
{%- if cookiecutter.use_celery %}
    tasks: TaskQueue
{%- endif %}

    async def close(self) -> None:
{%- if cookiecutter.use_celery %}
        self.tasks.close()
{%- endif %}
{%- if cookiecutter.use_redis %}
        await self.redis.client.aclose()
{%- endif %}
        await self.engine.dispose()
        self.metrics.close()


def open_resources(settings: Settings) -> Resources:
    """Build clients and register their readiness checks; no I/O happens here."""
    health = HealthRegistry()
    metrics = Metrics()
    engine = create_engine(settings, on_pool_wait=metrics.database.waited)
    metrics.database.watch(engine.sync_engine.pool, settings.database.pool_size + settings.database.max_overflow)
    reads = read_engine(engine)
    check = partial(check_database, reads, require_migrations=settings.database.check_migrations)
    health.register("database", check, timeout=settings.database.connect_timeout + 1)
{%- if cookiecutter.use_redis %}
    redis = RedisClients.open(settings, health, metrics)
{%- endif %}
    return Resources(
        settings=settings,
        health=health,
        metrics=metrics,
        engine=engine,
        sessions=create_session_factory(engine),
        connect=reads.connect,
{%- if cookiecutter.use_auth %}
        passwords=PasswordHasher(settings.auth),
        tokens=TokenCodec(settings.auth, settings.secret_key),
{%- endif %}
{%- if cookiecutter.use_redis %}
        redis=redis,
{%- endif %}
{%- if cookiecutter.use_celery %}
        tasks=open_task_queue(settings, redis, health, metrics),
{%- endif %}
    )


def run_with_resources(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    """Open the resources, run `work` with them and close them again: how the CLI reaches core."""

    async def run() -> T:
        resources = open_resources(settings)
        try:
            return await work(resources)
        finally:
            await resources.close()

    return asyncio.run(run())
