{# Generated from conftest.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""What the integration tests share: the app's own engine{% if cookiecutter.use_redis %} and Redis client{% endif %}, against the test servers."""

from collections.abc import Iterator

import pytest
{%- if cookiecutter.use_redis %}
from redis import Redis
{%- endif %}
from sqlalchemy import Engine

from {{ cookiecutter.project_slug }}.core.db import create_engine
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.redis_client import create_redis
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Settings


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(settings)
    yield engine
    engine.dispose()
{%- if cookiecutter.use_redis %}


@pytest.fixture
def redis(settings: Settings) -> Iterator[Redis]:
    client = create_redis(settings)
    yield client
    client.close()
{%- endif %}
