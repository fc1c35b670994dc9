"""`{{ cookiecutter.project_slug }} flags`: see and override feature flags (defaults in FLAGS__DEFAULTS, overrides in Redis)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table

from {{ cookiecutter.project_slug }}.cli.console import bad_parameter, console, exiting_on_app_errors, settings_or_exit
from {{ cookiecutter.project_slug }}.core.flag_rules import FlagRule, FlagState
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.resources import run_with_resources

T = TypeVar("T")

app = typer.Typer(help="Feature flags: defaults in FLAGS__DEFAULTS, overrides in Redis.", no_args_is_help=True)


def _with_store(command: Callable[[FlagStore], Awaitable[T]]) -> T:
    """Run a flag command with the app's settings; an unknown flag or unreachable Redis exits 1."""
    settings = settings_or_exit()
    configure_logging(settings)
    with exiting_on_app_errors():
        return run_with_resources(settings, lambda resources: command(resources.redis.flags))


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


@app.command("list")
def list_flags() -> None:
    """Show every declared flag: its default, its override and its value for anonymous callers."""
    states = _with_store(lambda store: store.states())
    if not states:
        console.print("""No flags declared (set FLAGS__DEFAULTS, e.g. '{"new_search": false}').""", highlight=False)
        return
    _print_flags(states)


@app.command("set")
def set_flag(
    name: Annotated[str, typer.Argument(help="A flag declared in FLAGS__DEFAULTS.")],
    on: Annotated[bool, typer.Option("--on/--off", help="On for everyone, or off but for --user and --percentage.")],
    user: Annotated[list[str] | None, typer.Option("--user", help="A user id to turn it on for; repeatable.")] = None,
    percentage: Annotated[float, typer.Option(min=0, max=100, help="Share of users to turn it on for.")] = 0,
) -> None:
    """Override a flag; every process applies it within FLAGS__CACHE_SECONDS."""
    try:
        rule = FlagRule(enabled=on, users=tuple(user or ()), percentage=percentage)
    except ValidationError as exc:
        raise bad_parameter(exc, "rule") from None
    _print_flags([_with_store(lambda store: store.set(name, rule))])


@app.command("unset")
def unset_flag(name: Annotated[str, typer.Argument(help="A flag declared in FLAGS__DEFAULTS.")]) -> None:
    """Remove a flag's override, so it answers its default again."""
    removed = _with_store(lambda store: store.unset(name))
    console.print(f"Removed the override of {name}." if removed else f"{name} had no override.", highlight=False)
