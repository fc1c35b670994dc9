"""`create-admin` against the real database, with settings from the environment."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from {{ cookiecutter.project_slug }}.cli import cli
from {{ cookiecutter.project_slug }}.settings import get_settings
from tests.conftest import DatabaseFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cli_env(clean_environment: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[pytest.MonkeyPatch]:
    clean_environment.chdir(tmp_path)
    clean_environment.setenv("ENVIRONMENT", "test")
    clean_environment.setenv("DATABASE_URL", database_url)
    clean_environment.setenv("SECRET_KEY", "k" * 48)
    # The cheapest Argon2id that raises no warning about its cost.
    for name, value in {"MEMORY_KIB": "19456", "TIME_COST": "2", "PARALLELISM": "1"}.items():
        clean_environment.setenv(f"AUTH__ARGON2_{name}", value)
    get_settings.cache_clear()
    yield clean_environment
    get_settings.cache_clear()


def create_admin(*arguments: str, password: str = PASSWORD) -> Result:
    return CliRunner().invoke(cli, ["create-admin", *arguments], env={"ADMIN_PASSWORD": password})


def test_create_admin_creates_an_active_admin_then_promotes_idempotently(cli_env: pytest.MonkeyPatch) -> None:
    email = f"root-{secrets.token_hex(4)}@example.com"
    created = create_admin("--email", email.upper())
    assert created.exit_code == 0, created.output
    assert f"Created the admin {email}." in created.output
    assert PASSWORD not in created.output
    # Found by the second run (so it was stored), whose password is ignored: the account keeps its own.
    again = create_admin("--email", email, password="another password entirely")
    assert again.exit_code == 0, again.output
    assert f"{email} is now an admin." in again.output


def test_the_password_can_be_typed_at_the_prompt(cli_env: pytest.MonkeyPatch) -> None:
    email = f"typed-{secrets.token_hex(4)}@example.com"
    result = CliRunner().invoke(cli, ["create-admin", "--email", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created the admin" in result.output


@pytest.mark.parametrize(
    ("arguments", "password", "message"),
    [
        pytest.param(("--email", "not-an-email"), PASSWORD, "email", id="bad-email"),
        pytest.param(("--email", "weak@example.com"), "short", "at least 12 characters", id="weak-password"),
    ],
)
def test_bad_input_exits_2_and_creates_nothing(
    cli_env: pytest.MonkeyPatch, arguments: tuple[str, ...], password: str, message: str
) -> None:
    result = create_admin(*arguments, password=password)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert password not in result.output


def test_an_unmigrated_database_is_a_clear_error(cli_env: pytest.MonkeyPatch, empty_database: DatabaseFactory) -> None:
    cli_env.setenv("DATABASE_URL", empty_database())
    get_settings.cache_clear()
    result = create_admin("--email", f"nodb-{secrets.token_hex(4)}@example.com")
    assert result.exit_code == 1
    # A missing table, or on SQLite an OperationalError like any other: a database error either way.
    assert "atabase" in result.output
    assert "Traceback" not in result.output
