"""The cache against the real Redis server: values and expiry, keys, invalidation, stampedes, outages."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel
from pydantic_core import to_json
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from {{ cookiecutter.project_slug }}.core.cache import Cache
from {{ cookiecutter.project_slug }}.core.cache_base import NOT_DELETED
from {{ cookiecutter.project_slug }}.core.db import create_engine, unit_of_work
from {{ cookiecutter.project_slug }}.core.item.cached_service import CachedItemService
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemUpdate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
from {{ cookiecutter.project_slug }}.core.redis_client import create_breaker, create_redis
from {{ cookiecutter.project_slug }}.core.resilience import CircuitState
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.redis_proxy import redis_proxy

pytestmark = pytest.mark.anyio


class Order(BaseModel):
    id: UUID
    placed_at: datetime
    due: date
    lines: list[str]


ORDER = Order(
    id=UUID("7d4f7c1e-3b9a-4c55-9a61-2f0e8b1d6c3a"),
    placed_at=datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
    due=date(2024, 2, 29),
    lines=["tea", "cups"],
)


def cache_for(settings: Settings, redis: Redis, **overrides: float) -> Cache:
    """A cache as one process holds it, with its own breaker; `overrides` change its CacheSettings."""
    cache_settings = settings.cache.model_copy(update=overrides)
    return Cache(redis, create_breaker(settings), key_prefix=settings.redis.key_prefix, settings=cache_settings)


@pytest.fixture
def cache(settings: Settings, redis: Redis) -> Cache:
    return cache_for(settings, redis)


class Computation:
    """Computes `value`, counting its calls; a blocked one waits for `release` after saying it `started`."""

    def __init__(self, value: str, *, blocked: bool = False) -> None:
        self.value = value
        self.calls = 0
        {#- sync: self._counting = Lock() #}
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        if not blocked:
            self.release.set()

    async def __call__(self) -> str:
        {#- sync block: with self._counting: #}
        self.calls += 1
        {#- end sync block #}
        self.started.set()
        await self.release.wait()  {#- async only #}
        {#- sync: assert self.release.wait(timeout=30) #}
        return self.value


async def test_a_value_is_stored_for_its_ttl(cache: Cache) -> None:
    await cache.set("greeting", {"text": "hello"}, ttl=60)
    assert await cache.get("greeting", dict[str, str]) == {"text": "hello"}
    assert await cache.exists("greeting")
    remaining = await cache.ttl("greeting")
    assert remaining is not None
    assert 59 < remaining <= 60
    assert (cache.stats.hits, cache.stats.misses) == (1, 0)


async def test_a_value_expires_after_its_ttl(cache: Cache) -> None:
    await cache.set("brief", 1, ttl=1)
    assert await cache.get("brief", int) == 1
    await asyncio.sleep(1.1)
    assert await cache.get("brief", int) is None
    assert not await cache.exists("brief")
    assert await cache.ttl("brief") is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


async def test_the_default_ttl_is_the_configured_one(cache: Cache, settings: Settings) -> None:
    await cache.set("plain", "value")
    remaining = await cache.ttl("plain")
    assert remaining is not None
    assert settings.cache.ttl - 1 < remaining <= settings.cache.ttl


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (ORDER, Order),
        (ORDER.placed_at, datetime),
        (ORDER.due, date),
        (ORDER.id, UUID),
        ({"name": "tea", "sizes": [1, 2], "note": None}, dict[str, Any]),
        ([ORDER, ORDER.model_copy(update={"lines": []})], list[Order]),
    ],
    ids=["model", "datetime", "date", "uuid", "dict", "list"],
)
async def test_values_round_trip_as_json(cache: Cache, redis: Redis, value: object, type_: type[Any]) -> None:
    await cache.set("value", value)
    restored = await cache.get("value", type_)
    assert type(restored) is type(value)
    assert restored == value
    # == takes the same instant at another UTC offset as equal; the JSON does not.
    assert to_json(restored) == to_json(value)
    stored = await redis.get(cache.full_key("value"))
    assert stored is not None
    json.loads(stored)  # plain JSON, never pickle


async def test_missing_and_unreadable_values_are_misses(cache: Cache) -> None:
    assert await cache.get("absent", int) is None
    await cache.set("word", "not a number")
    with capture_logs() as logs:
        assert await cache.get("word", int) is None
    assert [entry["event"] for entry in logs] == ["cache entry unreadable"]
    assert cache.stats.misses == 2


async def test_incr_counts_from_zero_and_expires_from_the_first_increment(cache: Cache, settings: Settings) -> None:
    assert await cache.incr("visits") == 1
    assert await cache.incr("visits", 4, ttl=5) == 5
    assert await cache.get("visits", int) == 5
    remaining = await cache.ttl("visits")
    assert remaining is not None
    assert remaining > settings.cache.ttl - 1  # the first increment's expiry stands
    assert await cache.exists("visits")
    assert not await cache.exists("clicks")


async def test_delete_forgets_the_entries_named(cache: Cache) -> None:
    for key in ("a", "b", "c"):
        await cache.set(key, key)
    await cache.delete("a", "b")
    assert [key for key in ("a", "b", "c") if await cache.exists(key)] == ["c"]


async def test_invalidate_deletes_exactly_the_entries_under_a_prefix(
    cache: Cache, redis: Redis, settings: Settings
) -> None:
    keys = ["user:1", "user:2", "user:2:posts", "users", "user", "user*:1", "item:1"]
    for key in keys:
        await cache.set(key, key)
    outside_the_cache = f"{settings.redis.key_prefix}:sessions:user:1"
    await redis.set(outside_the_cache, "kept")

    assert await cache.invalidate("user:") == 3
    assert [key for key in keys if await cache.exists(key)] == ["users", "user", "user*:1", "item:1"]
    # Glob characters in a prefix are taken literally.
    assert await cache.invalidate("user*") == 1
    assert [key for key in keys if await cache.exists(key)] == ["users", "user", "item:1"]

    # More keys than one SCAN step and one UNLINK take.
    await redis.mset({cache.full_key(f"bulk:{number}"): number for number in range(1234)})
    assert await cache.invalidate("bulk:") == 1234
    assert await cache.invalidate("") == 3
    assert await redis.get(outside_the_cache) == b"kept"


async def test_get_or_set_computes_once_then_serves_the_value(cache: Cache, settings: Settings) -> None:
    compute = Computation("fresh")
    assert await cache.get_or_set("report", str, compute) == "fresh"
    assert await cache.get_or_set("report", str, compute) == "fresh"
    assert compute.calls == 1
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    # Kept past its ttl for the stale period.
    remaining = await cache.ttl("report")
    assert remaining is not None
    assert settings.cache.ttl < remaining <= settings.cache.ttl + settings.cache.stale_ttl


async def test_cached_keys_are_formatted_from_the_arguments(cache: Cache) -> None:
    calls: list[int] = []

    async def load(item_id: int, verbose: bool = False) -> dict[str, int]:
        calls.append(item_id)
        return {"id": item_id, "verbose": verbose}

    by_id = cache.cached(key="{item_id}", namespace="items")(load)
    assert by_id.key(7) == "items:v1:7"
    assert await by_id(7) == {"id": 7, "verbose": False}
    # `verbose` is not part of the key: same entry.
    assert await by_id(7, verbose=True) == {"id": 7, "verbose": False}
    assert calls == [7]
    await by_id.invalidate(7)
    assert await by_id(7, verbose=True) == {"id": 7, "verbose": True}
    assert calls == [7, 7]


async def test_a_new_version_leaves_the_old_entries_behind(cache: Cache) -> None:
    async def load_v1(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    async def load_v2(item_id: int) -> Order:
        return ORDER

    assert await cache.cached(key="{item_id}", namespace="orders")(load_v1)(1) == {"id": 1}
    v2 = cache.cached(key="{item_id}", namespace="orders", version=2)(load_v2)
    assert v2.key(1) == "orders:v2:1"
    assert await v2(1) == ORDER
    assert await cache.get("orders:v1:1", dict[str, int]) == {"id": 1}  # left to expire


async def test_the_default_key_is_the_qualified_name_and_a_hash_of_all_arguments(cache: Cache) -> None:
    async def total(a: int, b: int = 0) -> int:
        return a + b

    cached_total = cache.cached()(total)
    assert cached_total.key(1).startswith(f"{__name__}.{total.__qualname__}:v1:")
    assert cached_total.key(1) == cached_total.key(a=1, b=0)
    assert cached_total.key(1) != cached_total.key(1, 2)
    assert await cached_total(1, 2) == 3
    assert await cache.get(cached_total.key(1, 2), int) == 3


async def test_keys_that_cannot_be_built_are_refused(cache: Cache) -> None:
    async def find(name: str) -> str:
        return name

    with pytest.raises(ValueError, match="'nam'"):
        cache.cached(key="{nam}")(find)

    async def describe(thing: object) -> str:
        return repr(thing)

    with pytest.raises(TypeError, match="pass key="):
        await cache.cached()(describe)(object())


async def test_a_failed_computation_stores_nothing_and_frees_the_key(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, lock_timeout=30)

    async def fail() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await cache.get_or_set("report", str, fail)
    assert not await cache.exists("report")
    # Were the key still locked, this would wait 30 s and then not store its value.
    assert await cache.get_or_set("report", str, Computation("value")) == "value"
    assert await cache.get("report", str) == "value"


async def test_without_redis_functions_run_and_errors_are_counted(settings: Settings, unused_port: int) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    async with create_redis(down) as client:
        cache = cache_for(down, client)
        calls: list[int] = []

        @cache.cached(key="{n}")
        async def double(n: int) -> int:
            calls.append(n)
            return 2 * n

        assert [await double(n) for n in range(5)] == [0, 2, 4, 6, 8]
        assert calls == [0, 1, 2, 3, 4]
        assert cache.stats.errors == 5
        assert cache.breaker.state is CircuitState.OPEN

        await cache.set("key", 1)
        assert await cache.get("key", int) is None
        assert await cache.incr("key") is None
        assert not await cache.exists("key")
        assert await cache.ttl("key") is None
        with capture_logs() as logs:
            await cache.delete("key")
            assert await cache.invalidate("") == 0
        assert [entry["event"] for entry in logs] == [NOT_DELETED, NOT_DELETED]


async def test_an_open_circuit_skips_redis_even_once_it_is_back(settings: Settings) -> None:
    with redis_proxy(settings.redis_url) as proxy:
        redis_settings = settings.redis.model_copy(update={"breaker_reset_seconds": 3600})
        proxied = settings.model_copy(update={"redis_url": proxy.url, "redis": redis_settings})
        async with create_redis(proxied) as client:
            cache = cache_for(proxied, client)
            compute = Computation("value")
            assert await cache.get_or_set("report", str, compute) == "value"
            proxy.cut()
            for _ in range(proxied.redis.breaker_failures):
                assert await cache.get_or_set("report", str, compute) == "value"
            assert cache.breaker.state is CircuitState.OPEN
            proxy.restore()

            # Redis is back and holds the value, yet the open circuit sends no call to it.
            assert await cache.get_or_set("report", str, compute) == "value"
            assert compute.calls == 1 + proxied.redis.breaker_failures + 1
            assert cache.stats.hits == 0
            assert await cache_for(proxied, client).get("report", str) == "value"


async def test_deletions_missed_during_an_outage_are_retried_once_redis_is_back(settings: Settings) -> None:
    with redis_proxy(settings.redis_url) as proxy:
        # A circuit that stays closed: the retry is due to the first call after the outage.
        redis_settings = settings.redis.model_copy(update={"breaker_failures": 100})
        proxied = settings.model_copy(update={"redis_url": proxy.url, "redis": redis_settings})
        async with create_redis(proxied) as client:
            cache = cache_for(proxied, client)
            for key in ("item:1", "report:a", "report:b", "other"):
                await cache.set(key, key)
            proxy.cut()
            await cache.delete("item:1")
            assert await cache.invalidate("report:") == 0
            proxy.restore()

            # The next call, whatever it is, first carries out the missed deletions.
            assert await cache.get("item:1", str) is None
            assert not await cache.exists("report:a")
            assert not await cache.exists("report:b")
            assert await cache.get("other", str) == "other"


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions whose commits are savepoints in a transaction rolled back after the test."""
    engine = create_engine(settings)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield async_sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        await transaction.rollback()
    await engine.dispose()


async def test_item_writes_forget_the_cached_item_once_they_commit(
    cache: Cache, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        item = await ItemService(session).create(ItemCreate(name="Cached"))
    key = CachedItemService.cache_key(item.id)

    async with unit_of_work(sessions) as session:
        service = CachedItemService(session, cache)
        assert (await service.read(item.id)).quantity == 0
        await service.update(item.id, ItemUpdate(quantity=3))
        assert await cache.exists(key)  # not before the commit
    assert not await cache.exists(key)

    async with unit_of_work(sessions) as session:
        assert (await CachedItemService(session, cache).read(item.id)).quantity == 3

    async def delete_then_fail() -> None:
        async with unit_of_work(sessions) as session:
            await CachedItemService(session, cache).delete(item.id)
            raise RuntimeError("failed after deleting")

    with pytest.raises(RuntimeError, match="after deleting"):
        await delete_then_fail()
    assert await cache.exists(key)  # rolled back: the item, and its cached copy, stay
