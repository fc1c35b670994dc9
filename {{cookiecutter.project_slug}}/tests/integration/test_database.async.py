"""The engine and unit of work against the real database: commits, rollbacks, UTC, connection setup."""

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, event, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from {{ cookiecutter.project_slug }}.core.database_check import check_database
from {{ cookiecutter.project_slug }}.core.db import create_session_factory, unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.resources import Resources, open_resources
from {{ cookiecutter.project_slug }}.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions that really commit; rows named with this test's prefix are deleted afterwards."""
    sessions = create_session_factory(engine)
    yield sessions
    async with unit_of_work(sessions) as session:
        await session.execute(delete(Item).where(Item.name.startswith(PREFIX)))


PREFIX = f"db-test-{secrets.token_hex(4)}-"


async def names(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with unit_of_work(sessions) as session:
        rows = await session.scalars(select(Item.name).where(Item.name.startswith(PREFIX)).order_by(Item.name))
        return list(rows)


async def test_unit_of_work_commits_when_the_block_succeeds(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        session.add(Item(name=f"{PREFIX}kept"))
    assert await names(sessions) == [f"{PREFIX}kept"]


async def test_unit_of_work_rolls_back_when_the_block_raises(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def write_then_fail() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Item(name=f"{PREFIX}lost"))
            await session.flush()
            raise RuntimeError("failed after the write")

    with pytest.raises(RuntimeError, match="after the write"):
        await write_then_fail()
    assert await names(sessions) == []


async def test_unique_violation_at_commit_is_a_conflict(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        session.add(Item(name=f"{PREFIX}twin"))

    async def add_twin() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Item(name=f"{PREFIX}other"))
            session.add(Item(name=f"{PREFIX}twin"))

    with pytest.raises(Conflict):
        await add_twin()
    assert await names(sessions) == [f"{PREFIX}twin"]


async def test_datetimes_come_back_as_the_same_instant_in_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    written = datetime(2030, 6, 1, 23, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    async with unit_of_work(sessions) as session:
        session.add(Item(name=f"{PREFIX}clock", created_at=written, updated_at=written))
    async with unit_of_work(sessions) as session:
        read = await session.scalar(select(Item.created_at).where(Item.name == f"{PREFIX}clock"))
    assert read == written
    assert read is not None
    assert read.tzinfo is UTC
    assert read.isoformat() == "2030-06-01T18:00:15.123456+00:00"


async def test_naive_datetimes_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    naive = datetime(2030, 1, 1)  # noqa: DTZ001 - the point of the test

    async def add_naive() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Item(name=f"{PREFIX}naive", created_at=naive, updated_at=naive))

    with pytest.raises(StatementError, match="naive datetime"):
        await add_naive()
    assert await names(sessions) == []


async def test_four_byte_characters_are_stored_intact(sessions: async_sessionmaker[AsyncSession]) -> None:
    name = f"{PREFIX}🚀🎉"
    async with unit_of_work(sessions) as session:
        session.add(Item(name=name, description="𝄞 clef"))
    async with unit_of_work(sessions) as session:
        item = await session.scalar(select(Item).where(Item.name == name))
    assert item is not None
    assert item.description == "𝄞 clef"


async def test_the_pool_reuses_one_connection(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
    connects: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda *_: connects.append(1))
    for _ in range(20):
        await names(sessions)
    assert len(connects) == 1
    details = await check_database(engine, require_migrations=True)
    assert details["checked_out"] == 0
    assert details["idle"] == 1
    assert details["migrations"] == "current"


def pool_samples(resources: Resources, prefix: str) -> dict[str, float]:
    """This process's samples whose name starts with `prefix`, by name and label values."""
    body, _ = resources.metrics.render()
    return {
        sample.name + "".join(f":{value}" for value in sample.labels.values()): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name.startswith(prefix)
    }


def pool_gauges(resources: Resources) -> dict[str, float]:
    return {
        name: value
        for name, value in pool_samples(resources, "db_client_connection").items()
        if not name.startswith("db_client_connection_wait_time")
    }


async def test_the_pool_gauges_follow_checkouts_and_checkins(settings: Settings) -> None:
    resources = open_resources(settings)
    try:
        async with resources.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            held = pool_gauges(resources)
        released = pool_gauges(resources)
    finally:
        await resources.close()
    maximum = settings.database.pool_size + settings.database.max_overflow
    assert held == {
        "db_client_connection_count:used": 1,
        "db_client_connection_count:idle": 0,
        "db_client_connection_overflow": 0,
        "db_client_connection_max": maximum,
    }
    assert released == held | {"db_client_connection_count:used": 0, "db_client_connection_count:idle": 1}


async def test_the_wait_for_a_connection_is_timed_even_when_it_times_out(settings: Settings) -> None:
    one_connection = settings.database.model_copy(update={"pool_size": 1, "max_overflow": 0, "pool_timeout": 1.0})
    resources = open_resources(settings.model_copy(update={"database": one_connection}))
    try:
        # Connected once, so the checkout below takes the idle connection instead of connecting.
        async with resources.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        before = pool_samples(resources, "db_client_connection_wait_time_seconds")
        async with resources.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            with pytest.raises(PoolTimeout):
                await resources.engine.connect()
        after = pool_samples(resources, "db_client_connection_wait_time_seconds")
    finally:
        await resources.close()
    waits = {name: value - before[name] for name, value in after.items()}
    assert waits["db_client_connection_wait_time_seconds_count"] == 2
    assert waits["db_client_connection_wait_time_seconds_sum"] >= 1.0
    # The first checkout found the idle connection; the second waited out pool_timeout.
    assert waits["db_client_connection_wait_time_seconds_bucket:0.5"] == 1
{%- if cookiecutter.database == "postgresql" %}


async def test_sessions_run_in_utc(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("SHOW timezone")) == "UTC"
{%- elif cookiecutter.database == "mysql" %}


async def test_sessions_are_utc_strict_and_utf8mb4(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        result = await connection.execute(
            text("SELECT @@session.time_zone, @@session.sql_mode, @@session.character_set_connection")
        )
        time_zone, sql_mode, charset = result.one()
    assert time_zone == "+00:00"
    assert "STRICT_ALL_TABLES" in sql_mode
    assert charset == "utf8mb4"
{%- else %}


async def test_connections_enforce_foreign_keys_and_use_wal(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
{%- endif %}
