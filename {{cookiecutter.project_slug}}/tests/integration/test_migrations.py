"""Migrations through the CLI on fresh databases: up, down and up again, and no drift from the models."""

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from {{ cookiecutter.project_slug }}.cli import cli
from {{ cookiecutter.project_slug }}.core.schema import migration_status
from {{ cookiecutter.project_slug }}.settings import get_settings
from tests.conftest import DatabaseFactory


@pytest.fixture
def fresh_database(clean_environment: pytest.MonkeyPatch, empty_database: DatabaseFactory) -> Iterator[str]:
    """An empty database that the CLI's settings point at."""
    url = empty_database()
    clean_environment.setenv("ENVIRONMENT", "test")
    clean_environment.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def db(*arguments: str) -> Result:
    return CliRunner().invoke(cli, ["db", *arguments])


def test_upgrade_downgrade_upgrade(fresh_database: str) -> None:
    head = migration_status(())["head"]
    assert db("upgrade").exit_code == 0
    assert f"{head} (head)" in db("current").output
    # Autogenerate compares the models with the migrated schema: nothing may differ.
    check = db("check")
    assert check.exit_code == 0, check.output
    assert "No new upgrade operations detected" in check.output

    assert db("downgrade", "base").exit_code == 0
    current = db("current")
    assert current.exit_code == 0
    # Alembic prints one "<revision> (head)" line per applied head; log lines may surround it.
    assert not any(line.startswith(head) for line in current.output.splitlines()), current.output
    # Without the tables the models differ from the database again.
    assert db("check").exit_code == 1

    assert db("upgrade", "head").exit_code == 0
    assert db("check").exit_code == 0


def test_check_fails_on_an_unmigrated_database(fresh_database: str) -> None:
    result = db("check")
    assert result.exit_code == 1
    assert "Migration failed" in result.output


def test_unknown_revision_is_a_clear_error(fresh_database: str) -> None:
    result = db("upgrade", "nope")
    assert result.exit_code == 1
    assert "nope" in result.output


def test_migration_status_reads_pending_current_and_ahead() -> None:
    head = migration_status(())["head"]
    assert migration_status(())["migrations"] == "pending"
    assert migration_status((head,))["migrations"] == "current"
    assert migration_status(("f00dbabe",))["migrations"] == "ahead"
