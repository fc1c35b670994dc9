"""`flags list | set | unset` against the real Redis server, with settings from the environment."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from typer.testing import CliRunner, Result

from {{ cookiecutter.project_slug }}.cli import EXIT_BAD_SETTINGS, cli
from {{ cookiecutter.project_slug }}.settings import Settings, get_settings

DEFAULTS = {"beta": False, "legacy": True}


@pytest.fixture
def cli_env(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path, settings: Settings, redis_url: str
) -> Iterator[pytest.MonkeyPatch]:
    """Settings through the environment, with this test's own Redis key prefix."""
    clean_environment.chdir(tmp_path)
    clean_environment.setenv("ENVIRONMENT", "test")
    clean_environment.setenv("DATABASE_URL", settings.database_url)
    clean_environment.setenv("REDIS_URL", redis_url)
    clean_environment.setenv("REDIS__KEY_PREFIX", settings.redis.key_prefix)
    clean_environment.setenv("FLAGS__DEFAULTS", json.dumps(DEFAULTS))
    get_settings.cache_clear()
    yield clean_environment
    get_settings.cache_clear()


def stored(settings: Settings, name: str) -> Any:
    """The flag's override as Redis holds it, decoded; None without one."""
    with Redis.from_url(settings.redis_url) as client:
        rule = client.hget(f"{settings.redis.key_prefix}:flags", name)
    return None if rule is None else json.loads(rule)


def flags(*arguments: str) -> Result:
    return CliRunner().invoke(cli, ["flags", *arguments])


def row(output: str, name: str) -> str:
    """The words of flag `name`'s line in the printed table."""
    for line in output.splitlines():
        words = [word for word in re.split(r"[\s│|]+", line) if word]
        if words[:1] == [name]:
            return " ".join(words)
    raise AssertionError(f"no row for {name} in:\n{output}")


def test_list_shows_each_flag_with_its_default(cli_env: pytest.MonkeyPatch) -> None:
    result = flags("list")
    assert result.exit_code == 0, result.output
    assert (row(result.output, "beta"), row(result.output, "legacy")) == ("beta off off", "legacy on on")


def test_set_on_stores_the_override(cli_env: pytest.MonkeyPatch, settings: Settings) -> None:
    result = flags("set", "beta", "--on")
    assert result.exit_code == 0, result.output
    assert row(result.output, "beta") == "beta off on on"
    assert stored(settings, "beta") == {"enabled": True, "users": [], "percentage": 0}
    assert row(flags("list").output, "beta") == "beta off on on"


def test_set_a_rollout(cli_env: pytest.MonkeyPatch, settings: Settings) -> None:
    result = flags("set", "beta", "--off", "--user", "user-1", "--user", "42", "--percentage", "10")
    assert result.exit_code == 0, result.output
    assert stored(settings, "beta") == {"enabled": False, "users": ["user-1", "42"], "percentage": 10}
    assert row(flags("list").output, "beta") == "beta off off; on for users user-1, 42 and 10% of users off"


def test_unset_removes_the_override(cli_env: pytest.MonkeyPatch, settings: Settings) -> None:
    flags("set", "legacy", "--off")
    result = flags("unset", "legacy")
    assert result.exit_code == 0, result.output
    assert "Removed the override of legacy." in result.output
    assert stored(settings, "legacy") is None
    assert "legacy had no override." in flags("unset", "legacy").output


@pytest.mark.parametrize("arguments", [["set", "gamma", "--on"], ["unset", "gamma"]])
def test_an_undeclared_flag_exits_1_naming_the_declared_ones(cli_env: pytest.MonkeyPatch, arguments: list[str]) -> None:
    result = flags(*arguments)
    assert result.exit_code == 1
    assert "No feature flag is named 'gamma'; declared flags: beta, legacy." in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--on", "--percentage", "10"], "a flag that is on is on for everyone"),
        (["--off", "--percentage", "101"], "less than or equal to 100"),
        (["--off", "--user", " "], "at least 1 character"),
        ([], "Missing option"),
    ],
)
def test_an_invalid_rule_is_a_usage_error(
    cli_env: pytest.MonkeyPatch, settings: Settings, arguments: list[str], message: str
) -> None:
    result = flags("set", "beta", *arguments)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert stored(settings, "beta") is None


@pytest.mark.parametrize("arguments", [["list"], ["set", "beta", "--on"], ["unset", "beta"]])
def test_redis_down_exits_1(cli_env: pytest.MonkeyPatch, unused_port: int, arguments: list[str]) -> None:
    cli_env.setenv("REDIS_URL", f"redis://127.0.0.1:{unused_port}/0")
    result = flags(*arguments)
    assert result.exit_code == 1
    assert "Redis is unreachable" in result.output


def test_bad_settings_exit_2(cli_env: pytest.MonkeyPatch) -> None:
    cli_env.setenv("FLAGS__CACHE_SECONDS", "-1")
    result = flags("list")
    assert result.exit_code == EXIT_BAD_SETTINGS
    assert "FLAGS__CACHE_SECONDS" in result.output
