"""GET /api/v1/items/{id} through the cache: served from it, forgotten once a write commits."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis import Redis
from structlog.testing import capture_logs

from {{ cookiecutter.project_slug }}.core.cache_base import NOT_DELETED
from {{ cookiecutter.project_slug }}.core.item.cached_service import CachedItemService
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.redis_proxy import RedisProxy
from tests.web.scrapes import scrape

ITEMS = "/api/v1/items"


@pytest.fixture
def settings(settings: Settings, redis_relay: RedisProxy) -> Settings:
    """The app reaches Redis through a relay that a test can cut."""
    return settings.model_copy(update={"redis_url": redis_relay.url})


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """Straight to the server, to see what the app cached."""
    with Redis.from_url(redis_url) as client:
        yield client


def entry_key(settings: Settings, item_id: int) -> str:
    return f"{settings.redis.key_prefix}:cache:{CachedItemService.cache_key(item_id)}"


def cached(redis: Redis, settings: Settings, item_id: int) -> Any:
    raw = redis.get(entry_key(settings, item_id))
    return None if raw is None else json.loads(raw)


def create(client: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post(ITEMS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_read_is_cached_and_the_next_served_from_the_cache(
    client: httpx.Client, redis: Redis, settings: Settings
) -> None:
    item = create(client, "Cached")
    assert cached(redis, settings, item["id"]) is None  # creating caches nothing
    assert client.get(f"{ITEMS}/{item['id']}").json() == item
    assert cached(redis, settings, item["id"]) == item

    # Changed behind the database's back: the next read shows it, so it came from the cache.
    redis.set(entry_key(settings, item["id"]), json.dumps(item | {"name": "From the cache"}), keepttl=True)
    assert client.get(f"{ITEMS}/{item['id']}").json()["name"] == "From the cache"
    samples = scrape(client)
    assert samples[("cache_operations_total", frozenset({("outcome", "miss")}))] == 1
    assert samples[("cache_operations_total", frozenset({("outcome", "hit")}))] == 1


def test_an_update_is_seen_by_the_next_read(client: httpx.Client, redis: Redis, settings: Settings) -> None:
    item = create(client, "Gadget", quantity=1)
    client.get(f"{ITEMS}/{item['id']}")
    response = client.patch(f"{ITEMS}/{item['id']}", json={"quantity": 5})
    assert response.status_code == 200
    assert cached(redis, settings, item["id"]) is None
    assert client.get(f"{ITEMS}/{item['id']}").json() == response.json()
    assert cached(redis, settings, item["id"])["quantity"] == 5


def test_a_deleted_item_is_not_found_and_not_cached(client: httpx.Client, redis: Redis, settings: Settings) -> None:
    item = create(client, "Doomed")
    client.get(f"{ITEMS}/{item['id']}")
    assert client.delete(f"{ITEMS}/{item['id']}").status_code == 204
    assert cached(redis, settings, item["id"]) is None
    assert client.get(f"{ITEMS}/{item['id']}").status_code == 404
    assert cached(redis, settings, item["id"]) is None


def test_a_write_that_rolls_back_keeps_the_cached_item(client: httpx.Client, redis: Redis, settings: Settings) -> None:
    """A conflicting rename changes nothing, so the cached copy is still right and stays."""
    item = create(client, "First")
    create(client, "Second")
    client.get(f"{ITEMS}/{item['id']}")
    assert client.patch(f"{ITEMS}/{item['id']}", json={"name": "Second"}).status_code == 409
    assert cached(redis, settings, item["id"]) == item
    assert client.get(f"{ITEMS}/{item['id']}").json() == item


def test_a_write_succeeds_while_redis_is_down(
    client: httpx.Client, redis: Redis, settings: Settings, redis_relay: RedisProxy
) -> None:
    item = create(client, "Sturdy", quantity=1)
    client.get(f"{ITEMS}/{item['id']}")
    redis_relay.cut()
    with capture_logs() as logs:
        response = client.patch(f"{ITEMS}/{item['id']}", json={"quantity": 2})
    assert response.status_code == 200
    assert response.json()["quantity"] == 2
    assert NOT_DELETED in [entry["event"] for entry in logs]
    assert redis.exists(entry_key(settings, item["id"])), "the old copy outlived the write"
    redis_relay.restore()

    # The missed deletion is retried before the next read, so the old copy is never served.
    assert client.get(f"{ITEMS}/{item['id']}").json()["quantity"] == 2
    assert cached(redis, settings, item["id"])["quantity"] == 2
