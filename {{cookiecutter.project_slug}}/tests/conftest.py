"""Settings for tests: real servers named by TEST_* variables, never the development ones."""

import os
import socket
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.settings import Environment, Settings


@pytest.fixture(scope="session")
def unused_port() -> int:
    """A loopback port nothing listens on: a real refused connection, for outage tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> str:
{%- if cookiecutter.database == "sqlite" %}
    return f"sqlite:///{tmp_path / 'test.db'}"
{%- else %}
{%- if cookiecutter.database == "postgresql" %}
    return os.environ.get("TEST_DATABASE_URL", "postgresql://app:app@localhost:5432/postgres")
{%- else %}
    return os.environ.get("TEST_DATABASE_URL", "mysql://app:app@localhost:3306/mysql")
{%- endif %}
{%- endif %}
{%- if cookiecutter.use_redis %}


@pytest.fixture
def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
{%- endif %}


@pytest.fixture
def settings(database_url: str{% if cookiecutter.use_redis %}, redis_url: str{% endif %}) -> Settings:
    """Test settings; `.env` is ignored so a developer's file cannot leak into tests."""
    return Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=database_url,
{%- if cookiecutter.use_redis %}
        redis_url=redis_url,
{%- endif %}
    )


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No settings inherited from the shell; TEST_* server URLs stay."""
    for name in list(os.environ):
        if name.isupper() and not name.startswith("TEST_") and name not in {"PATH", "HOME", "TMPDIR"}:
            monkeypatch.delenv(name)
    return monkeypatch
