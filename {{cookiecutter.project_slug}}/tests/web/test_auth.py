"""Registration, login, refresh with rotation and logout over HTTP, against the real database."""

from typing import Any

import httpx
import jwt
import pytest

from {{ cookiecutter.project_slug }}.settings import Settings
from tests.accounts import LOGIN, LOGOUT, ME, PASSWORD, REFRESH, REGISTER, bearer, log_in, new_email, sign_up
from tests.web.problems import assert_problem
from tests.web.scrapes import scrape


def test_register_creates_an_account_without_exposing_its_hash(client: httpx.Client) -> None:
    email = new_email()
    response = client.post(REGISTER, json={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) == {"id", "email", "roles", "is_active", "last_login_at", "created_at", "updated_at"}
    assert (user["email"], user["roles"], user["is_active"], user["last_login_at"]) == (email, [], True, None)
    assert PASSWORD not in response.text


def test_an_email_registers_once_whatever_its_case(client: httpx.Client) -> None:
    email = new_email()
    assert client.post(REGISTER, json={"email": email, "password": PASSWORD}).status_code == 201
    body = assert_problem(client.post(REGISTER, json={"email": email.upper(), "password": PASSWORD}), 409, "conflict")
    assert body["detail"] == "An account with this email already exists."


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        pytest.param("short", "at least 12 characters", id="too-short"),
        pytest.param("x" * 129, "at most 128 characters", id="too-long"),
        pytest.param("aaaaaaaaaaaaaaaa", "one character repeated", id="one-character"),
        pytest.param("my-name-is-carol-ok", "name part of the email", id="contains-email-name"),
    ],
)
def test_a_password_against_the_policy_is_422_naming_the_rule(client: httpx.Client, password: str, rule: str) -> None:
    response = client.post(REGISTER, json={"email": "carol@example.com", "password": password})
    body = assert_problem(response, 422, "validation_failed")
    assert any(rule in problem for problem in body["details"]["password"]), body
    assert password not in response.text
    assert_problem(
        client.post(LOGIN, json={"email": "carol@example.com", "password": password}), 401, "invalid_credentials"
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "not-an-email", "password": PASSWORD}, id="bad-email"),
        pytest.param({"email": "a@example.com"}, id="no-password"),
        pytest.param({"email": "a@example.com", "password": PASSWORD, "roles": ["admin"]}, id="roles-not-accepted"),
    ],
)
def test_an_invalid_registration_is_422(client: httpx.Client, body: dict[str, Any]) -> None:
    response = client.post(REGISTER, json=body)
    assert_problem(response, 422, "validation_failed")
    assert PASSWORD not in response.text


def test_login_returns_a_pair_that_is_never_cached(client: httpx.Client, settings: Settings) -> None:
    account = sign_up(client)
    response = client.post(LOGIN, json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == settings.auth.access_token_minutes * 60
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    common = {"sub", "sid", "type", "iss", "aud", "iat", "nbf", "exp", "jti"}
    assert set(access) == common | {"roles"}
    assert set(refresh) == common
    assert (access["type"], refresh["type"]) == ("access", "refresh")
    assert access["sub"] == refresh["sub"] == str(account.id)
    assert access["sid"] == refresh["sid"]
    assert (access["iss"], access["aud"]) == (settings.auth.issuer, settings.auth.audience)
    assert access["exp"] - access["iat"] == settings.auth.access_token_minutes * 60
    assert refresh["exp"] - refresh["iat"] == settings.auth.refresh_token_days * 86400
    assert access["jti"] != refresh["jti"]


def test_me_answers_the_callers_account(client: httpx.Client) -> None:
    account = sign_up(client)
    response = client.get(ME, headers=account.headers)
    assert response.status_code == 200, response.text
    me = response.json()
    assert (me["id"], me["email"], me["roles"]) == (account.id, account.email, [])
    assert me["last_login_at"] is not None


def test_me_without_a_token_is_401_with_a_bearer_challenge(client: httpx.Client) -> None:
    response = client.get(ME)
    assert_problem(response, 401, "authentication_required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_user_id_joins_the_access_log(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    account = sign_up(client)
    client.get(ME, headers=account.headers)
    # Our pipeline hands each record's event dict to the standard library as its message.
    access = [record.msg for record in caplog.records if record.name == "access" and isinstance(record.msg, dict)]
    assert access[-1]["path"] == ME
    assert access[-1]["user_id"] == account.id


def test_refresh_rotates_the_pair(client: httpx.Client) -> None:
    account = sign_up(client)
    response = client.post(REFRESH, json={"refresh_token": account.refresh_token})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    renewed = response.json()
    assert renewed["refresh_token"] != account.refresh_token
    assert client.get(ME, headers=bearer(renewed["access_token"])).json()["id"] == account.id
    again = client.post(REFRESH, json={"refresh_token": renewed["refresh_token"]})
    assert again.status_code == 200, "the new refresh token works in turn"


def test_a_rotated_refresh_token_used_again_ends_the_whole_session(client: httpx.Client) -> None:
    account = sign_up(client)
    renewed = client.post(REFRESH, json={"refresh_token": account.refresh_token}).json()

    reused = client.post(REFRESH, json={"refresh_token": account.refresh_token})
    body = assert_problem(reused, 401, "invalid_token")
    assert "already used" in body["detail"]
    # Whoever holds the newer tokens is out too: the family is revoked, and that was committed.
    assert_problem(client.post(REFRESH, json={"refresh_token": renewed["refresh_token"]}), 401, "invalid_token")
    assert_problem(client.get(ME, headers=bearer(renewed["access_token"])), 401, "invalid_token")
    assert_problem(client.get(ME, headers=account.headers), 401, "invalid_token")
    # Other sessions of the same user are untouched.
    fresh = log_in(client, account.email)
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200
    samples = scrape(client)
    refreshes = {key[1]: value for key, value in samples.items() if key[0] == "auth_refreshes_total"}
    assert refreshes == {frozenset({("outcome", outcome)}): 1 for outcome in ("success", "reused", "refused")}
    assert samples[("auth_logins_total", frozenset({("outcome", "success")}))] == 2  # sign_up's and this one


def test_logout_ends_the_session_for_both_tokens(client: httpx.Client) -> None:
    account = sign_up(client)
    other = log_in(client, account.email)
    response = client.post(LOGOUT, json={"refresh_token": account.refresh_token})
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.post(REFRESH, json={"refresh_token": account.refresh_token}), 401, "invalid_token")
    assert_problem(client.get(ME, headers=account.headers), 401, "invalid_token")
    assert client.post(LOGOUT, json={"refresh_token": account.refresh_token}).status_code == 204, "idempotent"
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200, "only that session ends"


def test_logout_needs_a_refresh_token(client: httpx.Client) -> None:
    account = sign_up(client)
    assert_problem(client.post(LOGOUT, json={"refresh_token": account.access_token}), 401, "invalid_token")
    assert_problem(client.post(LOGOUT, json={}), 422, "validation_failed")
    assert client.get(ME, headers=account.headers).status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_answer(client: httpx.Client) -> None:
    account = sign_up(client)
    wrong = client.post(LOGIN, json={"email": account.email, "password": "not the password at all"})
    unknown = client.post(LOGIN, json={"email": new_email(), "password": "not the password at all"})
    for response in (wrong, unknown):
        assert_problem(response, 401, "invalid_credentials")
    differing = {"request_id"}
    assert {key: value for key, value in wrong.json().items() if key not in differing} == {
        key: value for key, value in unknown.json().items() if key not in differing
    }
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert scrape(client)[("auth_logins_total", frozenset({("outcome", "failure")}))] == 2


def test_an_email_logs_in_whatever_its_case(client: httpx.Client) -> None:
    account = sign_up(client)
    assert client.post(LOGIN, json={"email": account.email.upper(), "password": PASSWORD}).status_code == 200


def test_optional_user_routes_see_anonymous_and_signed_in_callers(client: httpx.Client) -> None:
    account = sign_up(client)
    assert client.get("/_test/whoami").json() == {"email": None}
    assert client.get("/_test/whoami", headers=account.headers).json() == {"email": account.email}
    assert_problem(client.get("/_test/whoami", headers=bearer("not-a-token")), 401, "invalid_token")


def test_openapi_documents_the_bearer_scheme_and_the_auth_routes(client: httpx.Client, openapi_path: str) -> None:
    document = client.get(openapi_path).json()
    schemes = document["components"]["securitySchemes"].values()
    assert any((scheme["type"], scheme["scheme"]) == ("http", "bearer") for scheme in schemes)
    assert {REGISTER, LOGIN, REFRESH, LOGOUT, ME} <= set(document["paths"])
    assert document["paths"][ME]["get"]["security"], "/me is marked as needing a token"
