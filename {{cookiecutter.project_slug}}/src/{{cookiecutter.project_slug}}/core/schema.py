"""Alembic, configured from settings: where the schema stands against the code, and running migrations."""

import sys
from functools import cache
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

from {{ cookiecutter.project_slug }}.core.models import Base, UTCDateTime
from {{ cookiecutter.project_slug }}.settings import Settings

# The migration scripts ship inside the package, so an installed wheel can migrate and report.
SCRIPT_LOCATION = "{{ cookiecutter.project_slug }}:migrations"
# Alembic's bookkeeping table (its default name).
VERSION_TABLE = "alembic_version"


def alembic_config(settings: Settings) -> Config:
    """The configuration `db` commands and tests run Alembic with; env.py reads the settings from it."""
    # Alembic's default stdout is bound at import; pass the current one so redirection works.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    # New revisions leave lint-clean: unused imports dropped, then formatted (ruff is a dev tool).
    config.set_section_option("post_write_hooks", "hooks", "lint, format")
    for hook, options in (("lint", "check --fix --quiet"), ("format", "format --quiet")):
        config.set_section_option("post_write_hooks", f"{hook}.type", "module")
        config.set_section_option("post_write_hooks", f"{hook}.module", "ruff")
        config.set_section_option("post_write_hooks", f"{hook}.options", f"{options} REVISION_SCRIPT_FILENAME")
    config.attributes["settings"] = settings
    return config


@cache
def _scripts() -> ScriptDirectory:
    # Read once per process: the scripts cannot change under a running process.
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(config)


def schema_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions applied to the database (empty before the first migration).

    Read directly rather than through Alembic's MigrationContext, which logs two lines per call.
    """
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    return tuple(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))  # noqa: S608 - a constant


def migration_status(applied: tuple[str, ...]) -> dict[str, Any]:
    """Where the schema stands: `current`, `pending` (behind the code) or `ahead` (newer code migrated it)."""
    scripts = _scripts()
    heads = scripts.get_heads()
    if set(applied) == set(heads):
        state = "current"
    else:
        try:
            known = all(scripts.get_revision(revision) is not None for revision in applied)
        except CommandError:
            known = False
        # A revision this code does not know was applied by a newer release: not our problem to fix.
        state = "pending" if known else "ahead"
    return {"revision": ",".join(applied) or None, "head": ",".join(heads), "migrations": state}


def render_item(kind: str, value: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types into new revisions by their importable name."""
    if kind == "type" and isinstance(value, UTCDateTime):
        autogen_context.imports.add("from {{ cookiecutter.project_slug }}.core.models import UTCDateTime")
        return "UTCDateTime()"
    return False


def run_migrations(connection: Connection) -> None:
    """Run the Alembic command in progress on `connection` (called from env.py, which imports the models)."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_item=render_item,
        # SQLite alters tables by copying them; batch mode writes migrations that way.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
