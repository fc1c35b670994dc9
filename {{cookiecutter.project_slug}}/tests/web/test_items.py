"""The items resource over HTTP against the real database: CRUD, paging, sorting, filtering, errors."""
{%- if cookiecutter.database == "sqlite" %}

from datetime import UTC, datetime, timedelta
from pathlib import Path
{%- else %}

import time
from datetime import UTC, datetime, timedelta
{%- endif %}
from typing import Any

import httpx
import pytest

from {{ cookiecutter.project_slug }}.core.pagination import MAX_PAGE_SIZE
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.web.problems import assert_problem
from tests.web.types import ClientFactory

ITEMS = "/api/v1/items"


def create(client: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post(ITEMS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_create_then_read_back(client: httpx.Client) -> None:
    response = client.post(ITEMS, json={"name": "Widget", "description": "A part", "quantity": 3})
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"] == f"{ITEMS}/{created['id']}"
    assert created | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "name": "Widget",
        "description": "A part",
        "quantity": 3,
        "created_at": "",
        "updated_at": "",
    }
    assert client.get(response.headers["location"]).json() == created


def test_timestamps_are_utc_and_current(client: httpx.Client) -> None:
    created = create(client, "Clock")
    created_at = datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)


def test_four_byte_characters_round_trip(client: httpx.Client) -> None:
    name = "Rocket 🚀 Ünïcödé 漢字"
    created = create(client, name, description="🎉" * 50)
    fetched = client.get(f"{ITEMS}/{created['id']}").json()
    assert fetched["name"] == name
    assert fetched["description"] == "🎉" * 50


def test_update_changes_only_the_fields_sent(client: httpx.Client) -> None:
    created = create(client, "Gadget", description="old", quantity=1)
    response = client.patch(f"{ITEMS}/{created['id']}", json={"quantity": 5, "description": None})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["description"], updated["quantity"]) == ("Gadget", None, 5)
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) >= datetime.fromisoformat(created["updated_at"])


def test_update_refuses_null_for_a_required_field(client: httpx.Client) -> None:
    created = create(client, "Keeper")
    body = assert_problem(client.patch(f"{ITEMS}/{created['id']}", json={"name": None}), 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert client.get(f"{ITEMS}/{created['id']}").json()["name"] == "Keeper"


def test_delete_then_gone(client: httpx.Client) -> None:
    created = create(client, "Doomed")
    response = client.delete(f"{ITEMS}/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(f"{ITEMS}/{created['id']}"), 404, "not_found")
    assert_problem(client.delete(f"{ITEMS}/{created['id']}"), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_missing_item_is_404(client: httpx.Client, method: str) -> None:
    response = client.request(method, f"{ITEMS}/999999", json={"quantity": 1} if method == "PATCH" else None)
    body = assert_problem(response, 404, "not_found")
    assert body["details"] == {"id": 999999}


@pytest.mark.parametrize("item_id", ["abc", "0", str(2**63)])
def test_impossible_id_is_422(client: httpx.Client, item_id: str) -> None:
    assert_problem(client.get(f"{ITEMS}/{item_id}"), 422, "validation_failed")


def test_duplicate_name_is_409_and_keeps_the_first(client: httpx.Client) -> None:
    first = create(client, "Unique", quantity=1)
    body = assert_problem(client.post(ITEMS, json={"name": "Unique", "quantity": 2}), 409, "conflict")
    assert "item" in body["detail"]
    assert client.get(f"{ITEMS}/{first['id']}").json()["quantity"] == 1
    # The failed insert rolled back cleanly: the same client keeps working.
    create(client, "Unique 2")


def test_renaming_onto_a_taken_name_is_409(client: httpx.Client) -> None:
    create(client, "Taken")
    other = create(client, "Free")
    assert_problem(client.patch(f"{ITEMS}/{other['id']}", json={"name": "Taken"}), 409, "conflict")
    assert client.get(f"{ITEMS}/{other['id']}").json()["name"] == "Free"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 201}, {"name": "ok", "quantity": -1}, {"name": "ok", "colour": "red"}],
    ids=["missing-name", "empty-name", "long-name", "negative-quantity", "unknown-field"],
)
def test_invalid_item_is_422_and_writes_nothing(client: httpx.Client, body: dict[str, Any]) -> None:
    assert_problem(client.post(ITEMS, json=body), 422, "validation_failed")
    assert client.get(ITEMS).json()["total"] == 0


def test_a_request_that_fails_after_writing_leaves_nothing(client: httpx.Client) -> None:
    response = client.post("/_test/create-then-fail", json={"name": "Half-done"})
    assert_problem(response, 500, "internal_error")
    assert client.get(ITEMS, params={"name": "Half-done"}).json()["total"] == 0


def test_a_failed_commit_is_reported_not_hidden(client: httpx.Client) -> None:
    assert client.post("/_test/create-at-commit", json={"name": "Late"}).status_code == 200
    assert client.get(ITEMS, params={"name": "Late"}).json()["total"] == 1
    # The duplicate only fails at commit, which still happens before the response is sent.
    assert_problem(client.post("/_test/create-at-commit", json={"name": "Late"}), 409, "conflict")
    assert client.get(ITEMS, params={"name": "Late"}).json()["total"] == 1


def test_pages_cover_every_item_once(client: httpx.Client) -> None:
    for number in range(25):
        create(client, f"item-{number:02}", quantity=number % 3)
    pages = [client.get(ITEMS, params={"page": page, "size": 10, "sort": "name"}).json() for page in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [10, 10, 5, 0]
    assert {page["total"] for page in pages} == {25}
    assert [item["name"] for page in pages for item in page["items"]] == [f"item-{n:02}" for n in range(25)]
    assert (pages[0]["page"], pages[0]["size"]) == (1, 10)


def test_default_order_is_newest_first(client: httpx.Client) -> None:
    for name in ("first", "second", "third"):
        create(client, name)
    assert names(client.get(ITEMS)) == ["third", "second", "first"]


@pytest.mark.parametrize(
    "params",
    [{"size": MAX_PAGE_SIZE + 1}, {"size": 0}, {"page": 0}, {"page": "x"}],
    ids=["size-over-max", "size-zero", "page-zero", "page-not-a-number"],
)
def test_out_of_range_paging_is_422(client: httpx.Client, params: dict[str, Any]) -> None:
    body = assert_problem(client.get(ITEMS, params=params), 422, "validation_failed")
    assert body["errors"][0]["loc"][0] == "query"


def test_sorts_on_several_fields_in_both_directions(client: httpx.Client) -> None:
    for name, quantity in (("b", 1), ("a", 2), ("c", 2)):
        create(client, name, quantity=quantity)
    assert names(client.get(ITEMS, params={"sort": "-quantity,name"})) == ["a", "c", "b"]
    assert names(client.get(ITEMS, params={"sort": "name"})) == ["a", "b", "c"]


@pytest.mark.parametrize("sort", ["description", "password", "name,-nope", "id;drop table item"])
def test_sorting_outside_the_whitelist_is_422(client: httpx.Client, sort: str) -> None:
    body = assert_problem(client.get(ITEMS, params={"sort": sort}), 422, "validation_failed")
    assert "name" in body["details"]["allowed"]
    assert "description" not in body["details"]["allowed"]


def test_filters_match_exactly(client: httpx.Client) -> None:
    for name, quantity in (("bolt", 1), ("nut", 1), ("screw", 2)):
        create(client, name, quantity=quantity)
    assert sorted(names(client.get(ITEMS, params={"quantity": 1}))) == ["bolt", "nut"]
    assert names(client.get(ITEMS, params={"name": "screw"})) == ["screw"]
    assert client.get(ITEMS, params={"name": "scr"}).json()["total"] == 0


@pytest.mark.parametrize("params", [{"description": "x"}, {"colour": "red"}, {"quantity": "many"}])
def test_unknown_or_mistyped_filter_is_422(client: httpx.Client, params: dict[str, str]) -> None:
    assert_problem(client.get(ITEMS, params=params), 422, "validation_failed")
{%- if cookiecutter.database != "sqlite" %}


def test_database_down_is_a_quick_503(settings: Settings, client_for: ClientFactory, unused_port: int) -> None:
    scheme = settings.database_url.split("://", 1)[0]
    down = settings.model_copy(update={"database_url": f"{scheme}://app:app@127.0.0.1:{unused_port}/app"})
    with client_for(down) as client:
        started = time.perf_counter()
        response = client.get(ITEMS)
        elapsed = time.perf_counter() - started
        write = client.post(ITEMS, json={"name": "lost?"})
    body = assert_problem(response, 503, "service_unavailable")
    assert "unavailable" in body["detail"]
    assert elapsed < settings.database.connect_timeout
    assert_problem(write, 503, "service_unavailable")
{%- else %}


def test_database_that_cannot_be_opened_is_503(settings: Settings, client_for: ClientFactory, tmp_path: Path) -> None:
    down = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/missing-dir/app.db"})
    with client_for(down) as client:
        assert_problem(client.get(ITEMS), 503, "service_unavailable")
        assert_problem(client.post(ITEMS, json={"name": "lost?"}), 503, "service_unavailable")
{%- endif %}
