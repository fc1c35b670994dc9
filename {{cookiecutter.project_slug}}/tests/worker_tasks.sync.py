{# Generated from worker_tasks.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Tasks that exist only in tests, to drive failures through the real worker and its runtime."""

import time
from typing import Any

from sqlalchemy import delete

from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemImport
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
from {{ cookiecutter.project_slug }}.resources import Resources
from {{ cookiecutter.project_slug }}.worker.task import task


def delete_items(resources: Resources, *, prefix: str) -> None:
    """Delete the items whose names start with `prefix`: what a test's tasks committed."""
    with unit_of_work(resources.sessions) as session:
        session.execute(delete(Item).where(Item.name.startswith(prefix)))


def count_attempt(resources: Resources, key: str) -> int:
    """Counts the runs of a task in Redis, where the test can read them."""
    return int(resources.redis.client.incr(key))


@task("tests.create_then_fail")
def create_then_fail(resources: Resources, *, name: str) -> None:
    with unit_of_work(resources.sessions) as session:
        ItemService(session).create(ItemCreate(name=name))
        raise RuntimeError("failed after writing")


@task("tests.flaky", keep_result=True)
def flaky(resources: Resources, *, key: str, failures: int) -> int:
    """Fails as an unavailable database does, `failures` times; then returns its attempt."""
    attempt = count_attempt(resources, key)
    if attempt <= failures:
        raise ServiceUnavailable("The database is unavailable; try again shortly.")
    return attempt


@task("tests.broken", keep_result=True)
def broken(resources: Resources, *, key: str) -> None:
    count_attempt(resources, key)
    raise ValueError("not a transient failure")


@task("tests.slow_import", keep_result=True)
def slow_import(resources: Resources, *, key: str, items: list[dict[str, Any]], pause: float) -> dict[str, Any]:
    """An import, then a pause after its commit: a worker killed there did the work but never acknowledged it."""
    with unit_of_work(resources.sessions) as session:
        result = ItemService(session).import_by_name(ItemImport.model_validate({"items": items}))
    # Counted once committed, so a test that sees the count knows the work is done.
    count_attempt(resources, key)
    time.sleep(pause)
    return result.model_dump()
