"""`{{ cookiecutter.project_slug }} create-admin`: the first admin of a new deployment, or a user made one."""

from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.project_slug }}.cli.console import (
    bad_parameter,
    console,
    error_console,
    exiting_on_app_errors,
    exiting_on_bad_settings,
    settings_or_exit,
)
from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import ValidationFailed
from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate
from {{ cookiecutter.project_slug }}.core.user.service import UserService
from {{ cookiecutter.project_slug }}.resources import Resources, run_with_resources

app = typer.Typer()


async def make_admin(resources: Resources, data: UserCreate) -> bool:
    """make_admin in a unit of work of its own; True when the account was created."""
    async with unit_of_work(resources.sessions) as session:
        _, created = await UserService(session, resources.passwords).make_admin(data)
    return created


@app.command("create-admin")
def create_admin(
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
    settings = settings_or_exit()
    configure_logging(settings)
    try:
        data = UserCreate.model_validate({"email": email, "password": password})
    except ValidationError as exc:
        raise bad_parameter(exc, "account") from None
    with exiting_on_app_errors():
        try:
            with exiting_on_bad_settings():
                created = run_with_resources(settings, lambda resources: make_admin(resources, data))
        except ValidationFailed as exc:
            raise typer.BadParameter(f"password {'; '.join(exc.details['password'])}") from None
        except SQLAlchemyError as exc:
            error_console.print(f"[bold red]Database error[/bold red] (is it migrated?)\n{exc}", highlight=False)
            raise typer.Exit(1) from None
    console.print(f"Created the admin {data.email}." if created else f"{data.email} is now an admin.", highlight=False)
