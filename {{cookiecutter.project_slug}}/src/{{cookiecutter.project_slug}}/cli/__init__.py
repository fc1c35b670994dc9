"""The command line: `{{ cookiecutter.project_slug }} serve | doctor | db |{% if cookiecutter.use_celery %} worker | beat | heartbeat |{% endif %}{% if cookiecutter.use_redis %} flags |{% endif %}{% if cookiecutter.use_auth %} create-admin |{% endif %} version`.

Also `python -m {{ cookiecutter.project_slug }}`. Each feature's commands live in a module of their own, added to `cli` here.
"""

from typing import Annotated

import typer
from rich.table import Table

from {{ cookiecutter.project_slug }} import __version__
from {{ cookiecutter.project_slug }}.cli import {% if cookiecutter.use_auth %}admin, {% endif %}db{% if cookiecutter.use_redis %}, flags{% endif %}{% if cookiecutter.use_celery %}, tasks{% endif %}
from {{ cookiecutter.project_slug }}.cli.console import EXIT_BAD_SETTINGS, console, exiting_on_bad_settings, settings_or_exit
from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.resources import run_with_resources
from {{ cookiecutter.project_slug }}.settings import Environment

__all__ = ["EXIT_BAD_SETTINGS", "cli", "main"]

# What to try when a readiness check fails, by check name.
FIXES = {
    "database": "Is the database server running, and does DATABASE_URL point at it?",
{%- if cookiecutter.use_redis %}
    "redis": "Is Redis running, and does REDIS_URL point at it?",
{%- endif %}
{%- if cookiecutter.use_celery %}
    "broker": "Is the broker running, and does CELERY__BROKER_URL (or else REDIS_URL) point at it?",
{%- endif %}
}

cli = typer.Typer(help="{{ cookiecutter.project_name }}", no_args_is_help=True, add_completion=False)
cli.add_typer(db.app, name="db")
{%- if cookiecutter.use_redis %}
cli.add_typer(flags.app, name="flags")
{%- endif %}
{%- if cookiecutter.use_auth %}
cli.add_typer(admin.app)
{%- endif %}
{%- if cookiecutter.use_celery %}
cli.add_typer(tasks.app)
{%- endif %}


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(envvar="WEB_CONCURRENCY", help="Worker processes.")] = 1,
    reload: Annotated[bool | None, typer.Option(help="Restart on code changes (default: in development).")] = None,
) -> None:
    """Run the web server: auto-reload in development, the production server otherwise."""
    from {{ cookiecutter.project_slug }}.web.server import run_server  # noqa: PLC0415 - loads the web stack only for serve

    settings = settings_or_exit()
    configure_logging(settings)
    if reload is None:
        reload = settings.environment is Environment.DEVELOPMENT
    run_server(settings, host=host, port=port, workers=workers, reload=reload)


@cli.command()
def doctor() -> None:
    """Check settings and every configured service; exit 1 if anything is wrong."""
    settings = settings_or_exit()
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
    # Building the clients checks the settings they take, too.
    with exiting_on_bad_settings():
        report = run_with_resources(settings, lambda resources: resources.health.run())
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


@cli.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


def main() -> None:
    cli()
