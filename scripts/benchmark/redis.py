"""Redis: the latency of one cached item read, and the rate limiter's cost per request.

Times one `GET /api/v1/items/{id}` at a time over one connection, against a throwaway PostgreSQL
and Redis: a use_redis=false bake (uncached), then a use_redis=true bake with the rate limiter off
(cached) and on with a limit never reached (cached + limiter), so the differences are the cache's
gain and the limiter's cost per request.
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import redis

from tests.served_app import HOST

from .api import (
    ITEMS_PATH,
    REQUEST_TIMEOUT_S,
    UNREACHED_LIMIT,
    LatencySample,
    check_limiter,
    create_items,
    get_ok,
    reconnections,
    timed_calls,
)
from .config import BenchmarkError, progress
from .deploy import deploy, served, with_postgres_and_redis
from .report import Row

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from tests.servers import Server

    from .config import Config, Framework, Target


@dataclass(frozen=True, eq=False)  # hashed by identity: the setups are the constants CACHE_SETUPS
class CacheSetup:
    """One way of serving the item read: which bake (`redis`) and which settings on top."""

    name: str
    key: str
    redis: bool
    env: dict[str, str]
    rate_limited: bool


UNCACHED = CacheSetup("uncached (use_redis=false)", "uncached", redis=False, env={}, rate_limited=False)
CACHED = CacheSetup(
    "cached, limiter off", "cached", redis=True, env={"RATE_LIMIT__ENABLED": "false"}, rate_limited=False
)
LIMITED = CacheSetup(
    "cached + limiter",
    "limited",
    redis=True,
    env={"RATE_LIMIT__ENABLED": "true", "RATE_LIMIT__DEFAULT": f"{UNREACHED_LIMIT}/minute"},
    rate_limited=True,
)
CACHE_SETUPS = (UNCACHED, CACHED, LIMITED)


def key_prefix(framework: Framework, setup: CacheSetup) -> str:
    """Each server's own Redis keys, so a check or a cache hit cannot come from another."""
    return f"bench_{framework.name}_{setup.key}"


def cache_targets(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[CacheSetup, Target]:
    """Bake and migrate the framework without and with Redis; return each setup's target."""
    bakes: dict[bool, Target] = {}
    for use_redis in (False, True):
        directory = workdir / ("redis" if use_redis else "no-redis")
        directory.mkdir()
        answers = {**framework.answers, "use_redis": use_redis}
        env = {"REDIS_URL": redis_server.url} if use_redis else {}
        database = f"bench_{framework.name}_{directory.name.replace('-', '_')}"
        bakes[use_redis] = deploy(answers, postgres, database, config, directory, env=env)
    targets = {}
    for setup in CACHE_SETUPS:
        base = bakes[setup.redis]
        prefix = {"REDIS__KEY_PREFIX": key_prefix(framework, setup)} if setup.redis else {}
        targets[setup] = replace(base, kind=setup.key, env={**base.env, **setup.env, **prefix, **config.app_env})
    return targets


def cache_keys(url: str, prefix: str) -> int:
    """How many keys of the cache under `prefix` Redis holds."""
    try:
        with redis.Redis.from_url(url, socket_timeout=REQUEST_TIMEOUT_S) as client:
            return sum(1 for _ in client.scan_iter(match=f"{prefix}:cache:*"))
    except redis.RedisError as exc:
        msg = f"cannot count cache keys in Redis: {type(exc).__name__}: {exc}"
        raise BenchmarkError(msg) from exc


def check_setup(port: int, setup: CacheSetup, redis_url: str, prefix: str) -> str:
    """Create one item and read it once; fail unless the answer shows the setup's cache and limiter.

    Returns the item's path. The read fills the cache, so every timed read of a cached setup hits it.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        [item_id] = create_items(connection, 1, setup.key)  # servers of one bake share its database
        path = f"{ITEMS_PATH}/{item_id}"
        response = get_ok(connection, path)
    finally:
        connection.close()
    check_limiter(response, setup.name, rate_limited=setup.rate_limited)
    if setup.redis and cache_keys(redis_url, prefix) == 0:
        msg = f"{setup.name}: no cache key in Redis after GET {path}: the read does not go through the cache"
        raise BenchmarkError(msg)
    return path


def sequential_latency(port: int, path: str, config: Config) -> LatencySample:
    """Warm up, then time GETs one after another over one connection, reopened only when the server closes it."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        return timed_calls(connection, lambda: get_ok(connection, path), config.warmup, config.requests)
    finally:
        connection.close()


def benchmark_cache(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[CacheSetup, list[LatencySample]]:
    """Serve every setup at once, check each, then time them in turn, `runs` times."""
    progress(
        f"redis {framework.name}: PostgreSQL + Redis, {config.runs} x ({', '.join(s.key for s in CACHE_SETUPS)}), "
        f"{config.warmup} warm-up + {config.requests} timed sequential GETs each"
    )
    targets = cache_targets(framework, postgres, redis_server, config, workdir)
    samples: dict[CacheSetup, list[LatencySample]] = {setup: [] for setup in CACHE_SETUPS}
    with contextlib.ExitStack() as servers:
        paths = {}
        for setup, target in targets.items():
            port = servers.enter_context(served(target, workdir / f"server-{setup.key}")).port
            paths[setup] = port, check_setup(port, setup, redis_server.url, key_prefix(framework, setup))
        for run in range(1, config.runs + 1):
            for setup, (port, path) in paths.items():
                sample = sequential_latency(port, path, config)
                samples[setup].append(sample)
                progress(
                    f"  {setup.name} run {run}/{config.runs}: median {sample.median_ms:.2f} ms, "
                    f"p99 {sample.p99_ms:.2f} ms, {sample.new_connections} new connections"
                )
    return samples


def redis_part(config: Config, workdir: Path) -> list[Row]:
    return with_postgres_and_redis(config, workdir, "redis", benchmark_cache, cache_rows)


def cache_rows(name: str, results: Mapping[CacheSetup, Sequence[LatencySample]]) -> list[Row]:
    """Per setup: median and p99 latency (each the median over the runs); then the differences."""
    figures = {
        setup: (
            statistics.median(sample.median_ms for sample in samples),
            statistics.median(sample.p99_ms for sample in samples),
        )
        for setup, samples in results.items()
    }
    rows = [
        Row(
            f"redis {name} GET one item, {setup.name}: median | p99, median of {len(results[setup])}",
            f"{median:.2f} ms | {p99:.2f} ms{reconnections(results[setup])}",
        )
        for setup, (median, p99) in figures.items()
    ]
    for figure, slower, faster in (
        ("cache gain, uncached - cached", UNCACHED, CACHED),
        ("limiter cost, (cached + limiter) - cached", LIMITED, CACHED),
    ):
        (slow_median, slow_p99), (fast_median, fast_p99) = figures[slower], figures[faster]
        rows.append(
            Row(
                f"redis {name} {figure}: median | p99",
                f"{slow_median - fast_median:+.2f} ms | {slow_p99 - fast_p99:+.2f} ms",
            )
        )
    return rows
