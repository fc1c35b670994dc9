"""Accounts for tests that call the API as someone: signed up and logged in through the real endpoints."""

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from {{ cookiecutter.project_slug }}.cli.admin import make_admin
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate
from {{ cookiecutter.project_slug }}.resources import run_with_resources
from {{ cookiecutter.project_slug }}.settings import Settings

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
USERS = "/api/v1/users"
# Test-only route (tests/web/conftest.py): creates or promotes an admin, as `create-admin` does.
GRANT_ADMIN = "/_test/grant-admin"
# Meets the default policy: long enough, and free of the email's name part.
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def log_in(client: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def sign_up(client: httpx.Client, *, admin: bool = False, email: str | None = None) -> Account:
    """A new account (an admin if asked), logged in."""
    email = email or new_email("admin" if admin else "user")
    created = client.post(GRANT_ADMIN if admin else REGISTER, json={"email": email, "password": PASSWORD})
    assert created.status_code in {200, 201}, created.text
    tokens = log_in(client, email)
    return Account(created.json()["id"], email, PASSWORD, tokens["access_token"], tokens["refresh_token"])


def as_admin(client: httpx.Client) -> httpx.Client:
    """The same client, every request of which now carries a new admin's access token."""
    client.headers.update(sign_up(client, admin=True).headers)
    return client


def create_admin(settings: Settings, data: UserCreate) -> bool:
    """What `create-admin` does, without the command line; True when the account was created."""
    return run_with_resources(settings, lambda resources: make_admin(resources, data))


def admin_headers(client: httpx.Client, settings: Settings) -> dict[str, str]:
    """An admin made by `create-admin` (committed), for apps built without the test routes."""
    email = new_email("admin")
    create_admin(settings, UserCreate.model_validate({"email": email, "password": PASSWORD}))
    return bearer(log_in(client, email)["access_token"])
