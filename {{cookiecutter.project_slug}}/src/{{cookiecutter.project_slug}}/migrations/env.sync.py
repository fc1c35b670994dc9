{# Generated from env.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Alembic's entry point: migrate through the app's own engine (and its connection settings)."""

from alembic import context

from {{ cookiecutter.project_slug }}.core.db import create_engine
from {{ cookiecutter.project_slug }}.core.migrations import run_migrations
from {{ cookiecutter.project_slug }}.settings import Settings, load_settings


def migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


# `{{ cookiecutter.project_slug }} db` and the tests pass their settings; plain `alembic` reads them from the environment.
migrate(context.config.attributes.get("settings") or load_settings())
