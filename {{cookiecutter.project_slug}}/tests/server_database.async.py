"""Throwaway databases on the test server, created and dropped through the app's driver."""

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import NullPool, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.project_slug }}.core.db import engine_url
{%- if cookiecutter.database == "postgresql" %}

# The server to create test databases on: compose.services.yaml's (`make services`) unless TEST_DATABASE_URL is set.
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://app:app@localhost:5432/postgres")
CREATE = 'CREATE DATABASE "{name}"'
DROP = 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
{%- else %}

# The server to create test databases on: compose.services.yaml's (`make services`) unless TEST_DATABASE_URL is set.
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "mysql://root:app@localhost:3306/mysql")
# utf8mb4_unicode_ci would do, but MariaDB's index range scans then miss rows with emoji for LIKE 'x%'.
CREATE = "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
DROP = "DROP DATABASE IF EXISTS `{name}`"
{%- endif %}


async def _execute(statement: str) -> None:
    engine = create_async_engine(engine_url(SERVER_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@contextmanager
def temporary_database() -> Iterator[str]:
    """Create an empty database on the test server; yield its URL; drop it."""
    name = f"test_{{ cookiecutter.project_slug }}_{secrets.token_hex(4)}"
    asyncio.run(_execute(CREATE.format(name=name)))
    try:
        yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute(DROP.format(name=name)))
