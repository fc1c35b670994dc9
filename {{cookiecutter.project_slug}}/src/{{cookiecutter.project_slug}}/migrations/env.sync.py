{# Generated from env.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Alembic's entry point: migrate through the app's own engine (and its connection settings).

Every model module is imported here, so that autogenerate compares the whole schema: add yours.
"""

from alembic import context
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth import models as auth_models  # noqa: F401 - its tables, for autogenerate
{%- endif %}
from {{ cookiecutter.project_slug }}.core.db import create_engine
from {{ cookiecutter.project_slug }}.core.item import models as item_models  # noqa: F401 - its tables, for autogenerate
from {{ cookiecutter.project_slug }}.core.schema import run_migrations
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
