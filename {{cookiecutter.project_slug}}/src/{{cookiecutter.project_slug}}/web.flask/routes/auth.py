"""/api/v1/auth: register, log in, refresh (rotating the refresh token) and log out."""

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from {{ cookiecutter.project_slug }}.core.auth.schemas import RefreshRequest, TokenPair
from {{ cookiecutter.project_slug }}.core.user.schemas import Credentials, UserCreate, UserRead
from {{ cookiecutter.project_slug }}.web.auth import auth_service, user_service

router = APIBlueprint("auth", __name__, url_prefix="/api/v1/auth", abp_tags=[Tag(name="auth")])
# Token responses must never be stored by a cache on the way (RFC 6749, section 5.1).
NO_STORE = {"Cache-Control": "no-store"}
UNAUTHORIZED = {"description": "Invalid credentials or token"}


@router.post("/register", responses={201: UserRead, 409: {"description": "Email taken"}})
def register(body: UserCreate) -> tuple[dict[str, Any], int]:
    """Create an account; the password must meet the policy (422 names each rule it breaks)."""
    return UserRead.model_validate(user_service().create(body)).model_dump(mode="json"), 201


@router.post("/login", responses={200: TokenPair, 401: UNAUTHORIZED})
def login(body: Credentials) -> tuple[dict[str, Any], int, dict[str, str]]:
    """An access token and a refresh token for a new session."""
    return auth_service().login(body).model_dump(mode="json"), 200, NO_STORE


@router.post("/refresh", responses={200: TokenPair, 401: UNAUTHORIZED})
def refresh(body: RefreshRequest) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A new pair for the session; the refresh token sent is spent. Sending a spent one ends the session."""
    return auth_service().refresh(body.refresh_token).model_dump(mode="json"), 200, NO_STORE


@router.post("/logout", responses={204: None, 401: UNAUTHORIZED})
def logout(body: RefreshRequest) -> tuple[str, int]:
    """End the session: its refresh token and its access tokens stop working."""
    auth_service().logout(body.refresh_token)
    return "", 204
