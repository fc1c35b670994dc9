"""The Redis client: one connection pool per process, short timeouts so a dead server fails fast."""

from typing import Any

from redis.asyncio import Redis

from {{ cookiecutter.project_slug }}.settings import Settings


def create_redis(settings: Settings) -> Redis:
    """Build the client; nothing connects until the first command."""
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis.connect_timeout,
        socket_timeout=settings.redis.socket_timeout,
        max_connections=settings.redis.max_connections,
        health_check_interval=30,
    )


async def check_redis(client: Redis) -> dict[str, Any]:
    info = await client.info("server")
    return {"server_version": info["redis_version"]}
