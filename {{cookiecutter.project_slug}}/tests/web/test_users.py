"""User management over HTTP: admins list, read, promote and deactivate; everyone else is refused."""

from typing import Any

import httpx
import pytest

from tests.accounts import LOGIN, ME, PASSWORD, REFRESH, USERS, Account, bearer, log_in, sign_up
from tests.web.problems import assert_problem


@pytest.fixture
def admin(client: httpx.Client) -> Account:
    return sign_up(client, admin=True)


@pytest.fixture
def member(client: httpx.Client) -> Account:
    return sign_up(client)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", USERS, None),
        ("GET", f"{USERS}/1", None),
        ("PATCH", f"{USERS}/1", {"roles": ["admin"]}),
    ],
)
def test_a_normal_user_is_refused_on_admin_routes(
    client: httpx.Client, member: Account, method: str, path: str, body: dict[str, Any] | None
) -> None:
    refused = assert_problem(client.request(method, path, json=body, headers=member.headers), 403, "permission_denied")
    assert refused["details"] == {"required_roles": ["admin"]}
    assert_problem(client.request(method, path, json=body), 401, "authentication_required")
    assert client.get(ME, headers=member.headers).json()["roles"] == [], "nothing changed"


def test_admin_routes_check_the_caller_before_the_body(client: httpx.Client, member: Account) -> None:
    response = client.patch(f"{USERS}/{member.id}", json={"roles": "not a list"}, headers=member.headers)
    assert_problem(response, 403, "permission_denied")


def test_admins_list_filter_and_sort_users(client: httpx.Client, admin: Account) -> None:
    others = [sign_up(client) for _ in range(3)]
    everyone = client.get(USERS, params={"size": 100, "sort": "id"}, headers=admin.headers)
    assert everyone.status_code == 200, everyone.text
    ids = [user["id"] for user in everyone.json()["items"]]
    assert {admin.id, *(other.id for other in others)} <= set(ids)
    assert ids == sorted(ids)
    assert everyone.json()["total"] >= 4
    assert "password_hash" not in everyone.text

    one = client.get(USERS, params={"email": others[1].email.upper()}, headers=admin.headers).json()
    assert [user["id"] for user in one["items"]] == [others[1].id]
    assert one["total"] == 1
    newest = client.get(USERS, params={"sort": "-id", "size": 1}, headers=admin.headers).json()
    assert newest["items"][0]["id"] == max(ids)
    assert_problem(client.get(USERS, params={"password_hash": "x"}, headers=admin.headers), 422, "validation_failed")
    assert_problem(client.get(USERS, params={"sort": "password_hash"}, headers=admin.headers), 422, "validation_failed")


def test_admins_read_a_user_and_unknown_ids_are_404(client: httpx.Client, admin: Account, member: Account) -> None:
    response = client.get(f"{USERS}/{member.id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["email"] == member.email
    assert_problem(client.get(f"{USERS}/999999999", headers=admin.headers), 404, "not_found")
    assert_problem(client.get(f"{USERS}/0", headers=admin.headers), 422, "validation_failed")


def test_a_promotion_applies_to_the_next_request_whatever_the_token_says(
    client: httpx.Client, admin: Account, member: Account
) -> None:
    assert client.get(USERS, headers=member.headers).status_code == 403
    response = client.patch(f"{USERS}/{member.id}", json={"roles": ["admin"]}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["admin"]
    # The member's token still claims no roles; the database decides.
    assert client.get(USERS, headers=member.headers).status_code == 200
    demoted = client.patch(f"{USERS}/{member.id}", json={"roles": []}, headers=admin.headers)
    assert demoted.json()["roles"] == []
    assert client.get(USERS, headers=member.headers).status_code == 403


def test_deactivation_locks_a_user_out_at_once(client: httpx.Client, admin: Account, member: Account) -> None:
    response = client.patch(f"{USERS}/{member.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    # A still unexpired access token, the refresh token and the password: all refused.
    assert_problem(client.get(ME, headers=member.headers), 401, "invalid_token")
    assert_problem(client.post(REFRESH, json={"refresh_token": member.refresh_token}), 401, "invalid_token")
    assert_problem(client.post(LOGIN, json={"email": member.email, "password": PASSWORD}), 401, "invalid_credentials")

    client.patch(f"{USERS}/{member.id}", json={"is_active": True}, headers=admin.headers)
    # Reactivated: the old sessions stay ended, a new login works.
    assert_problem(client.get(ME, headers=member.headers), 401, "invalid_token")
    assert client.get(ME, headers=bearer(log_in(client, member.email)["access_token"])).status_code == 200


@pytest.mark.parametrize("change", [{"is_active": False}, {"roles": []}])
def test_admins_cannot_lock_themselves_out(client: httpx.Client, admin: Account, change: dict[str, Any]) -> None:
    body = assert_problem(client.patch(f"{USERS}/{admin.id}", json=change, headers=admin.headers), 409, "conflict")
    assert "another admin" in body["detail"]
    assert client.get(ME, headers=admin.headers).json()["roles"] == ["admin"]


@pytest.mark.parametrize(
    "change",
    [{"roles": ["wizard"]}, {"roles": None}, {"is_active": None}, {"email": "new@example.com"}],
    ids=["unknown-role", "null-roles", "null-active", "email-not-changeable"],
)
def test_an_invalid_change_is_422(
    client: httpx.Client, admin: Account, member: Account, change: dict[str, Any]
) -> None:
    assert_problem(client.patch(f"{USERS}/{member.id}", json=change, headers=admin.headers), 422, "validation_failed")
    assert client.get(f"{USERS}/{member.id}", headers=admin.headers).json()["roles"] == []
