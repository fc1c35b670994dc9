"""Settings for tests: real servers named by TEST_* variables, never the development ones.

The test database is created for the run, migrated with Alembic and dropped at the end; tests
that write go through a transaction that is rolled back (see tests/web/conftest.py).
"""

import os
{%- if cookiecutter.use_redis %}
import secrets
{%- endif %}
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from alembic import command

from {{ cookiecutter.project_slug }}.core.schema import alembic_config
{%- set settings_names = ["Environment", "Settings"]
    + (["AuthSettings"] if cookiecutter.use_auth else [])
    + (["RedisSettings"] if cookiecutter.use_redis else [])
    + (["RateLimitSettings"] if cookiecutter.use_redis and cookiecutter.use_auth else []) %}
from {{ cookiecutter.project_slug }}.settings import {{ settings_names | sort | join(", ") }}
{%- if cookiecutter.database == "sqlite" %}
from tests.file_database import temporary_database
{%- endif %}
from tests.ports import free_port
{%- if cookiecutter.database != "sqlite" or cookiecutter.use_redis %}
from tests.reachable import require_server
{%- endif %}
{%- if cookiecutter.use_redis %}
from tests.redis_fixtures import REDIS_RUN_PREFIX, REDIS_URL
{%- endif %}
{%- if cookiecutter.database != "sqlite" %}
from tests.server_database import SERVER_URL, temporary_database
{%- endif %}
{%- if cookiecutter.use_celery %}

pytest_plugins = ["tests.redis_fixtures", "tests.worker_fixtures"]
{%- elif cookiecutter.use_redis %}

pytest_plugins = ["tests.redis_fixtures"]
{%- endif %}

# Makes an empty, unmigrated database and returns its URL (see the `empty_database` fixture).
DatabaseFactory = Callable[[], str]
{%- if cookiecutter.database != "sqlite" or cookiecutter.use_redis %}
# The servers the tests need, by the variable that names each.
TEST_SERVERS = {
{%- if cookiecutter.database != "sqlite" %}
    "TEST_DATABASE_URL": SERVER_URL,
{%- endif %}
{%- if cookiecutter.use_redis %}
    "TEST_REDIS_URL": REDIS_URL,
{%- endif %}
}


def pytest_sessionstart() -> None:
    """Every test server answers, or the run stops before the first test with one line naming the missing one."""
    for variable, url in TEST_SERVERS.items():
        require_server(variable, url)
{%- endif %}


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
    return free_port()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database created for this run, migrated to head the way production is, dropped at the end."""
    with temporary_database() as url:
        migrate(url)
        yield url


@pytest.fixture
def empty_database() -> Iterator[DatabaseFactory]:
    """Makes databases that no migration has touched; all are dropped after the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(temporary_database())


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
