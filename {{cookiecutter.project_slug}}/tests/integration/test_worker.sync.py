{# Generated from test_worker.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Tasks on a real worker, over the real broker, against the test database: never eager mode.

The worker writes through its own sessions and commits; `new_name` deletes what it made.
"""

import secrets
from typing import Any

import pytest
from celery.result import AsyncResult
from redis import Redis
from sqlalchemy import Engine, Pool, event, select
from structlog.testing import capture_logs

from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.worker.app import TaskApp
from {{ cookiecutter.project_slug }}.worker.task import RetriesExhausted
from {{ cookiecutter.project_slug }}.worker.tasks import IMPORT_ITEMS
from tests.worker_fixtures import QUICK_RETRIES, RESULT_TIMEOUT, NameFactory


@pytest.fixture
def attempts_key(worker: TaskApp) -> str:
    return f"{worker.settings.redis.key_prefix}:attempts:{secrets.token_hex(4)}"


def run(app: TaskApp, task_name: str, /, **kwargs: Any) -> AsyncResult[Any]:
    """Send task `task_name` and wait until the worker has finished it."""
    result: AsyncResult[Any] = app.send_task(task_name, kwargs=kwargs)
    result.get(timeout=RESULT_TIMEOUT, propagate=False)
    return result


def quantities(engine: Engine, names: list[str]) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(Item.name, Item.quantity).where(Item.name.in_(names)))
    return {row.name: row.quantity for row in rows}


def test_an_import_commits_its_work_and_a_second_run_changes_nothing_more(
    worker: TaskApp, engine: Engine, new_name: NameFactory
) -> None:
    names = [new_name(), new_name()]
    items = [{"name": name, "quantity": 2} for name in names]
    first = run(worker, IMPORT_ITEMS, items=items)
    assert first.state == "SUCCESS", first.traceback
    created = first.result["created"]  # type: ignore[index]  # a dict, since it succeeded
    assert len(created) == 2
    assert first.result == {"created": created, "updated": []}
    assert quantities(engine, names) == dict.fromkeys(names, 2)

    again = run(worker, IMPORT_ITEMS, items=items)
    assert again.result == {"created": [], "updated": created}
    assert quantities(engine, names) == dict.fromkeys(names, 2)


def test_a_task_that_raises_leaves_nothing_behind(worker: TaskApp, engine: Engine, new_name: NameFactory) -> None:
    name = new_name()
    result = run(worker, "tests.create_then_fail", name=name)
    assert result.state == "FAILURE"
    assert quantities(engine, [name]) == {}


def test_a_transient_failure_is_retried_with_backoff_then_succeeds(
    worker: TaskApp, redis: Redis, attempts_key: str
) -> None:
    with capture_logs() as logs:
        result = run(worker, "tests.flaky", key=attempts_key, failures=2)
    assert result.state == "SUCCESS", result.traceback
    assert result.result == 3
    retries = [entry for entry in logs if entry["event"] == "task will retry"]
    assert [entry["retry"] for entry in retries] == [1, 2]
    # Full jitter: somewhere between no wait and the cap (CELERY__RETRY_BACKOFF_MAX).
    assert all(0 <= entry["countdown"] <= QUICK_RETRIES["retry_backoff_max"] for entry in retries)


def test_a_permanent_failure_fails_at_once(worker: TaskApp, redis: Redis, attempts_key: str) -> None:
    result = run(worker, "tests.broken", key=attempts_key)
    assert result.state == "FAILURE"
    assert isinstance(result.result, ValueError)
    assert redis.get(attempts_key) == b"1"


def test_running_out_of_retries_is_reported(worker: TaskApp, redis: Redis, attempts_key: str) -> None:
    result = run(worker, "tests.flaky", key=attempts_key, failures=100)
    assert result.state == "FAILURE"
    assert isinstance(result.result, RetriesExhausted)
    assert str(result.result).startswith(f"Gave up after {QUICK_RETRIES['max_retries']} retries: ")
    assert redis.get(attempts_key) == str(QUICK_RETRIES["max_retries"] + 1).encode()


def test_fifty_tasks_open_no_more_connections_than_the_pool_holds(worker: TaskApp, new_name: NameFactory) -> None:
    """One engine per worker process, reused by every task (a pool per task would open 50)."""
    opened: list[object] = []

    def count(dbapi_connection: object, _: object) -> None:
        opened.append(dbapi_connection)

    event.listen(Pool, "connect", count)
    try:
        results = [worker.send_task(IMPORT_ITEMS, kwargs={"items": [{"name": new_name()}]}) for _ in range(50)]
        created = [result.get(timeout=RESULT_TIMEOUT)["created"] for result in results]
    finally:
        event.remove(Pool, "connect", count)
    assert all(len(ids) == 1 for ids in created)
    assert 1 <= len(opened) <= worker.settings.database.pool_size
