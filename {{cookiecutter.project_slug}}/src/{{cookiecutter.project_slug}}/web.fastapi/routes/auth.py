"""/api/v1/auth: register, log in, refresh (rotating the refresh token) and log out."""

from typing import Any

from fastapi import APIRouter, Response, status

from {{ cookiecutter.project_slug }}.core.auth.schemas import RefreshRequest, TokenPair
from {{ cookiecutter.project_slug }}.core.user.schemas import Credentials, UserCreate, UserRead
from {{ cookiecutter.project_slug }}.web.auth import AuthServiceDep, UserServiceDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Token responses must never be stored by a cache on the way (RFC 6749, section 5.1).
NO_STORE = {"Cache-Control": "no-store"}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Invalid credentials or token"}}


@router.post("/register", status_code=status.HTTP_201_CREATED, responses={409: {"description": "Email taken"}})
async def register(service: UserServiceDep, body: UserCreate) -> UserRead:
    """Create an account; the password must meet the policy (422 names each rule it breaks)."""
    return UserRead.model_validate(await service.create(body))


@router.post("/login", responses=UNAUTHORIZED)
async def login(service: AuthServiceDep, body: Credentials, response: Response) -> TokenPair:
    """An access token and a refresh token for a new session."""
    response.headers.update(NO_STORE)
    return await service.login(body)


@router.post("/refresh", responses=UNAUTHORIZED)
async def refresh(service: AuthServiceDep, body: RefreshRequest, response: Response) -> TokenPair:
    """A new pair for the session; the refresh token sent is spent. Sending a spent one ends the session."""
    response.headers.update(NO_STORE)
    return await service.refresh(body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
async def logout(service: AuthServiceDep, body: RefreshRequest) -> None:
    """End the session: its refresh token and its access tokens stop working."""
    await service.logout(body.refresh_token)
