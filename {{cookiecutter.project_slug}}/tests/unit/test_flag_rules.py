"""Flag rules: validation, allow-lists and the stable, independent percentage rollout."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.project_slug }}.core.flag_rules import BUCKETS, FlagRule, bucket, evaluate

USERS = [f"user-{number}" for number in range(10_000)]
# The share of 10,000 users that is on follows a binomial distribution: its standard deviation is
# at most 0.5 points (at 50%). Two points is four deviations; and since the hash is fixed, the
# outcome never changes from run to run: this guards against a skewed bucketing, not against luck.
TOLERANCE = 0.02


def share_on(rule: FlagRule, flag: str = "rollout") -> float:
    return sum(evaluate(flag, False, rule, user) for user in USERS) / len(USERS)


def test_without_a_rule_the_default_answers() -> None:
    assert evaluate("beta", True, None, "user-1") is True
    assert evaluate("beta", False, None, "user-1") is False
    assert evaluate("beta", True, None) is True


@pytest.mark.parametrize("enabled", [True, False])
def test_on_and_off_apply_to_everyone(enabled: bool) -> None:
    rule = FlagRule(enabled=enabled)
    assert {evaluate("beta", not enabled, rule, user) for user in [*USERS[:100], None]} == {enabled}


def test_allow_listed_users_are_on_whatever_the_rollout() -> None:
    rule = FlagRule(enabled=False, users=("user-7", "42"), percentage=0)
    assert evaluate("beta", False, rule, "user-7") is True
    assert evaluate("beta", False, rule, 42) is True, "integer ids match their string form"
    assert evaluate("beta", False, rule, "user-8") is False


def test_anonymous_callers_get_the_on_off_value_only() -> None:
    rule = FlagRule(enabled=False, percentage=100)
    assert evaluate("beta", False, rule, "user-1") is True
    assert evaluate("beta", False, rule, None) is False
    assert evaluate("beta", False, rule, "") is False


def test_a_user_gets_the_same_answer_every_time() -> None:
    rule = FlagRule(enabled=False, percentage=50)
    stored = FlagRule.model_validate_json(rule.model_dump_json())
    first = [evaluate("beta", False, rule, user) for user in USERS[:1000]]
    assert [evaluate("beta", False, stored, user) for user in USERS[:1000]] == first
    assert True in first
    assert False in first


def test_buckets_are_pinned() -> None:
    """sha256 of "flag:user": changing the hash would move the users of every running rollout."""
    assert [bucket("beta", f"user-{number}") for number in range(3)] == [9550, 4945, 1530]
    assert {bucket("beta", user) for user in USERS} <= set(range(BUCKETS))


@pytest.mark.parametrize("percentage", [1, 10, 25, 50, 90])
def test_about_the_percentage_of_users_is_on(percentage: int) -> None:
    assert share_on(FlagRule(enabled=False, percentage=percentage)) == pytest.approx(percentage / 100, abs=TOLERANCE)


def test_zero_and_a_hundred_percent_are_exact() -> None:
    assert share_on(FlagRule(enabled=False, percentage=0)) == 0
    assert share_on(FlagRule(enabled=False, percentage=100)) == 1


def test_raising_the_percentage_only_adds_users() -> None:
    before = {user for user in USERS if evaluate("rollout", False, FlagRule(enabled=False, percentage=10), user)}
    after = {user for user in USERS if evaluate("rollout", False, FlagRule(enabled=False, percentage=30), user)}
    assert before < after


def test_flags_bucket_users_independently() -> None:
    """Half of the users on for each of two flags: about a quarter are on for both, not half."""
    rule = FlagRule(enabled=False, percentage=50)
    first = {user for user in USERS if evaluate("first", False, rule, user)}
    second = {user for user in USERS if evaluate("second", False, rule, user)}
    assert len(first & second) / len(USERS) == pytest.approx(0.25, abs=TOLERANCE)


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": False, "percentage": 100.5},
        {"enabled": False, "percentage": -1},
        {"enabled": False, "users": [""]},
        {"enabled": False, "colour": "red"},
        {"percentage": 10},
        {"enabled": True, "percentage": 10},
        {"enabled": True, "users": ["user-1"]},
    ],
)
def test_invalid_rules_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FlagRule.model_validate(body)


def test_rules_round_trip_as_json() -> None:
    rule = FlagRule(enabled=False, users=(" user-1 ", "user-2"), percentage=12.5)
    assert rule.users == ("user-1", "user-2")
    assert FlagRule.model_validate_json(rule.model_dump_json()) == rule


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (FlagRule(enabled=True), "on"),
        (FlagRule(enabled=False), "off"),
        (FlagRule(enabled=False, users=("7", "9"), percentage=10), "off; on for users 7, 9 and 10% of users"),
        (FlagRule(enabled=False, users=tuple(map(str, range(6)))), "off; on for 6 listed users"),
    ],
)
def test_describe(rule: FlagRule, text: str) -> None:
    assert rule.describe() == text
