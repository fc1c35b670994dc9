"""Rate limits counted in Redis, so every process of the service shares them.

Built on the `limits` library's moving window: a request is allowed when fewer than N requests
were counted in the last T seconds, whenever it comes. Unlike a fixed window, a caller cannot
get 2N through by straddling a window boundary; unlike the sliding-window counter, the count is
exact. The price is one timestamp per counted request (N per caller and limit) in a Redis list,
and clocks kept in step across hosts (NTP), since each process stamps its own requests.
"""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_network
from typing import Literal

from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis

from {{ cookiecutter.project_slug }}.core.client_address import parse_address
from {{ cookiecutter.project_slug }}.core.errors import RateLimited, ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import RateLimitSettings

# The policies routes choose from; each is a setting (RATE_LIMIT__DEFAULT, RATE_LIMIT__AUTH).
Policy = Literal["default", "auth"]
# An IPv6 host usually holds a whole /64: counting its addresses apart would not limit it.
IPV6_PREFIX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """Where one limit stands for one caller, just after a request was counted."""

    limit: int
    remaining: int
    # Unix time at which the oldest counted request leaves the window, freeing a request.
    reset_at: float

    def seconds_to_reset(self, now: float) -> int:
        return max(0, math.ceil(self.reset_at - now))

    def headers(self, now: float) -> dict[str, str]:
        """The IETF draft's RateLimit-* headers (seconds) and the common X-RateLimit-* (Unix time)."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.seconds_to_reset(now)),
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


def tightest(states: Iterable[RateLimitState]) -> RateLimitState:
    """The limit closest to refusing: fewest requests left, then the longest wait."""
    return min(states, key=lambda state: (state.remaining, -state.reset_at))


def limit_key(*, user_id: object | None, client_ip: str) -> str:
    """Whom a request counts against: its user when authenticated, otherwise its address."""
    if user_id is not None:
        return f"user:{user_id}"
    address = parse_address(client_ip)
    if isinstance(address, IPv6Address):
        return f"ip:{ip_network((address, IPV6_PREFIX_LENGTH), strict=False)}"
    return f"ip:{client_ip}"


def _parse_policy(limits: str) -> list[RateLimitItem]:
    """Shortest window first: a request it refuses is not counted against the longer ones."""
    return sorted(parse_many(limits), key=lambda item: item.get_expiry())


class RateLimiter:
    """Counts requests per policy and caller; see `hit`."""

    def __init__(
        self,
        redis: Redis,
        breaker: CircuitBreaker,
        *,
        key_prefix: str,
        settings: RateLimitSettings,
    ) -> None:
        self.enabled = settings.enabled
        self._breaker = breaker
        self._fail_open = settings.fail_open
        self._policies: dict[Policy, list[RateLimitItem]] = {
            "default": _parse_policy(settings.default),
            "auth": _parse_policy(settings.auth),
        }
        # The URL only selects the storage class: connections come from the app's own pool.
        storage = RedisStorage(
            "redis://",
            connection_pool=redis.connection_pool,
            key_prefix=f"{key_prefix}:ratelimit",
            # Redis errors stay RedisError, which `guarded` counts as the server failing.
            wrap_exceptions=False,
        )
        self._strategy = MovingWindowRateLimiter(storage)

    def hit(self, policy: Policy, key: str) -> RateLimitState | None:
        """Count one request by `key` (see `limit_key`) against every limit of `policy`.

        Returns the tightest limit's state, or None when limiting is off or when Redis is down
        and the limiter fails open. Raises RateLimited when a limit is used up, and
        ServiceUnavailable when Redis is down and the limiter fails closed.
        """
        if not self.enabled:
            return None
        identifier = f"{policy}:{key}"
        try:
            allowed, state = guarded(self._breaker, lambda: self._hit_all(self._policies[policy], identifier))
        except DependencyUnavailable:
            # The breaker has logged the outage once; nothing is logged per request.
            if self._fail_open:
                return None
            wait = max(1, math.ceil(self._breaker.reset_timeout))
            raise ServiceUnavailable(
                "Rate limiting is unavailable; try again shortly.", headers={"Retry-After": str(wait)}
            ) from None
        if not allowed:
            now = time.time()
            wait = max(1, state.seconds_to_reset(now))
            raise RateLimited(
                f"Too many requests; try again in {wait} seconds.",
                headers={**state.headers(now), "Retry-After": str(wait)},
            )
        return state

    def _hit_all(self, items: list[RateLimitItem], identifier: str) -> tuple[bool, RateLimitState]:
        """Every limit must allow the request; stops at the first that refuses it."""
        states: list[RateLimitState] = []
        for item in items:
            allowed = self._strategy.hit(item, identifier)
            stats = self._strategy.get_window_stats(item, identifier)
            state = RateLimitState(limit=item.amount, remaining=stats.remaining, reset_at=stats.reset_time)
            if not allowed:
                return False, state
            states.append(state)
        return True, tightest(states)
