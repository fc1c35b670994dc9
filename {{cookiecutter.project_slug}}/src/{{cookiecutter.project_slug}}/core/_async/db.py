"""The database engine, built from DATABASE_URL with an async driver."""

from typing import Any

from sqlalchemy import URL, Pool, QueuePool, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.project_slug }}.settings import Settings
{%- if cookiecutter.database == "postgresql" %}

DRIVER = "postgresql+asyncpg"
VERSION_QUERY = "SHOW server_version"
CONNECT_TIMEOUT_ARG = "timeout"
{%- elif cookiecutter.database == "mysql" %}

DRIVER = "mysql+aiomysql"
VERSION_QUERY = "SELECT version()"
CONNECT_TIMEOUT_ARG = "connect_timeout"
{%- else %}

DRIVER = "sqlite+aiosqlite"
VERSION_QUERY = "SELECT sqlite_version()"
# sqlite3 opens files, not connections: wait this long for a locked database instead.
CONNECT_TIMEOUT_ARG = "timeout"
{%- endif %}


def engine_url(database_url: str) -> URL:
    """DATABASE_URL with this engine's driver, whatever driver the URL named."""
    return make_url(database_url).set(drivername=DRIVER)


def pool_status(pool: Pool) -> dict[str, int]:
    if not isinstance(pool, QueuePool):
        return {}
    # overflow() counts down from -pool_size while the pool fills; report only real overflow.
    return {
        "pool_size": pool.size(),
        "checked_out": pool.checkedout(),
        "idle": pool.checkedin(),
        "overflow": max(pool.overflow(), 0),
    }


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine; nothing connects until the first query."""
    database = settings.database
    return create_async_engine(
        engine_url(settings.database_url),
        pool_size=database.pool_size,
        max_overflow=database.max_overflow,
        pool_timeout=database.pool_timeout,
        pool_recycle=database.pool_recycle,
        pool_pre_ping=True,
        connect_args={CONNECT_TIMEOUT_ARG: database.connect_timeout},
    )


async def check_database(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        version = await connection.scalar(text(VERSION_QUERY))
    return {"server_version": str(version), **pool_status(engine.pool)}
