"""Throwaway databases on the test server, created and dropped through the app's driver."""

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import NullPool, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.project_slug }}.core.db import engine_url
{%- if cookiecutter.database == "postgresql" %}

CREATE = 'CREATE DATABASE "{name}"'
DROP = 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
{%- else %}

# utf8mb4_unicode_ci would do, but MariaDB's index range scans then miss rows with emoji for LIKE 'x%'.
CREATE = "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
DROP = "DROP DATABASE IF EXISTS `{name}`"
{%- endif %}


async def _execute(server_url: str, statement: str) -> None:
    engine = create_async_engine(engine_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server `server_url` names; yield its URL; drop it."""
    name = f"test_{{ cookiecutter.project_slug }}_{secrets.token_hex(4)}"
    asyncio.run(_execute(server_url, CREATE.format(name=name)))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute(server_url, DROP.format(name=name)))
