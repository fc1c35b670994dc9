"""The cache's parts that do no I/O: key layout, JSON decoding, counters, the unlock script."""

import hashlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from string import Formatter
from typing import Any, Final, Generic, Literal, ParamSpec, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from {{ cookiecutter.project_slug }}.core.logging import get_logger

T = TypeVar("T")
P = ParamSpec("P")

logger = get_logger(__name__)

# How often a caller waiting for another caller's computation looks for its result.
POLL_SECONDS = 0.05
# Keys per SCAN step and per UNLINK while invalidating a prefix.
BATCH_SIZE = 500
# A key's recomputation lock is the key plus this suffix, so invalidating a prefix revokes its locks too.
LOCK_SUFFIX = "#lock"
NOT_DELETED = "cache entries not deleted yet; retried before the next call that reaches Redis"
# Failed deletions remembered for retry; past this many, the whole cache is cleared instead.
MAX_PENDING_DELETIONS = 10_000

# Stores a computed value (when given) and releases the key's lock, but only if the caller still
# holds the lock. Deleting an entry deletes its lock, so a value read before an invalidation
# (the old row, say) is never stored after it.
STORE_AND_UNLOCK = """
if redis.call("get", KEYS[2]) ~= ARGV[1] then
    return 0
end
redis.call("del", KEYS[2])
if #ARGV == 3 then
    redis.call("set", KEYS[1], ARGV[2], "PX", ARGV[3])
end
return 1
"""

Outcome = Literal["hits", "stale_hits", "misses", "errors"]


class Missing(Enum):
    MISSING = "missing"


MISSING: Final = Missing.MISSING


@dataclass
class CacheStats:
    """What the cache did since the process started."""

    # Fresh values served.
    hits: int = 0
    # Stale values served while another caller recomputed them.
    stale_hits: int = 0
    # Values that were not cached (computed, for get_or_set).
    misses: int = 0
    # Redis calls that failed, or were not tried because the circuit was open.
    errors: int = 0


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def adapter_for(type_: type[T]) -> TypeAdapter[T]:
    """Building an adapter costs far more than using one: one per type, kept."""
    adapter: TypeAdapter[T] | None = _ADAPTERS.get(type_)
    if adapter is None:
        adapter = _ADAPTERS[type_] = TypeAdapter(type_)
    return adapter


def glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


def decode(key: str, raw: bytes | str | None, type_: type[T]) -> T | Missing:
    """A stored value read as `type_`; MISSING when there is none or it no longer fits the type."""
    if raw is None:
        return MISSING
    try:
        value = adapter_for(type_).validate_json(raw)
    except ValidationError as exc:
        # Stored in another shape (a changed model without a version bump): recomputed and replaced.
        logger.warning("cache entry unreadable", key=key, error=str(exc))
        return MISSING
    return value


class CallKeys(Generic[P]):
    """The cache keys of a function's calls: `{namespace}:v{version}:{key}`.

    `namespace` defaults to the function's module and qualified name; `key` is formatted from the
    arguments (`"{item_id}"`), by default a hash of all of them.
    """

    def __init__(self, func: Callable[P, Any], *, key: str | None, version: int, namespace: str | None) -> None:
        self.func = func
        self.template = key
        self.namespace = f"{namespace or f'{func.__module__}.{func.__qualname__}'}:v{version}"
        self._signature = inspect.signature(func)
        for _, field, _, _ in Formatter().parse(key or ""):
            if field is not None and re.split(r"[.\[]", field, maxsplit=1)[0] not in self._signature.parameters:
                msg = f"cache key {key!r} names {field!r}, which is not an argument of {func.__qualname__}"
                raise ValueError(msg)

    def of(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The key of a call with these arguments."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if self.template is not None:
            return f"{self.namespace}:{self.template.format(**bound.arguments)}"
        try:
            arguments = to_json(bound.arguments)
        except PydanticSerializationError as exc:
            msg = f"cannot build a cache key from the arguments of {self.func.__qualname__}; pass key="
            raise TypeError(msg) from exc
        return f"{self.namespace}:{hashlib.sha256(arguments).hexdigest()}"
