"""The cache under concurrent callers, as threads: one computation per key, stale serving."""

import time
from concurrent.futures import ThreadPoolExecutor

from redis import Redis

from {{ cookiecutter.project_slug }}.core.redis_client import create_redis
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.integration.test_cache import Computation, cache_for


def test_concurrent_misses_compute_once(settings: Settings, redis: Redis) -> None:
    with create_redis(settings) as other_process:
        caches = [cache_for(settings, redis), cache_for(settings, other_process)]
        compute = Computation("value", blocked=True)
        with ThreadPoolExecutor(max_workers=10) as threads:
            callers = [threads.submit(caches[n % 2].get_or_set, "cold", str, compute) for n in range(10)]
            assert compute.started.wait(timeout=30)
            time.sleep(0.2)  # the other callers find the key locked and wait
            compute.release.set()
            assert [caller.result() for caller in callers] == ["value"] * 10
    assert compute.calls == 1
    assert sum(cache.stats.misses for cache in caches) == 1
    assert sum(cache.stats.hits for cache in caches) == 9


def test_a_stale_value_is_served_while_one_caller_recomputes(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, stale_ttl=30)
    assert cache.get_or_set("report", str, Computation("old"), ttl=1) == "old"
    time.sleep(1.1)  # fresh for 1 s, stale for 30 s more

    recompute = Computation("new", blocked=True)
    with ThreadPoolExecutor(max_workers=1) as threads:
        refresher = threads.submit(cache.get_or_set, "report", str, recompute, ttl=1)
        assert recompute.started.wait(timeout=30)
        unused = Computation("unused")
        assert cache.get_or_set("report", str, unused, ttl=1) == "old"
        recompute.release.set()
        assert refresher.result() == "new"
    assert cache.get_or_set("report", str, unused, ttl=1) == "new"
    assert unused.calls == 0
    assert (cache.stats.stale_hits, cache.stats.hits) == (1, 1)


def test_a_value_read_before_an_invalidation_is_not_stored(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis)
    old_row = Computation("old row", blocked=True)
    with ThreadPoolExecutor(max_workers=1) as threads:
        reader = threads.submit(cache.get_or_set, "item:1", str, old_row)
        assert old_row.started.wait(timeout=30)
        cache.delete("item:1")  # a write committed meanwhile
        old_row.release.set()
        assert reader.result() == "old row"
    assert not cache.exists("item:1")


def test_a_computation_outliving_lock_timeout_loses_the_key(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, lock_timeout=0.3)
    stuck = Computation("late", blocked=True)
    with ThreadPoolExecutor(max_workers=1) as threads:
        holder = threads.submit(cache.get_or_set, "report", str, stuck)
        assert stuck.started.wait(timeout=30)
        waiter = Computation("own")
        assert cache.get_or_set("report", str, waiter) == "own"
        assert waiter.calls == 1
        stuck.release.set()
        assert holder.result() == "late"
    assert cache.get("report", str) == "own"
