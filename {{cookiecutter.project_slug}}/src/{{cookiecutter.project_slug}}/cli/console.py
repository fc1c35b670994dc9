"""What every command shares: the consoles, loading settings, and errors turned into exit codes."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console

from {{ cookiecutter.project_slug }}.core.errors import AppError
from {{ cookiecutter.project_slug }}.settings import Settings, SettingsError, get_settings

# Exit status for settings that cannot be used, distinct from a failed check (1).
EXIT_BAD_SETTINGS = 2

console = Console()
error_console = Console(stderr=True)


@contextmanager
def exiting_on_bad_settings() -> Iterator[None]:
    """Settings that cannot be used: their message, and exit 2."""
    try:
        yield
    except SettingsError as exc:
        error_console.print(f"[bold red]Invalid settings[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_SETTINGS) from None


@contextmanager
def exiting_on_app_errors() -> Iterator[None]:
    """A domain error (an unknown flag, a service that is down): its title and message, and exit 1."""
    try:
        yield
    except AppError as exc:
        error_console.print(f"[bold red]{exc.title}[/bold red]\n{exc.message}", highlight=False)
        raise typer.Exit(1) from None


def settings_or_exit() -> Settings:
    with exiting_on_bad_settings():
        return get_settings()


def bad_parameter(exc: ValidationError, subject: str) -> typer.BadParameter:
    """Usage error (exit 2) naming each invalid field and its rule, never the value given."""
    problems = (f"{'.'.join(map(str, error['loc'])) or subject}: {error['msg']}" for error in exc.errors())
    return typer.BadParameter("; ".join(problems))
