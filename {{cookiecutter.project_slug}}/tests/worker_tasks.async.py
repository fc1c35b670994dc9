"""Tasks that exist only in tests, to drive failures through the real worker and its runtime."""

import asyncio
from typing import Any

from sqlalchemy import delete

from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemImport
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
from {{ cookiecutter.project_slug }}.resources import Resources
from {{ cookiecutter.project_slug }}.worker.task import task


async def delete_items(resources: Resources, *, prefix: str) -> None:
    """Delete the items whose names start with `prefix`: what a test's tasks committed."""
    async with unit_of_work(resources.sessions) as session:
        await session.execute(delete(Item).where(Item.name.startswith(prefix)))


async def count_attempt(resources: Resources, key: str) -> int:
    """Counts the runs of a task in Redis, where the test can read them."""
    return int(await resources.redis.client.incr(key))


@task("tests.create_then_fail")
async def create_then_fail(resources: Resources, *, name: str) -> None:
    async with unit_of_work(resources.sessions) as session:
        await ItemService(session).create(ItemCreate(name=name))
        raise RuntimeError("failed after writing")


@task("tests.flaky", keep_result=True)
async def flaky(resources: Resources, *, key: str, failures: int) -> int:
    """Fails as an unavailable database does, `failures` times; then returns its attempt."""
    attempt = await count_attempt(resources, key)
    if attempt <= failures:
        raise ServiceUnavailable("The database is unavailable; try again shortly.")
    return attempt


@task("tests.broken", keep_result=True)
async def broken(resources: Resources, *, key: str) -> None:
    await count_attempt(resources, key)
    raise ValueError("not a transient failure")


@task("tests.slow_import", keep_result=True)
async def slow_import(resources: Resources, *, key: str, items: list[dict[str, Any]], pause: float) -> dict[str, Any]:
    """An import, then a pause after its commit: a worker killed there did the work but never acknowledged it."""
    async with unit_of_work(resources.sessions) as session:
        result = await ItemService(session).import_by_name(ItemImport.model_validate({"items": items}))
    # Counted once committed, so a test that sees the count knows the work is done.
    await count_attempt(resources, key)
    await asyncio.sleep(pause)
    return result.model_dump()
