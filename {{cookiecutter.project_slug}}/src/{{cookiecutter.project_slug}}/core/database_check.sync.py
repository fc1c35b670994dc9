{# Generated from database_check.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The database's readiness check: the server answers, the schema is the code's, the pool's figures."""

from typing import Any

from sqlalchemy import Engine, text

from {{ cookiecutter.project_slug }}.core.db import pool_status
from {{ cookiecutter.project_slug }}.core.dialect import VERSION_QUERY
from {{ cookiecutter.project_slug }}.core.health_report import HealthCheckFailed
from {{ cookiecutter.project_slug }}.core.schema import migration_status, schema_revisions


def check_database(engine: Engine, *, require_migrations: bool) -> dict[str, Any]:
    """Server version, schema revision against the code's, and pool statistics."""
    with engine.connect() as connection:
        version = connection.scalar(text(VERSION_QUERY))
        revisions = schema_revisions(connection)
    details: dict[str, Any] = {
        "server_version": str(version),
        **migration_status(revisions),
        **pool_status(engine.pool),
    }
    if require_migrations and details["migrations"] == "pending":
        raise HealthCheckFailed("migrations are pending; run `{{ cookiecutter.project_slug }} db upgrade`", details)
    return details
