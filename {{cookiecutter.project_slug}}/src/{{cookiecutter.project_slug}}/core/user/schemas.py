from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
)

from {{ cookiecutter.project_slug }}.core.pagination import Page, PageQuery
from {{ cookiecutter.project_slug }}.core.user.models import EMAIL_MAX_LENGTH
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.validators import refuse_null

# Longer input is refused before it is hashed; the policy's own maximum (settings) is lower.
PASSWORD_INPUT_MAX_LENGTH = 1024

# Lowercased: accounts are found by email whatever its case.
Email = Annotated[EmailStr, AfterValidator(str.lower)]
Password = Annotated[SecretStr, Field(min_length=1, max_length=PASSWORD_INPUT_MAX_LENGTH)]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password


class UserCreate(Credentials):
    """A registration; the password must also meet the policy in settings (AUTH__PASSWORD_*)."""


class UserUpdate(BaseModel):
    """What an admin may change. Only the fields sent are changed; neither may be null."""

    model_config = ConfigDict(extra="forbid")

    roles: list[Role] | None = None
    is_active: bool | None = None

    _not_null = field_validator("roles", "is_active")(refuse_null)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    roles: list[str]
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class UserPage(Page[UserRead]):
    """A page of users (a named class gives the OpenAPI schema a readable name)."""


class UserListQuery(PageQuery):
    """Filters accepted by GET /api/v1/users, each an exact match."""

    email: Annotated[str, StringConstraints(to_lower=True, max_length=EMAIL_MAX_LENGTH)] | None = None
    is_active: bool | None = None
