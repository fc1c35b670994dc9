"""/api/v1/users: the caller's own account, and user management for admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from {{ cookiecutter.project_slug }}.core.models import MAX_ID
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserListQuery, UserPage, UserRead, UserUpdate
from {{ cookiecutter.project_slug }}.web.auth import AccountServiceDep, AdminUser, CurrentUser, require_roles

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
ADMINS_ONLY = [require_roles(Role.ADMIN)]


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> Response:
    # Serialised in one step: through the response model, the user would be validated again first.
    return Response(user.model_dump_json(), media_type="application/json")


@router.get("", dependencies=ADMINS_ONLY)
async def list_users(service: AccountServiceDep, query: Annotated[UserListQuery, Query()]) -> UserPage:
    """A page of users, optionally filtered by email or activity and sorted."""
    return UserPage.model_validate(await service.list(query))


@router.get("/{user_id}", dependencies=ADMINS_ONLY)
async def get_user(service: AccountServiceDep, user_id: UserId) -> UserRead:
    return UserRead.model_validate(await service.get(user_id))


@router.patch("/{user_id}")
async def update_user(service: AccountServiceDep, user_id: UserId, body: UserUpdate, admin: AdminUser) -> UserRead:
    """Change roles, or deactivate (ending the user's sessions at once); not your own admin role or account."""
    return UserRead.model_validate(await service.update(user_id, body, actor_id=admin.id))
