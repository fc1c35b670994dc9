"""Settings for tests: real servers named by TEST_* variables, never the development ones.

The test database is created for the run, migrated with Alembic and dropped at the end; tests
that write go through a transaction that is rolled back (see tests/web/conftest.py).
"""

import os
{%- if cookiecutter.use_redis %}
import secrets
{%- endif %}
import socket
{%- if cookiecutter.database == "sqlite" %}
from collections.abc import Callable{% if cookiecutter.use_redis %}, Iterator{% endif %}
from pathlib import Path
{%- else %}
from collections.abc import Callable, Iterator
from contextlib import ExitStack
{%- endif %}

import pytest
from alembic import command
{%- if cookiecutter.use_redis %}
from redis import Redis
{%- endif %}

from {{ cookiecutter.project_slug }}.core.schema import alembic_config
{%- set settings_names = ["Environment", "Settings"]
    + (["AuthSettings"] if cookiecutter.use_auth else [])
    + (["RedisSettings"] if cookiecutter.use_redis else [])
    + (["RateLimitSettings"] if cookiecutter.use_redis and cookiecutter.use_auth else []) %}
from {{ cookiecutter.project_slug }}.settings import {{ settings_names | sort | join(", ") }}
{%- if cookiecutter.database != "sqlite" %}
from tests.database import temporary_database
{%- endif %}
{%- if cookiecutter.use_redis %}
from tests.redis_proxy import RedisProxy, redis_proxy
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}

# The server to create test databases on (the docker-compose default unless TEST_DATABASE_URL is set).
DATABASE_SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://app:app@localhost:5432/postgres")
{%- elif cookiecutter.database == "mysql" %}

# The server to create test databases on (the docker-compose default unless TEST_DATABASE_URL is set).
DATABASE_SERVER_URL = os.environ.get("TEST_DATABASE_URL", "mysql://root:app@localhost:3306/mysql")
{%- endif %}
{%- if cookiecutter.use_redis %}

# Database 15, away from development data, unless TEST_REDIS_URL names another server.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
# Every key this run writes starts with this; each settings object adds a namespace of its own.
REDIS_RUN_PREFIX = f"test_{{ cookiecutter.project_slug }}_{secrets.token_hex(4)}"
{%- endif %}

# Makes an empty, unmigrated database and returns its URL (see the `empty_database` fixture).
DatabaseFactory = Callable[[], str]


def make_settings(database_url: str) -> Settings:
    """Test settings; `.env` is ignored so a developer's file cannot leak into tests."""
    return Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=database_url,
{%- if cookiecutter.use_redis %}
        redis_url=REDIS_URL,
        # A fresh namespace: no cached value, rate-limit count or flag leaks from one test to the next.
        redis=RedisSettings(key_prefix=f"{REDIS_RUN_PREFIX}:{secrets.token_hex(4)}"),
{%- endif %}
{%- if cookiecutter.use_auth %}
        # The cheapest Argon2id: tests hash many passwords (tests/unit/test_login_timing.py sets a real cost).
        auth=AuthSettings(argon2_memory_kib=8, argon2_time_cost=1, argon2_parallelism=1),
{%- endif %}
{%- if cookiecutter.use_redis and cookiecutter.use_auth %}
        # Tests sign up several accounts each; tests/web/test_auth_rate_limit.py sets the real limit.
        rate_limit=RateLimitSettings(auth="1000/minute"),
{%- endif %}
    )


def migrate(database_url: str) -> None:
    command.upgrade(alembic_config(make_settings(database_url)), "head")


@pytest.fixture(scope="session")
def unused_port() -> int:
    """A loopback port nothing listens on: a real refused connection, for outage tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
{%- if cookiecutter.database == "sqlite" %}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This run's database file, migrated to head the way production is."""
    url = f"sqlite:///{tmp_path_factory.mktemp('database') / 'test.db'}"
    migrate(url)
    return url


@pytest.fixture
def empty_database(tmp_path: Path) -> DatabaseFactory:
    """Makes fresh database files that no migration has touched."""
    paths = iter(tmp_path / f"empty-{number}.db" for number in range(100))
    return lambda: f"sqlite:///{next(paths)}"
{%- else %}


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database created for this run, migrated to head the way production is, dropped at the end."""
    with temporary_database(DATABASE_SERVER_URL) as url:
        migrate(url)
        yield url


@pytest.fixture
def empty_database() -> Iterator[DatabaseFactory]:
    """Makes databases that no migration has touched; all are dropped after the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(temporary_database(DATABASE_SERVER_URL))
{%- endif %}
{%- if cookiecutter.use_redis %}


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
{%- endif %}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No settings inherited from the shell; TEST_* server URLs stay."""
    for name in list(os.environ):
        if name.isupper() and not name.startswith("TEST_") and name not in {"PATH", "HOME", "TMPDIR"}:
            monkeypatch.delenv(name)
    return monkeypatch
