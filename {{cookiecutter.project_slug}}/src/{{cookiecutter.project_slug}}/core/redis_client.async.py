"""The Redis client: one connection pool per process, short timeouts so a dead server fails fast."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import Settings

T = TypeVar("T")


def create_redis(settings: Settings) -> Redis:
    """Build the client; nothing connects until the first command."""
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis.connect_timeout,
        socket_timeout=settings.redis.socket_timeout,
        max_connections=settings.redis.max_connections,
        health_check_interval=30,
        # One retry, and only for a broken connection (the server restarted): a timeout is never
        # retried, so a frozen server costs one socket_timeout, and the breaker decides the rest.
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
    )


def create_breaker(settings: Settings, on_change: Callable[[str, bool], None] | None = None) -> CircuitBreaker:
    """One breaker for every use of the server: when it is down, it is down for all of them."""
    return CircuitBreaker(
        "redis",
        failure_threshold=settings.redis.breaker_failures,
        reset_timeout=settings.redis.breaker_reset_seconds,
        on_change=on_change,
    )


async def guarded(breaker: CircuitBreaker, operation: Callable[[], Awaitable[T]]) -> T:
    """Run a Redis operation through the breaker.

    Raises DependencyUnavailable, at once while the circuit is open, or when the call fails.
    """
    if not breaker.allow():
        raise DependencyUnavailable(f"{breaker.name}: circuit open")
    try:
        result = await operation()
    except RedisError as exc:
        breaker.record_failure(exc)
        raise DependencyUnavailable(f"{breaker.name}: {exc}") from exc
    except BaseException:
        breaker.release()
        raise
    breaker.record_success()
    return result


async def check_redis(client: Redis, breaker: CircuitBreaker) -> dict[str, Any]:
    """Readiness asks the server directly, whatever the circuit's state, and reports both."""
    info = await client.info("server")
    return {"server_version": info["redis_version"], "circuit": breaker.state.value}
