"""The cache under concurrent callers, as tasks on one event loop: one computation per key, stale serving."""

import asyncio

import pytest
from redis.asyncio import Redis

from {{ cookiecutter.project_slug }}.core.redis_client import create_redis
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.integration.test_cache import Computation, cache_for

pytestmark = pytest.mark.anyio


async def test_concurrent_misses_compute_once(settings: Settings, redis: Redis) -> None:
    async with create_redis(settings) as other_process:
        caches = [cache_for(settings, redis), cache_for(settings, other_process)]
        compute = Computation("value", blocked=True)
        callers = [asyncio.create_task(caches[n % 2].get_or_set("cold", str, compute)) for n in range(10)]
        await compute.started.wait()
        await asyncio.sleep(0.2)  # the other callers find the key locked and wait
        compute.release.set()
        assert await asyncio.gather(*callers) == ["value"] * 10
    assert compute.calls == 1
    assert sum(cache.stats.misses for cache in caches) == 1
    assert sum(cache.stats.hits for cache in caches) == 9


async def test_a_stale_value_is_served_while_one_caller_recomputes(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, stale_ttl=30)
    assert await cache.get_or_set("report", str, Computation("old"), ttl=1) == "old"
    await asyncio.sleep(1.1)  # fresh for 1 s, stale for 30 s more

    recompute = Computation("new", blocked=True)
    refresher = asyncio.create_task(cache.get_or_set("report", str, recompute, ttl=1))
    await recompute.started.wait()
    unused = Computation("unused")
    assert await cache.get_or_set("report", str, unused, ttl=1) == "old"
    recompute.release.set()
    assert await refresher == "new"
    assert await cache.get_or_set("report", str, unused, ttl=1) == "new"
    assert unused.calls == 0
    assert (cache.stats.stale_hits, cache.stats.hits) == (1, 1)


async def test_a_value_read_before_an_invalidation_is_not_stored(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis)
    old_row = Computation("old row", blocked=True)
    reader = asyncio.create_task(cache.get_or_set("item:1", str, old_row))
    await old_row.started.wait()
    await cache.delete("item:1")  # a write committed meanwhile
    old_row.release.set()
    assert await reader == "old row"
    assert not await cache.exists("item:1")


async def test_a_computation_outliving_lock_timeout_loses_the_key(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, lock_timeout=0.3)
    stuck = Computation("late", blocked=True)
    holder = asyncio.create_task(cache.get_or_set("report", str, stuck))
    await stuck.started.wait()
    waiter = Computation("own")
    assert await cache.get_or_set("report", str, waiter) == "own"
    assert waiter.calls == 1
    stuck.release.set()
    assert await holder == "late"
    assert await cache.get("report", str) == "own"
