"""The request's unit of work ends as core's `unit_of_work()` does: commit unless the view raised.

Each request writes an item and then ends its own way; a later request shows whether it stayed.
"""

import httpx
import pytest

from tests.web.problems import assert_problem

ITEMS = "/api/v1/items"


def stored(client: httpx.Client, name: str) -> bool:
    response = client.get(ITEMS, params={"name": name})
    assert response.status_code == 200, response.text
    return bool(response.json()["total"])


def test_an_error_response_the_view_returns_keeps_its_writes(client: httpx.Client) -> None:
    # Nothing was raised, so nothing failed: the status alone does not undo the write.
    response = client.post("/_test/create-then-answer-409", json={"name": "Answered"})
    assert response.status_code == 409
    assert stored(client, "Answered")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/_test/create-then-conflict", 409, "conflict"), ("/_test/create-then-fail", 500, "internal_error")],
    ids=["app-error", "unexpected-error"],
)
def test_a_view_that_raises_after_writing_keeps_nothing(
    client: httpx.Client, path: str, status: int, code: str
) -> None:
    assert_problem(client.post(path, json={"name": "Raised"}), status, code)
    assert not stored(client, "Raised")


def test_an_error_that_keeps_changes_commits_them_and_is_still_answered(client: httpx.Client) -> None:
    response = client.post("/_test/create-then-conflict", params={"keep": True}, json={"name": "Kept"})
    assert_problem(response, 409, "conflict")
    assert stored(client, "Kept")
