"""Redis for tests, as a pytest plugin (tests/conftest.py loads it): the test server, a relay, cleanup."""

import os
import secrets
from collections.abc import Iterator

import pytest
from redis import Redis

from tests.redis_proxy import RedisProxy, redis_proxy

# Database 15, away from development data, unless TEST_REDIS_URL names another server.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
# Every key this run writes starts with this; each settings object adds a namespace of its own.
REDIS_RUN_PREFIX = f"test_{{ cookiecutter.project_slug }}_{secrets.token_hex(4)}"


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_relay(redis_url: str) -> Iterator[RedisProxy]:
    """A relay to the test Redis server that the test can cut, freeze and restore."""
    with redis_proxy(redis_url) as relay:
        yield relay


@pytest.fixture(scope="session", autouse=True)
def _delete_redis_keys() -> Iterator[None]:
    """Leave the Redis server as the run found it: delete every key the run wrote."""
    yield
    with Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{REDIS_RUN_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
