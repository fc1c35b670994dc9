"""`{{ cookiecutter.project_slug }} db`: Alembic migrations with the app's settings."""

from collections.abc import Callable
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.project_slug }}.cli.console import error_console, settings_or_exit
from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.core.schema import alembic_config

app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)


def _alembic(run: Callable[[Config], object]) -> None:
    """Run an Alembic command with the app's settings; its errors become a message and exit 1."""
    settings = settings_or_exit()
    configure_logging(settings)
    try:
        run(alembic_config(settings))
    except (CommandError, SQLAlchemyError) as exc:
        error_console.print(f"[bold red]Migration failed[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(1) from None


@app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: all)."""
    _alembic(lambda config: command.upgrade(config, revision))


@app.command("downgrade")
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision: -1, an id or base.")]) -> None:
    """Revert migrations down to REVISION."""
    _alembic(lambda config: command.downgrade(config, revision))


@app.command("current")
def current() -> None:
    """Show the revision the database is at."""
    _alembic(command.current)


@app.command("revision")
def revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
    autogenerate: Annotated[bool, typer.Option(help="Compare the models with the database.")] = True,
) -> None:
    """Write a new migration, by default from the difference between the models and the database."""
    _alembic(lambda config: command.revision(config, message=message, autogenerate=autogenerate))


@app.command("check")
def check() -> None:
    """Exit 1 if the models and the migrated database differ (a migration is missing)."""
    _alembic(command.check)
