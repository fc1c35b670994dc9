{# Generated from test_cache.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The cache against the real Redis server: values and expiry, keys, invalidation, stampedes, outages."""

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from threading import Event, Lock
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel
from pydantic_core import to_json
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker
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
        self._counting = Lock()
        self.started = Event()
        self.release = Event()
        if not blocked:
            self.release.set()

    def __call__(self) -> str:
        with self._counting:
            self.calls += 1
        self.started.set()
        assert self.release.wait(timeout=30)
        return self.value


def test_a_value_is_stored_for_its_ttl(cache: Cache) -> None:
    cache.set("greeting", {"text": "hello"}, ttl=60)
    assert cache.get("greeting", dict[str, str]) == {"text": "hello"}
    assert cache.exists("greeting")
    remaining = cache.ttl("greeting")
    assert remaining is not None
    assert 59 < remaining <= 60
    assert (cache.stats.hits, cache.stats.misses) == (1, 0)


def test_a_value_expires_after_its_ttl(cache: Cache) -> None:
    cache.set("brief", 1, ttl=1)
    assert cache.get("brief", int) == 1
    time.sleep(1.1)
    assert cache.get("brief", int) is None
    assert not cache.exists("brief")
    assert cache.ttl("brief") is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_the_default_ttl_is_the_configured_one(cache: Cache, settings: Settings) -> None:
    cache.set("plain", "value")
    remaining = cache.ttl("plain")
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
def test_values_round_trip_as_json(cache: Cache, redis: Redis, value: object, type_: type[Any]) -> None:
    cache.set("value", value)
    restored = cache.get("value", type_)
    assert type(restored) is type(value)
    assert restored == value
    # == takes the same instant at another UTC offset as equal; the JSON does not.
    assert to_json(restored) == to_json(value)
    stored = redis.get(cache.full_key("value"))
    assert stored is not None
    json.loads(stored)  # plain JSON, never pickle


def test_missing_and_unreadable_values_are_misses(cache: Cache) -> None:
    assert cache.get("absent", int) is None
    cache.set("word", "not a number")
    with capture_logs() as logs:
        assert cache.get("word", int) is None
    assert [entry["event"] for entry in logs] == ["cache entry unreadable"]
    assert cache.stats.misses == 2


def test_incr_counts_from_zero_and_expires_from_the_first_increment(cache: Cache, settings: Settings) -> None:
    assert cache.incr("visits") == 1
    assert cache.incr("visits", 4, ttl=5) == 5
    assert cache.get("visits", int) == 5
    remaining = cache.ttl("visits")
    assert remaining is not None
    assert remaining > settings.cache.ttl - 1  # the first increment's expiry stands
    assert cache.exists("visits")
    assert not cache.exists("clicks")


def test_delete_forgets_the_entries_named(cache: Cache) -> None:
    for key in ("a", "b", "c"):
        cache.set(key, key)
    cache.delete("a", "b")
    assert [key for key in ("a", "b", "c") if cache.exists(key)] == ["c"]


def test_invalidate_deletes_exactly_the_entries_under_a_prefix(cache: Cache, redis: Redis, settings: Settings) -> None:
    keys = ["user:1", "user:2", "user:2:posts", "users", "user", "user*:1", "item:1"]
    for key in keys:
        cache.set(key, key)
    outside_the_cache = f"{settings.redis.key_prefix}:sessions:user:1"
    redis.set(outside_the_cache, "kept")

    assert cache.invalidate("user:") == 3
    assert [key for key in keys if cache.exists(key)] == ["users", "user", "user*:1", "item:1"]
    # Glob characters in a prefix are taken literally.
    assert cache.invalidate("user*") == 1
    assert [key for key in keys if cache.exists(key)] == ["users", "user", "item:1"]

    # More keys than one SCAN step and one UNLINK take.
    redis.mset({cache.full_key(f"bulk:{number}"): number for number in range(1234)})
    assert cache.invalidate("bulk:") == 1234
    assert cache.invalidate("") == 3
    assert redis.get(outside_the_cache) == b"kept"


def test_get_or_set_computes_once_then_serves_the_value(cache: Cache, settings: Settings) -> None:
    compute = Computation("fresh")
    assert cache.get_or_set("report", str, compute) == "fresh"
    assert cache.get_or_set("report", str, compute) == "fresh"
    assert compute.calls == 1
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    # Kept past its ttl for the stale period.
    remaining = cache.ttl("report")
    assert remaining is not None
    assert settings.cache.ttl < remaining <= settings.cache.ttl + settings.cache.stale_ttl


def test_cached_keys_are_formatted_from_the_arguments(cache: Cache) -> None:
    calls: list[int] = []

    def load(item_id: int, verbose: bool = False) -> dict[str, int]:
        calls.append(item_id)
        return {"id": item_id, "verbose": verbose}

    by_id = cache.cached(key="{item_id}", namespace="items")(load)
    assert by_id.key(7) == "items:v1:7"
    assert by_id(7) == {"id": 7, "verbose": False}
    # `verbose` is not part of the key: same entry.
    assert by_id(7, verbose=True) == {"id": 7, "verbose": False}
    assert calls == [7]
    by_id.invalidate(7)
    assert by_id(7, verbose=True) == {"id": 7, "verbose": True}
    assert calls == [7, 7]


def test_a_new_version_leaves_the_old_entries_behind(cache: Cache) -> None:
    def load_v1(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    def load_v2(item_id: int) -> Order:
        return ORDER

    assert cache.cached(key="{item_id}", namespace="orders")(load_v1)(1) == {"id": 1}
    v2 = cache.cached(key="{item_id}", namespace="orders", version=2)(load_v2)
    assert v2.key(1) == "orders:v2:1"
    assert v2(1) == ORDER
    assert cache.get("orders:v1:1", dict[str, int]) == {"id": 1}  # left to expire


def test_the_default_key_is_the_qualified_name_and_a_hash_of_all_arguments(cache: Cache) -> None:
    def total(a: int, b: int = 0) -> int:
        return a + b

    cached_total = cache.cached()(total)
    assert cached_total.key(1).startswith(f"{__name__}.{total.__qualname__}:v1:")
    assert cached_total.key(1) == cached_total.key(a=1, b=0)
    assert cached_total.key(1) != cached_total.key(1, 2)
    assert cached_total(1, 2) == 3
    assert cache.get(cached_total.key(1, 2), int) == 3


def test_keys_that_cannot_be_built_are_refused(cache: Cache) -> None:
    def find(name: str) -> str:
        return name

    with pytest.raises(ValueError, match="'nam'"):
        cache.cached(key="{nam}")(find)

    def describe(thing: object) -> str:
        return repr(thing)

    with pytest.raises(TypeError, match="pass key="):
        cache.cached()(describe)(object())


def test_a_failed_computation_stores_nothing_and_frees_the_key(settings: Settings, redis: Redis) -> None:
    cache = cache_for(settings, redis, lock_timeout=30)

    def fail() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache.get_or_set("report", str, fail)
    assert not cache.exists("report")
    # Were the key still locked, this would wait 30 s and then not store its value.
    assert cache.get_or_set("report", str, Computation("value")) == "value"
    assert cache.get("report", str) == "value"


def test_without_redis_functions_run_and_errors_are_counted(settings: Settings, unused_port: int) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    with create_redis(down) as client:
        cache = cache_for(down, client)
        calls: list[int] = []

        @cache.cached(key="{n}")
        def double(n: int) -> int:
            calls.append(n)
            return 2 * n

        assert [double(n) for n in range(5)] == [0, 2, 4, 6, 8]
        assert calls == [0, 1, 2, 3, 4]
        assert cache.stats.errors == 5
        assert cache.breaker.state is CircuitState.OPEN

        cache.set("key", 1)
        assert cache.get("key", int) is None
        assert cache.incr("key") is None
        assert not cache.exists("key")
        assert cache.ttl("key") is None
        with capture_logs() as logs:
            cache.delete("key")
            assert cache.invalidate("") == 0
        assert [entry["event"] for entry in logs] == [NOT_DELETED, NOT_DELETED]


def test_an_open_circuit_skips_redis_even_once_it_is_back(settings: Settings) -> None:
    with redis_proxy(settings.redis_url) as proxy:
        redis_settings = settings.redis.model_copy(update={"breaker_reset_seconds": 3600})
        proxied = settings.model_copy(update={"redis_url": proxy.url, "redis": redis_settings})
        with create_redis(proxied) as client:
            cache = cache_for(proxied, client)
            compute = Computation("value")
            assert cache.get_or_set("report", str, compute) == "value"
            proxy.cut()
            for _ in range(proxied.redis.breaker_failures):
                assert cache.get_or_set("report", str, compute) == "value"
            assert cache.breaker.state is CircuitState.OPEN
            proxy.restore()

            # Redis is back and holds the value, yet the open circuit sends no call to it.
            assert cache.get_or_set("report", str, compute) == "value"
            assert compute.calls == 1 + proxied.redis.breaker_failures + 1
            assert cache.stats.hits == 0
            assert cache_for(proxied, client).get("report", str) == "value"


def test_deletions_missed_during_an_outage_are_retried_once_redis_is_back(settings: Settings) -> None:
    with redis_proxy(settings.redis_url) as proxy:
        # A circuit that stays closed: the retry is due to the first call after the outage.
        redis_settings = settings.redis.model_copy(update={"breaker_failures": 100})
        proxied = settings.model_copy(update={"redis_url": proxy.url, "redis": redis_settings})
        with create_redis(proxied) as client:
            cache = cache_for(proxied, client)
            for key in ("item:1", "report:a", "report:b", "other"):
                cache.set(key, key)
            proxy.cut()
            cache.delete("item:1")
            assert cache.invalidate("report:") == 0
            proxy.restore()

            # The next call, whatever it is, first carries out the missed deletions.
            assert cache.get("item:1", str) is None
            assert not cache.exists("report:a")
            assert not cache.exists("report:b")
            assert cache.get("other", str) == "other"


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions whose commits are savepoints in a transaction rolled back after the test."""
    engine = create_engine(settings)
    with engine.connect() as connection:
        transaction = connection.begin()
        yield sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        transaction.rollback()
    engine.dispose()


def test_item_writes_forget_the_cached_item_once_they_commit(cache: Cache, sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        item = ItemService(session).create(ItemCreate(name="Cached"))
    key = CachedItemService.cache_key(item.id)

    with unit_of_work(sessions) as session:
        service = CachedItemService(session, cache)
        assert service.read(item.id).quantity == 0
        service.update(item.id, ItemUpdate(quantity=3))
        assert cache.exists(key)  # not before the commit
    assert not cache.exists(key)

    with unit_of_work(sessions) as session:
        assert CachedItemService(session, cache).read(item.id).quantity == 3

    def delete_then_fail() -> None:
        with unit_of_work(sessions) as session:
            CachedItemService(session, cache).delete(item.id)
            raise RuntimeError("failed after deleting")

    with pytest.raises(RuntimeError, match="after deleting"):
        delete_then_fail()
    assert cache.exists(key)  # rolled back: the item, and its cached copy, stay
