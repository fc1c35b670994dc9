"""The command line: `{{ cookiecutter.project_slug }} serve | doctor | db |{% if cookiecutter.use_redis %} flags |{% endif %}{% if cookiecutter.use_auth %} create-admin |{% endif %} version` (also `python -m {{ cookiecutter.project_slug }}`)."""

from collections.abc import Callable
from typing import Annotated{% if cookiecutter.use_redis %}, TypeVar{% endif %}

import typer
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
{%- if cookiecutter.use_redis or cookiecutter.use_auth %}
from pydantic import ValidationError
{%- endif %}
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.project_slug }} import __version__
{%- if cookiecutter.use_redis or cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.errors import AppError{% if cookiecutter.use_auth %}, ValidationFailed{% endif %}
{%- endif %}
{%- if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.flag_rules import FlagRule, FlagState
from {{ cookiecutter.project_slug }}.core.flags import FlagCommand, run_flag_command
{%- endif %}
from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.core.migrations import alembic_config
from {{ cookiecutter.project_slug }}.core.resources import check_health_once
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate
from {{ cookiecutter.project_slug }}.core.user.service import create_admin
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import Environment, Settings, SettingsError, get_settings
{%- if cookiecutter.use_redis %}

T = TypeVar("T")
{%- endif %}

# Exit status for settings that cannot be used, distinct from a failed check (1).
EXIT_BAD_SETTINGS = 2

# What to try when a readiness check fails, by check name.
FIXES = {
    "database": "Is the database server running, and does DATABASE_URL point at it?",
    "redis": "Is Redis running, and does REDIS_URL point at it?",
}

cli = typer.Typer(help="{{ cookiecutter.project_name }}", no_args_is_help=True, add_completion=False)
db = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
cli.add_typer(db, name="db")
{%- if cookiecutter.use_redis %}
flags = typer.Typer(help="Feature flags: defaults in FLAGS__DEFAULTS, overrides in Redis.", no_args_is_help=True)
cli.add_typer(flags, name="flags")
{%- endif %}
console = Console()
error_console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        error_console.print(f"[bold red]Invalid settings[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_SETTINGS) from None


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(envvar="WEB_CONCURRENCY", help="Worker processes.")] = 1,
    reload: Annotated[bool | None, typer.Option(help="Restart on code changes (default: in development).")] = None,
) -> None:
    """Run the web server: auto-reload in development, the production server otherwise."""
    from {{ cookiecutter.project_slug }}.web.server import run_server  # noqa: PLC0415 - loads the web stack only for serve

    settings = _settings()
    configure_logging(settings)
    if reload is None:
        reload = settings.environment is Environment.DEVELOPMENT
    run_server(settings, host=host, port=port, workers=workers, reload=reload)


@cli.command()
def doctor() -> None:
    """Check settings and every configured service; exit 1 if anything is wrong."""
    settings = _settings()
    table = Table(title="{{ cookiecutter.project_name }} doctor")
    for column in ("check", "status", "latency", "details"):
        table.add_column(column)
    problems = settings.problems()
    table.add_row(
        "settings",
        "[yellow]warn[/yellow]" if problems else "[green]ok[/green]",
        "",
        "\n".join(problems) or f"environment={settings.environment.value}",
    )
    try:
        report = check_health_once(settings)
    except SettingsError as exc:
        error_console.print(f"[bold red]Invalid settings[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_SETTINGS) from None
    failed = False
    for check in report.checks:
        latency = f"{check.latency_ms:.1f} ms"
        details = ", ".join(f"{key}={value}" for key, value in check.details.items())
        if check.ok:
            table.add_row(check.name, "[green]ok[/green]", latency, details)
            continue
        failed = True
        # A check that reached its dependency reports what it found; otherwise suggest where to look.
        table.add_row(check.name, "[red]fail[/red]", latency, f"{check.error}\n{details or FIXES.get(check.name, '')}")
    console.print(table)
    if failed:
        raise typer.Exit(1)


{%- if cookiecutter.use_redis or cookiecutter.use_auth %}


def _bad_parameter(exc: ValidationError, subject: str) -> typer.BadParameter:
    """Usage error (exit 2) naming each invalid field and its rule, never the value given."""
    problems = (f"{'.'.join(map(str, error['loc'])) or subject}: {error['msg']}" for error in exc.errors())
    return typer.BadParameter("; ".join(problems))
{%- endif %}


def _alembic(run: Callable[[Config], object]) -> None:
    """Run an Alembic command with the app's settings; its errors become a message and exit 1."""
    settings = _settings()
    configure_logging(settings)
    try:
        run(alembic_config(settings))
    except (CommandError, SQLAlchemyError) as exc:
        error_console.print(f"[bold red]Migration failed[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(1) from None


@db.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: all)."""
    _alembic(lambda config: command.upgrade(config, revision))


@db.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision: -1, an id or base.")]) -> None:
    """Revert migrations down to REVISION."""
    _alembic(lambda config: command.downgrade(config, revision))


@db.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    _alembic(command.current)


@db.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
    autogenerate: Annotated[bool, typer.Option(help="Compare the models with the database.")] = True,
) -> None:
    """Write a new migration, by default from the difference between the models and the database."""
    _alembic(lambda config: command.revision(config, message=message, autogenerate=autogenerate))


@db.command("check")
def db_check() -> None:
    """Exit 1 if the models and the migrated database differ (a migration is missing)."""
    _alembic(command.check)


{%- if cookiecutter.use_redis %}


def _flag_command(command: FlagCommand[T]) -> T:
    """Run a flag command with the app's settings; an unknown flag or unreachable Redis exits 1."""
    settings = _settings()
    configure_logging(settings)
    try:
        return run_flag_command(settings, command)
    except AppError as exc:
        error_console.print(f"[bold red]{exc.title}[/bold red]\n{exc.message}", highlight=False)
        raise typer.Exit(1) from None


def _on_off(value: bool) -> str:
    return "[green]on[/green]" if value else "off"


def _print_flags(states: list[FlagState]) -> None:
    table = Table(title="Feature flags")
    for column in ("flag", "default", "override", "anonymous"):
        table.add_column(column)
    for state in states:
        override = state.override.describe() if state.override else ""
        table.add_row(state.name, _on_off(state.default), override, _on_off(state.enabled))
    console.print(table)


@flags.command("list")
def flags_list() -> None:
    """Show every declared flag: its default, its override and its value for anonymous callers."""
    states = _flag_command(lambda store: store.states())
    if not states:
        console.print("""No flags declared (set FLAGS__DEFAULTS, e.g. '{"new_search": false}').""", highlight=False)
        return
    _print_flags(states)


@flags.command("set")
def flags_set(
    name: Annotated[str, typer.Argument(help="A flag declared in FLAGS__DEFAULTS.")],
    on: Annotated[bool, typer.Option("--on/--off", help="On for everyone, or off but for --user and --percentage.")],
    user: Annotated[list[str] | None, typer.Option("--user", help="A user id to turn it on for; repeatable.")] = None,
    percentage: Annotated[float, typer.Option(min=0, max=100, help="Share of users to turn it on for.")] = 0,
) -> None:
    """Override a flag; every process applies it within FLAGS__CACHE_SECONDS."""
    try:
        rule = FlagRule(enabled=on, users=tuple(user or ()), percentage=percentage)
    except ValidationError as exc:
        raise _bad_parameter(exc, "rule") from None
    _print_flags([_flag_command(lambda store: store.set(name, rule))])


@flags.command("unset")
def flags_unset(name: Annotated[str, typer.Argument(help="A flag declared in FLAGS__DEFAULTS.")]) -> None:
    """Remove a flag's override, so it answers its default again."""
    removed = _flag_command(lambda store: store.unset(name))
    console.print(f"Removed the override of {name}." if removed else f"{name} had no override.", highlight=False)
{%- endif %}
{%- if cookiecutter.use_auth %}


@cli.command("create-admin")
def create_admin_command(
    email: Annotated[str, typer.Option(prompt=True, help="The admin's email address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="ADMIN_PASSWORD",
            help="Asked for when not set in ADMIN_PASSWORD; kept out of the shell history that way.",
        ),
    ],
) -> None:
    """Create an admin account, or make an existing account an active admin (its password is kept)."""
    settings = _settings()
    configure_logging(settings)
    try:
        data = UserCreate.model_validate({"email": email, "password": password})
    except ValidationError as exc:
        raise _bad_parameter(exc, "account") from None
    try:
        created = create_admin(settings, data)
    except ValidationFailed as exc:
        raise typer.BadParameter(f"password {'; '.join(exc.details['password'])}") from None
    except AppError as exc:
        error_console.print(f"[bold red]{exc.title}[/bold red]\n{exc.message}", highlight=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        error_console.print(f"[bold red]Database error[/bold red] (is it migrated?)\n{exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Created the admin {data.email}." if created else f"{data.email} is now an admin.", highlight=False)
{%- endif %}


@cli.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


def main() -> None:
    cli()
