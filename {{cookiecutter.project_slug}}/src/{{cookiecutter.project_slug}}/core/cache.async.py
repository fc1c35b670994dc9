"""A JSON cache in Redis: values expire, one caller at a time recomputes a key, and a dead server is a miss."""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import update_wrapper
from typing import Any, Generic, ParamSpec, TypeVar, get_type_hints

from pydantic_core import to_json
from redis.asyncio import Redis

from {{ cookiecutter.project_slug }}.core.cache_base import (
    BATCH_SIZE,
    LOCK_SUFFIX,
    MAX_PENDING_DELETIONS,
    MISSING,
    NOT_DELETED,
    POLL_SECONDS,
    STORE_AND_UNLOCK,
    CacheStats,
    CallKeys,
    Missing,
    Outcome,
    decode,
    glob_escape,
)
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import CacheSettings

T = TypeVar("T")
P = ParamSpec("P")

logger = get_logger(__name__)


class Cache:
    """JSON values (pydantic models, dates, UUIDs, dicts, lists, ...) under `{key_prefix}:cache:`.

    Never fails because of Redis: while it is unavailable reads miss, writes are dropped, and
    deletions are remembered and retried once it answers; `stats.errors` counts the failed calls.
    """

    def __init__(
        self,
        client: Redis,
        breaker: CircuitBreaker,
        *,
        key_prefix: str,
        settings: CacheSettings,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        """`on_outcome` hears each hit, stale hit, miss and error as `stats` counts it (metrics)."""
        self.client = client
        self.breaker = breaker
        self.settings = settings
        self.prefix = f"{key_prefix}:cache:"
        self.stats = CacheStats()
        self._on_outcome = on_outcome
        {#- sync: # Requests run in several threads: counting is read, add, write. #}
        {#- sync: self._stats_lock = Lock() #}
        self._store_and_unlock = client.register_script(STORE_AND_UNLOCK)
        # Deletions Redis missed while it was unavailable (key names; key prefixes as glob patterns).
        self._pending_names: set[str] = set()
        self._pending_patterns: set[str] = set()
        {#- sync: self._pending_lock = Lock() #}

    def full_key(self, key: str) -> str:
        """The Redis key behind a cache key."""
        return self.prefix + key

    async def get(self, key: str, type_: type[T]) -> T | None:
        """The value at `key` read as `type_`; None when there is none or Redis is unavailable.

        A value stored by get_or_set stays readable here through its stale period.
        """
        try:
            raw = await self._redis(lambda: self.client.get(self.full_key(key)))
        except DependencyUnavailable:
            return None
        value = decode(key, raw, type_)
        if value is MISSING:
            self._count("misses")
            return None
        self._count("hits")
        return value

    async def set(self, key: str, value: object, ttl: int | None = None) -> None:
        """Store `value` for `ttl` seconds (the configured ttl by default)."""
        data = to_json(value)
        seconds = self.settings.ttl if ttl is None else ttl
        try:
            await self._redis(lambda: self.client.set(self.full_key(key), data, ex=seconds))
        except DependencyUnavailable:
            return

    async def delete(self, *keys: str) -> None:
        """Forget entries, and revoke any recomputation of them that is under way."""
        names = [name for key in keys for name in (self.full_key(key), self.full_key(key) + LOCK_SUFFIX)]
        try:
            await self._redis(lambda: self.client.unlink(*names))
        except DependencyUnavailable as exc:
            logger.warning(NOT_DELETED, keys=keys, error=str(exc))
            self._remember_deletion(names=names)

    async def invalidate(self, prefix: str) -> int:
        """Delete every entry whose key starts with `prefix` (all of them for ""); how many keys went.

        SCAN walks the whole keyspace in steps: for occasional bulk changes, not for every request.
        """
        pattern = glob_escape(self.full_key(prefix)) + "*"

        try:
            return await self._redis(lambda: self._unlink_matching(pattern))
        except DependencyUnavailable as exc:
            logger.warning(NOT_DELETED, prefix=prefix, error=str(exc))
            self._remember_deletion(patterns=[pattern])
            return 0

    async def incr(self, key: str, amount: int = 1, ttl: int | None = None) -> int | None:
        """Add `amount` to the integer at `key` (0 if absent) and return the sum; None without Redis.

        The counter expires `ttl` seconds (the configured ttl by default) after its first increment.
        """
        name = self.full_key(key)
        seconds = self.settings.ttl if ttl is None else ttl

        async def increment() -> int:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incrby(name, amount)
                pipe.expire(name, seconds, nx=True)
                total, _ = await pipe.execute()
            return int(total)

        try:
            return await self._redis(increment)
        except DependencyUnavailable:
            return None

    async def exists(self, key: str) -> bool:
        """Whether `key` holds a value (False when Redis is unavailable)."""
        try:
            return bool(await self._redis(lambda: self.client.exists(self.full_key(key))))
        except DependencyUnavailable:
            return False

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry at `key` expires, stale period included; None if it does not, or without Redis."""
        try:
            milliseconds = await self._redis(lambda: self.client.pttl(self.full_key(key)))
        except DependencyUnavailable:
            return None
        return milliseconds / 1000 if milliseconds >= 0 else None

    async def get_or_set(
        self, key: str, type_: type[T], compute: Callable[[], Awaitable[T]], ttl: int | None = None
    ) -> T:
        """The cached value, or `compute()`'s result cached for `ttl` seconds (the configured ttl by default).

        One caller at a time, across processes, computes a key: on a miss the others wait for its
        result (at most `lock_timeout` seconds, then compute without storing); once the value is
        older than `ttl`, the others are served the stale value for up to `stale_ttl` seconds more.
        Without Redis, `compute()` simply runs.
        """
        name = self.full_key(key)
        try:
            value, token = await self._value_or_lock(name, type_)
        except DependencyUnavailable:
            value, token = MISSING, None
        if value is not MISSING:
            return value
        self._count("misses")
        if token is None:
            return await compute()
        return await self._compute_and_store(name, token, compute, ttl)

    def cached(
        self, *, ttl: int | None = None, key: str | None = None, version: int = 1, namespace: str | None = None
    ) -> Callable[[Callable[P, Awaitable[T]]], "CachedFunction[P, T]"]:
        """Decorate an async function so its results go through get_or_set.

        Keys are `{namespace}:v{version}:{key}`: `namespace` defaults to the function's module and
        qualified name; `key` is formatted from the arguments (`"{item_id}"`), by default a hash of
        all of them. Bump `version` when the result's shape changes, and old entries are ignored.
        """

        def decorate(func: Callable[P, Awaitable[T]]) -> CachedFunction[P, T]:
            return CachedFunction(self, func, ttl=ttl, key=key, version=version, namespace=namespace)

        return decorate

    async def _redis(self, operation: Callable[[], Awaitable[T]]) -> T:
        if self._pending_names or self._pending_patterns:
            await self._retry_deletions()
        try:
            return await guarded(self.breaker, operation)
        except DependencyUnavailable:
            self._count("errors")
            raise

    def _remember_deletion(self, *, names: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        """Keep a missed deletion for retry, so the entry is not served after Redis comes back."""
        {#- sync block: with self._pending_lock: #}
        self._pending_names.update(names)
        self._pending_patterns.update(patterns)
        if len(self._pending_names) > MAX_PENDING_DELETIONS:
            self._pending_names.clear()
            self._pending_patterns = {glob_escape(self.prefix) + "*"}
        {#- end sync block #}

    async def _retry_deletions(self) -> None:
        """Carry out the deletions Redis missed, before the call that follows reads anything."""
        names, patterns = list(self._pending_names), list(self._pending_patterns)

        async def delete_all() -> None:
            if names:
                await self.client.unlink(*names)
            for pattern in patterns:
                await self._unlink_matching(pattern)

        try:
            await guarded(self.breaker, delete_all)
        except DependencyUnavailable:
            return
        {#- sync block: with self._pending_lock: #}
        self._pending_names.difference_update(names)
        self._pending_patterns.difference_update(patterns)
        {#- end sync block #}
        logger.info("cache deletions retried", keys=len(names), prefixes=len(patterns))

    async def _unlink_matching(self, pattern: str) -> int:
        deleted = 0
        batch: list[bytes] = []
        async for name in self.client.scan_iter(match=pattern, count=BATCH_SIZE):
            batch.append(name)
            if len(batch) == BATCH_SIZE:
                deleted += await self.client.unlink(*batch)
                batch.clear()
        if batch:
            deleted += await self.client.unlink(*batch)
        return deleted

    def _count(self, outcome: Outcome) -> None:
        {#- sync block: with self._stats_lock: #}
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        {#- end sync block #}
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    async def _lookup(self, name: str, type_: type[T]) -> tuple[T | Missing, bool]:
        """The value at `name` and whether it is fresh: its remaining life exceeds the stale period."""

        async def read() -> list[Any]:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(name)
                pipe.pttl(name)
                return await pipe.execute()

        raw, milliseconds = await self._redis(read)
        value = decode(name.removeprefix(self.prefix), raw, type_)
        # -1: stored without an expiry, by something else; never stale.
        fresh = milliseconds == -1 or milliseconds > self.settings.stale_ttl * 1000
        return value, fresh

    async def _value_or_lock(self, name: str, type_: type[T]) -> tuple[T | Missing, str | None]:
        """A value to serve, or the key's lock to compute it under; neither once `lock_timeout` has passed."""
        deadline = time.monotonic() + self.settings.lock_timeout
        while True:
            value, fresh = await self._lookup(name, type_)
            if value is not MISSING and fresh:
                self._count("hits")
                return value, None
            token = await self._lock(name)
            if token is not None:
                # The previous holder may have stored the value between our read and our lock.
                value, fresh = await self._lookup(name, type_)
                if value is MISSING or not fresh:
                    return MISSING, token
                await self._unlock(name, token)
                self._count("hits")
                return value, None
            if value is not MISSING:
                self._count("stale_hits")
                return value, None
            if time.monotonic() >= deadline:
                return MISSING, None
            await asyncio.sleep(POLL_SECONDS)

    async def _lock(self, name: str) -> str | None:
        token = secrets.token_hex(16)
        timeout_ms = int(self.settings.lock_timeout * 1000)
        taken = await self._redis(lambda: self.client.set(name + LOCK_SUFFIX, token, nx=True, px=timeout_ms))
        return token if taken else None

    async def _compute_and_store(
        self, name: str, token: str, compute: Callable[[], Awaitable[T]], ttl: int | None
    ) -> T:
        lock = name + LOCK_SUFFIX
        try:
            value = await compute()
            data = to_json(value)
        except BaseException:
            await self._unlock(name, token)
            raise
        keep_ms = ((self.settings.ttl if ttl is None else ttl) + self.settings.stale_ttl) * 1000
        await self._release(lambda: self._store_and_unlock(keys=[name, lock], args=[token, data, keep_ms]))
        return value

    async def _unlock(self, name: str, token: str) -> None:
        """Give the key's lock back without storing anything."""
        await self._release(lambda: self._store_and_unlock(keys=[name, name + LOCK_SUFFIX], args=[token]))

    async def _release(self, operation: Callable[[], Awaitable[object]]) -> None:
        # Without Redis the value is simply not stored, and the lock expires on its own.
        try:
            await self._redis(operation)
        except DependencyUnavailable:
            return


class CachedFunction(Generic[P, T]):
    """An async function whose results are cached; `key()` and `invalidate()` take its arguments."""

    def __init__(
        self,
        cache: Cache,
        func: Callable[P, Awaitable[T]],
        *,
        ttl: int | None,
        key: str | None,
        version: int,
        namespace: str | None,
    ) -> None:
        self.cache = cache
        self.func = func
        self.ttl = ttl
        self.keys = CallKeys(func, key=key, version=version, namespace=namespace)
        self._result_type: type[T] = get_type_hints(func)["return"]
        update_wrapper(self, func)

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.cache.get_or_set(
            self.key(*args, **kwargs), self._result_type, lambda: self.func(*args, **kwargs), self.ttl
        )

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The cache key of a call with these arguments."""
        return self.keys.of(*args, **kwargs)

    async def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Forget the cached result of a call with these arguments."""
        await self.cache.delete(self.key(*args, **kwargs))
