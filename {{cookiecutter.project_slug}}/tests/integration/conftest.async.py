"""What the integration tests share: the app's own engine{% if cookiecutter.use_redis %} and Redis client{% endif %}, against the test servers."""

from collections.abc import AsyncIterator

import pytest
{%- if cookiecutter.use_redis %}
from redis.asyncio import Redis
{%- endif %}
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.project_slug }}.core.db import create_engine
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.redis_client import create_redis
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()
{%- if cookiecutter.use_redis %}


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = create_redis(settings)
    yield client
    await client.aclose()
{%- endif %}
