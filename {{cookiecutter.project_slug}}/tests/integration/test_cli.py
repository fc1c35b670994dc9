"""The CLI against real services: doctor's exit codes, bad settings exit 2."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.cli import EXIT_BAD_SETTINGS, cli
from {{ cookiecutter.project_slug }}.settings import get_settings
from tests.conftest import DatabaseFactory

SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
def cli_env(
    clean_environment: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
{%- if cookiecutter.use_redis %}
    redis_url: str,
{%- endif %}
) -> Iterator[pytest.MonkeyPatch]:
    """Settings through the environment, as a deployed process gets them."""
    clean_environment.chdir(tmp_path)
    clean_environment.setenv("ENVIRONMENT", "test")
    clean_environment.setenv("DATABASE_URL", database_url)
{%- if cookiecutter.use_redis %}
    clean_environment.setenv("REDIS_URL", redis_url)
{%- endif %}
    get_settings.cache_clear()
    yield clean_environment
    get_settings.cache_clear()


def test_doctor_passes_with_every_service_up(cli_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "database" in result.output
    assert "ok" in result.output
{%- if cookiecutter.database != "sqlite" %}


def test_doctor_fails_with_the_fix_when_the_database_is_down(
    cli_env: pytest.MonkeyPatch, database_url: str, unused_port: int
) -> None:
    scheme = database_url.split("://", 1)[0]
    cli_env.setenv("DATABASE_URL", f"{scheme}://app:app@127.0.0.1:{unused_port}/app")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "fail" in result.output
    assert "DATABASE_URL" in result.output
{%- endif %}
{%- if cookiecutter.use_redis %}


def test_doctor_fails_when_redis_is_down(cli_env: pytest.MonkeyPatch, unused_port: int) -> None:
    cli_env.setenv("REDIS_URL", f"redis://127.0.0.1:{unused_port}/0")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "REDIS_URL" in result.output
{%- endif %}


def test_doctor_fails_while_migrations_are_pending(
    cli_env: pytest.MonkeyPatch, empty_database: DatabaseFactory
) -> None:
    cli_env.setenv("DATABASE_URL", empty_database())
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    # Rich wraps table cells at spaces: look for single words.
    assert "migrations=pending" in result.output
    assert "upgrade" in result.output


def test_version(cli_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


@pytest.mark.parametrize("command", ["doctor", "serve"])
def test_bad_setting_exits_2_naming_the_variable(cli_env: pytest.MonkeyPatch, command: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "ENVIRONMENT": "production", "SECRET_KEY": "too-short-secret"}
    result = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "{{ cookiecutter.project_slug }}", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == EXIT_BAD_SETTINGS
    assert "SECRET_KEY is shorter than 32 characters" in result.stderr
    assert "too-short-secret" not in result.stderr + result.stdout
