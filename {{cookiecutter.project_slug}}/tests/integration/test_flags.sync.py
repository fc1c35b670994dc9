{# Generated from test_flags.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Feature flags against the real Redis server: overrides, the per-process cache, outages."""

import pytest
from redis import Redis
from structlog.testing import capture_logs

from {{ cookiecutter.project_slug }}.core.errors import NotFound, ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.flag_rules import FlagRule, FlagState
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
from {{ cookiecutter.project_slug }}.core.redis_client import create_breaker, create_redis
from {{ cookiecutter.project_slug }}.settings import FlagSettings, Settings
from tests.redis_proxy import redis_proxy

DEFAULTS = {"beta": False, "legacy": True}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"flags": FlagSettings(defaults=DEFAULTS, cache_seconds=3600)})


def store_for(settings: Settings, redis: Redis, *, cache_seconds: float = 3600) -> FlagStore:
    """A store as another process would have it: its own breaker and cache."""
    flags = settings.flags.model_copy(update={"cache_seconds": cache_seconds})
    return FlagStore(redis, create_breaker(settings), key_prefix=settings.redis.key_prefix, settings=flags)


@pytest.fixture
def store(settings: Settings, redis: Redis) -> FlagStore:
    return store_for(settings, redis)


def test_set_read_and_unset_an_override(store: FlagStore, redis: Redis) -> None:
    rule = FlagRule(enabled=False, users=("user-1",), percentage=5)
    assert store.set("beta", rule) == FlagState(name="beta", default=False, override=rule, enabled=False)
    assert redis.hgetall(store.key) == {b"beta": rule.model_dump_json().encode()}
    assert store.state("beta") == FlagState(name="beta", default=False, override=rule, enabled=False)
    assert [state.name for state in store.states()] == ["beta", "legacy"]

    assert store.unset("beta") is True
    assert store.unset("beta") is False
    assert store.state("beta") == FlagState(name="beta", default=False, override=None, enabled=False)
    assert redis.exists(store.key) == 0


def test_an_override_decides_for_each_caller(store: FlagStore) -> None:
    store.set("beta", FlagRule(enabled=False, users=("user-1",)))
    store.set("legacy", FlagRule(enabled=False))
    assert store.is_enabled("beta", "user-1") is True
    assert store.is_enabled("beta", "user-2") is False
    assert store.is_enabled("beta") is False
    assert store.is_enabled("legacy", "user-1") is False


@pytest.mark.parametrize("name", ["gamma", "Beta", ""])
def test_only_declared_flags_can_be_overridden(store: FlagStore, redis: Redis, name: str) -> None:
    with pytest.raises(NotFound, match="declared flags: beta, legacy") as raised:
        store.set(name, FlagRule(enabled=True))
    assert raised.value.details == {"flags": ["beta", "legacy"]}
    with pytest.raises(NotFound):
        store.unset(name)
    with pytest.raises(NotFound):
        store.state(name)
    assert redis.exists(store.key) == 0


def test_an_undeclared_flag_is_off_and_logged_once(store: FlagStore) -> None:
    with capture_logs() as logs:
        assert store.is_enabled("gamma", "user-1") is False
        assert store.is_enabled("gamma") is False
    assert [entry["event"] for entry in logs] == ["undeclared feature flag is off"]


def test_other_stores_see_a_change_when_their_cache_expires(settings: Settings, redis: Redis) -> None:
    writer = store_for(settings, redis)
    cached, uncached = store_for(settings, redis, cache_seconds=3600), store_for(settings, redis, cache_seconds=0)
    for store in (writer, cached, uncached):
        assert store.is_enabled("beta") is False  # read now; the writer and `cached` keep it for an hour

    writer.set("beta", FlagRule(enabled=True))
    assert writer.is_enabled("beta") is True, "the writer's own cache is refreshed at once"
    assert uncached.is_enabled("beta") is True
    assert cached.is_enabled("beta") is False, "still within its cache_seconds"


def test_checks_within_the_cache_period_need_no_round_trip(settings: Settings, store: FlagStore) -> None:
    store.set("beta", FlagRule(enabled=True))
    with redis_proxy(settings.redis_url) as proxy:
        client = create_redis(settings.model_copy(update={"redis_url": proxy.url}))
        reader = store_for(settings, client)
        try:
            assert reader.is_enabled("beta") is True
            proxy.cut()
            assert [reader.is_enabled("beta") for _ in range(20)] == [True] * 20
        finally:
            client.close()


def test_a_rollout_gives_each_user_the_same_answer_in_every_process(settings: Settings, redis: Redis) -> None:
    store_for(settings, redis).set("beta", FlagRule(enabled=False, percentage=50))
    users = [f"user-{number}" for number in range(200)]
    first = [store_for(settings, redis).is_enabled("beta", user) for user in users]
    second = store_for(settings, redis)
    assert [second.is_enabled("beta", user) for user in users] == first
    assert 0 < sum(first) < len(users)


def test_an_invalid_stored_rule_is_ignored(store: FlagStore, redis: Redis) -> None:
    redis.hset(store.key, mapping={"beta": '{"enabled": true, "colour": "red"}', "legacy": "not json"})
    with capture_logs() as logs:
        assert store.is_enabled("beta") is False
        assert store.is_enabled("legacy") is True
    assert sorted(entry["flag"] for entry in logs) == ["beta", "legacy"]
    assert {entry["event"] for entry in logs} == {"invalid feature flag override ignored"}


def test_redis_down_flags_answer_their_defaults_and_writes_fail(settings: Settings, unused_port: int) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    client = create_redis(down)
    store = store_for(down, client, cache_seconds=0)
    try:
        assert [store.is_enabled("beta", "user-1"), store.is_enabled("legacy")] == [False, True]
        with pytest.raises(ServiceUnavailable, match="Redis is unreachable"):
            store.set("beta", FlagRule(enabled=True))
        with pytest.raises(ServiceUnavailable):
            store.unset("beta")
        with pytest.raises(ServiceUnavailable):
            store.states()
    finally:
        client.close()
