{# Generated from rate_limit.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Rate limits counted in Redis, so every process of the service shares them.

Built on the `limits` library's moving window: a request is allowed when fewer than N requests
were counted in the last T seconds, whenever it comes. Unlike a fixed window, a caller cannot
get 2N through by straddling a window boundary; unlike the sliding-window counter, the count is
exact. The price is one timestamp per counted request (N per caller and limit) in a Redis list,
and clocks kept in step across hosts (NTP), since each process stamps its own requests.
"""

import math
import time
from collections.abc import Callable

from limits import RateLimitItem
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis

from {{ cookiecutter.project_slug }}.core.errors import RateLimited, ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.rate_limit_policy import Decision, Policy, RateLimitState, parse_policy, tightest
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import RateLimitSettings


class RateLimiter:
    """Counts requests per policy and caller; see `hit`."""

    def __init__(
        self,
        redis: Redis,
        breaker: CircuitBreaker,
        *,
        key_prefix: str,
        settings: RateLimitSettings,
        on_decision: Callable[[Policy, Decision], None] | None = None,
    ) -> None:
        """`on_decision(policy, decision)` hears how each counted request went (metrics)."""
        self.enabled = settings.enabled
        self._on_decision = on_decision
        self._breaker = breaker
        self._fail_open = settings.fail_open
        self._policies: dict[Policy, list[RateLimitItem]] = {
            "default": parse_policy(settings.default),
            "auth": parse_policy(settings.auth),
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
            self._decided(policy, "unavailable")
            if self._fail_open:
                return None
            wait = max(1, math.ceil(self._breaker.reset_timeout))
            raise ServiceUnavailable(
                "Rate limiting is unavailable; try again shortly.", headers={"Retry-After": str(wait)}
            ) from None
        self._decided(policy, "allowed" if allowed else "refused")
        if not allowed:
            now = time.time()
            wait = max(1, state.seconds_to_reset(now))
            raise RateLimited(
                f"Too many requests; try again in {wait} seconds.",
                headers={**state.headers(now), "Retry-After": str(wait)},
            )
        return state

    def _decided(self, policy: Policy, decision: Decision) -> None:
        if self._on_decision is not None:
            self._on_decision(policy, decision)

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
