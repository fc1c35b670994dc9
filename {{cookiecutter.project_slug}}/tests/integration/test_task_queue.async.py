"""The web side of the queue: a task sent from a unit of work goes out after its commit, or not at all."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
from {{ cookiecutter.project_slug }}.core.task_queue import TaskQueue, TaskQueueUnavailable, TaskStatus
from {{ cookiecutter.project_slug }}.resources import Resources, open_resources
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import TaskApp
from {{ cookiecutter.project_slug }}.worker.tasks import IMPORT_ITEMS
from tests.redis_proxy import RedisProxy
from tests.worker_fixtures import RESULT_TIMEOUT, NameFactory

pytestmark = pytest.mark.anyio

# Long enough for a worker to run a task sent too early, before the commit.
BEFORE_COMMIT_SECONDS = 0.5
BREAKER_RESET_SECONDS = 0.2


@pytest.fixture
async def resources(task_settings: Settings, redis_relay: RedisProxy) -> AsyncIterator[Resources]:
    """The web app's resources; their Redis is reached through a relay a test can cut (the worker's is not)."""
    redis = task_settings.redis.model_copy(update={"breaker_reset_seconds": BREAKER_RESET_SECONDS})
    resources = open_resources(task_settings.model_copy(update={"redis_url": redis_relay.url, "redis": redis}))
    yield resources
    await resources.close()


async def finished(queue: TaskQueue, task_id: str) -> TaskStatus:
    deadline = time.monotonic() + RESULT_TIMEOUT
    while (status := await queue.status(task_id)).state not in {"SUCCESS", "FAILURE"}:
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.05)
    return status


def import_of(name: str) -> dict[str, Any]:
    return {"items": [{"name": name, "quantity": 4}]}


async def item_ids(engine: AsyncEngine, name: str) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.scalars(select(Item.id).where(Item.name == name))).all())


async def create_and_import(resources: Resources, name: str, before_commit: Callable[[], object]) -> tuple[int, str]:
    """Create item `name` and send an import of it from the same unit of work; the item's and the task's id."""
    async with unit_of_work(resources.sessions) as session:
        item = await ItemService(session).create(ItemCreate(name=name))
        task_id = await resources.tasks.submit_after_commit(session, IMPORT_ITEMS, import_of(name))
        before_commit()
    return item.id, task_id


async def send_and_roll_back(resources: Resources, sent: list[str], name: str, kwargs: dict[str, Any]) -> None:
    async with unit_of_work(resources.sessions) as session:
        sent.append(await resources.tasks.submit_after_commit(session, name, kwargs))
        raise RuntimeError("rolled back")


async def test_a_task_sent_from_a_unit_of_work_finds_what_it_committed(
    worker: TaskApp, resources: Resources, new_name: NameFactory
) -> None:
    name = new_name()
    # Sent before the commit, the worker would create the item itself, and the commit would then conflict.
    item_id, task_id = await create_and_import(resources, name, partial(time.sleep, BEFORE_COMMIT_SECONDS))
    done = await finished(resources.tasks, task_id)
    assert done.state == "SUCCESS", done
    assert done.result == {"created": [], "updated": [item_id]}


async def test_a_unit_of_work_that_rolls_back_sends_nothing(
    worker: TaskApp, resources: Resources, redis: Redis
) -> None:
    attempts = f"{resources.settings.redis.key_prefix}:attempts:{secrets.token_hex(4)}"
    sent: list[str] = []
    with pytest.raises(RuntimeError, match="rolled back"):
        await send_and_roll_back(resources, sent, "tests.flaky", {"key": attempts, "failures": 0})
    # The worker runs tasks in order: once a later one is done, the first would have been too.
    later = await resources.tasks.submit("tests.flaky", {"key": f"{attempts}:later", "failures": 0})
    assert (await finished(resources.tasks, later)).state == "SUCCESS"
    assert await redis.get(attempts) is None
    with pytest.raises(NotFound):
        await resources.tasks.status(sent[0])


async def test_with_redis_down_nothing_commits_and_a_send_failing_after_the_commit_is_a_503(
    resources: Resources, redis_relay: RedisProxy, engine: AsyncEngine, new_name: NameFactory
) -> None:
    refused = new_name()
    redis_relay.cut()
    with pytest.raises(TaskQueueUnavailable):
        await create_and_import(resources, refused, before_commit=lambda: None)
    assert await item_ids(engine, refused) == []

    redis_relay.restore()
    await asyncio.sleep(BREAKER_RESET_SECONDS)
    # Redis answers the check, then goes before the send: the changes stay, and the caller is told to retry.
    kept = new_name()
    with pytest.raises(TaskQueueUnavailable):
        await create_and_import(resources, kept, before_commit=redis_relay.cut)
    assert len(await item_ids(engine, kept)) == 1
