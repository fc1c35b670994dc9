"""/api/v1/users: the caller's own account, and user management for admins."""

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from {{ cookiecutter.project_slug }}.core.models import MAX_ID
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserListQuery, UserPage, UserRead, UserUpdate
from {{ cookiecutter.project_slug }}.web.auth import BEARER, account_service, current_user, login_required, require_roles

router = APIBlueprint("users", __name__, url_prefix="/api/v1/users", abp_tags=[Tag(name="users")], abp_security=BEARER)


class UserPath(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ID)


@router.get("/me", responses={200: UserRead})
@login_required
def read_me() -> dict[str, Any]:
    return current_user().model_dump(mode="json")


@router.get("", responses={200: UserPage})
@require_roles(Role.ADMIN)
def list_users(query: UserListQuery) -> dict[str, Any]:
    """A page of users, optionally filtered by email or activity and sorted."""
    return UserPage.model_validate(account_service().list(query)).model_dump(mode="json")


@router.get("/<user_id>", responses={200: UserRead})
@require_roles(Role.ADMIN)
def get_user(path: UserPath) -> dict[str, Any]:
    return UserRead.model_validate(account_service().get(path.user_id)).model_dump(mode="json")


@router.patch("/<user_id>", responses={200: UserRead})
@require_roles(Role.ADMIN)
def update_user(path: UserPath, body: UserUpdate) -> dict[str, Any]:
    """Change roles, or deactivate (ending the user's sessions at once); not your own admin role or account."""
    user = account_service().update(path.user_id, body, actor_id=current_user().id)
    return UserRead.model_validate(user).model_dump(mode="json")
