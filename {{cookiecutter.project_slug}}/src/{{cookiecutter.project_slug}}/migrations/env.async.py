"""Alembic's entry point: migrate through the app's own engine (and its connection settings)."""

import asyncio

from alembic import context

from {{ cookiecutter.project_slug }}.core.db import create_engine
from {{ cookiecutter.project_slug }}.core.migrations import run_migrations
from {{ cookiecutter.project_slug }}.settings import Settings, load_settings


async def migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


# `{{ cookiecutter.project_slug }} db` and the tests pass their settings; plain `alembic` reads them from the environment.
asyncio.run(migrate(context.config.attributes.get("settings") or load_settings()))
