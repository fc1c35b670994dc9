{# Generated from flags.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Feature flags: declared with their defaults in settings, overridden at runtime in Redis.

All overrides live in one hash, `{key_prefix}:flags` (field: flag name, value: the rule as
JSON). A process reads the whole hash at most once per `flags.cache_seconds`, so checking a
flag costs no round trip. A write through a store refreshes that store's cache at once; other
processes see it within `cache_seconds`. While Redis is unreachable flags answer their
defaults, and writes fail with ServiceUnavailable.
"""

import time
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any

from pydantic import ValidationError
from redis import Redis
from redis.client import Pipeline

from {{ cookiecutter.project_slug }}.core.errors import NotFound, ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.flag_rules import FlagRule, FlagState, evaluate
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import FlagSettings

logger = get_logger(__name__)


class FlagStore:
    """Answers flag checks from a short-lived copy of the overrides; reads and writes them for admins."""

    def __init__(self, redis: Redis, breaker: CircuitBreaker, *, key_prefix: str, settings: FlagSettings) -> None:
        self.key = f"{key_prefix}:flags"
        self.defaults = dict(sorted(settings.defaults.items()))
        self._redis = redis
        self._breaker = breaker
        self._cache_seconds = settings.cache_seconds
        self._overrides: dict[str, FlagRule] = {}
        self._expires_at = float("-inf")
        # One refresh at a time: the threads that find the copy expired wait for a single HGETALL.
        self._refresh_lock = Lock()
        self._warned: set[str] = set()

    def is_enabled(self, name: str, user_id: str | int | None = None) -> bool:
        """The flag's value for a caller (anonymous without a user id); an undeclared flag is off."""
        default = self.defaults.get(name)
        if default is None:
            if name not in self._warned:
                self._warned.add(name)
                logger.warning("undeclared feature flag is off", flag=name, declared=list(self.defaults))
            return False
        overrides = self._cached_overrides()
        return evaluate(name, default, overrides.get(name), user_id)

    def states(self) -> list[FlagState]:
        """Every declared flag, read from Redis rather than the cache."""
        _, overrides = self._transaction()
        return [self._state(name, overrides) for name in self.defaults]

    def state(self, name: str) -> FlagState:
        """One declared flag, read from Redis rather than the cache."""
        self._check_declared(name)
        _, overrides = self._transaction()
        return self._state(name, overrides)

    def set(self, name: str, rule: FlagRule) -> FlagState:
        """Store the flag's override and return its new state."""
        self._check_declared(name)
        _, overrides = self._transaction(lambda pipe: pipe.hset(self.key, name, rule.model_dump_json()))
        return self._state(name, overrides)

    def unset(self, name: str) -> bool:
        """Remove the flag's override, so it answers its default again; False if it had none."""
        self._check_declared(name)
        (removed,), _ = self._transaction(lambda pipe: pipe.hdel(self.key, name))
        return bool(removed)

    def _check_declared(self, name: str) -> None:
        if name not in self.defaults:
            declared = ", ".join(self.defaults) or "none (FLAGS__DEFAULTS declares them)"
            raise NotFound(
                f"No feature flag is named {name!r}; declared flags: {declared}.",
                details={"flags": list(self.defaults)},
            )

    def _state(self, name: str, overrides: Mapping[str, FlagRule]) -> FlagState:
        default, rule = self.defaults[name], overrides.get(name)
        return FlagState(name=name, default=default, override=rule, enabled=evaluate(name, default, rule))

    def _cached_overrides(self) -> dict[str, FlagRule]:
        if time.monotonic() < self._expires_at:
            return self._overrides
        with self._refresh_lock:
            if time.monotonic() < self._expires_at:
                return self._overrides  # refreshed by the thread we waited for
            try:
                stored = guarded(self._breaker, lambda: self._redis.hgetall(self.key))
            except DependencyUnavailable:
                # Defaults until the next refresh; the breaker logs the outage, once.
                stored = {}
            return self._remember(stored)

    def _transaction(self, *commands: Callable[[Pipeline], object]) -> tuple[list[Any], dict[str, FlagRule]]:
        """Run `commands`, then read the hash, in one transaction; the read refreshes the cache.

        Returns the commands' results and the overrides. Raises ServiceUnavailable while Redis
        is unreachable.
        """

        def run() -> list[Any]:
            with self._redis.pipeline(transaction=True) as pipe:
                for command in commands:
                    command(pipe)
                pipe.hgetall(self.key)
                return pipe.execute()

        try:
            *results, stored = guarded(self._breaker, run)
        except DependencyUnavailable as exc:
            raise ServiceUnavailable("Feature flags cannot be read or changed: Redis is unreachable.") from exc
        return results, self._remember(stored)

    def _remember(self, stored: Mapping[bytes | str, bytes | str]) -> dict[str, FlagRule]:
        """Parse the hash into this process's copy, valid for `cache_seconds` from now."""
        self._overrides = parse_overrides(stored, declared=self.defaults)
        self._expires_at = time.monotonic() + self._cache_seconds
        return self._overrides


def parse_overrides(stored: Mapping[bytes | str, bytes | str], *, declared: Mapping[str, bool]) -> dict[str, FlagRule]:
    """The overrides of declared flags. Invalid ones are logged and left out: those flags keep their default."""
    overrides = {}
    for field, value in stored.items():
        name = field.decode() if isinstance(field, bytes) else field
        if name not in declared:
            continue  # a flag since removed from settings
        try:
            overrides[name] = FlagRule.model_validate_json(value)
        except ValidationError as exc:
            logger.warning("invalid feature flag override ignored", flag=name, error=str(exc))
    return overrides
