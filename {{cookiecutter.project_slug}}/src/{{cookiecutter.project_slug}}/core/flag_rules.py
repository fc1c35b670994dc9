"""Feature-flag rules and their evaluation: pure, so every process gives a caller the same answer."""

import hashlib
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

# A user's place in a rollout is one of this many buckets: percentages have two decimals.
BUCKETS = 10_000
# Longer allow-lists are better served by a percentage or by a segment of your own.
MAX_USERS = 1000
# Beyond this many, `describe` counts the allow-listed users instead of naming them.
USERS_SHOWN = 5

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class FlagRule(BaseModel):
    """An override of a flag's default, kept in Redis as JSON.

    `enabled` is the answer for everyone, except that an off flag is on for the users listed in
    `users` and for `percentage` percent of the other users. Callers without a user id get
    `enabled`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool
    users: tuple[UserId, ...] = Field(default=(), max_length=MAX_USERS)
    percentage: float = Field(default=0, ge=0, le=100)

    @model_validator(mode="after")
    def _targets_only_when_off(self) -> Self:
        if self.enabled and (self.users or self.percentage):
            raise PydanticCustomError(
                "flag_targets_when_on",
                "users and percentage turn an off flag on for some users; a flag that is on is on for everyone",
            )
        return self

    def applies_to(self, flag: str, user_id: str | None) -> bool:
        """The rule's answer for a caller (None: anonymous) of flag `flag`."""
        if self.enabled or user_id is None:
            return self.enabled
        return user_id in self.users or bucket(flag, user_id) < self.percentage * BUCKETS / 100

    def describe(self) -> str:
        """One line for people, e.g. "off; on for users 7, 9 and 10% of users"."""
        if self.enabled:
            return "on"
        targets = []
        if len(self.users) > USERS_SHOWN:
            targets.append(f"{len(self.users)} listed users")
        elif self.users:
            targets.append(f"users {', '.join(self.users)}")
        if self.percentage:
            targets.append(f"{self.percentage:g}% of users")
        return f"off; on for {' and '.join(targets)}" if targets else "off"


class FlagState(BaseModel):
    name: str
    # The value from settings, used while no override is stored or Redis is unreachable.
    default: bool
    override: FlagRule | None
    # The value for a caller without a user id.
    enabled: bool


class FlagList(BaseModel):
    flags: list[FlagState]


def bucket(flag: str, user_id: str) -> int:
    """The user's bucket, 0 to BUCKETS - 1, in the flag's rollout.

    A hash rather than a stored assignment: the same on every call and in every process, and
    unrelated between flags, so one user is not first in line for every rollout.
    """
    digest = hashlib.sha256(f"{flag}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def evaluate(flag: str, default: bool, rule: FlagRule | None, user_id: str | int | None = None) -> bool:
    """The flag's value for a caller: the override's answer if there is one, else the default."""
    if rule is None:
        return default
    caller = None if user_id is None or user_id == "" else str(user_id)
    return rule.applies_to(flag, caller)
