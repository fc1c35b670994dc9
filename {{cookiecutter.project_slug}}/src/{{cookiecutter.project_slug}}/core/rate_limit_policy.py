"""What a rate limit is, whatever counts it: policies, caller keys, and the state behind the headers."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_network
from typing import Literal

from limits import RateLimitItem, parse_many

from {{ cookiecutter.project_slug }}.core.client_address import parse_address

# The policies routes choose from; each is a setting (RATE_LIMIT__DEFAULT, RATE_LIMIT__AUTH).
Policy = Literal["default", "auth"]
# How a counted request went: within its limits, over one, or not counted because Redis is down.
Decision = Literal["allowed", "refused", "unavailable"]
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


def parse_policy(limits: str) -> list[RateLimitItem]:
    """Shortest window first: a request it refuses is not counted against the longer ones."""
    return sorted(parse_many(limits), key=lambda item: item.get_expiry())
