"""Who is calling: `CurrentUser`, `OptionalUser`, `AdminUser` and `require_roles(...)` for routes.

The bearer token was verified by web/bearer.py; here the caller is read from the database
(one query per request), so a revoked session or a deactivated user is refused at once, and roles
are the ones stored now, whatever the token says.
"""

from typing import Annotated

from fastapi import Depends, Request, params
from fastapi.security import HTTPBearer

from {{ cookiecutter.project_slug }}.core.auth.accounts import AccountService
from {{ cookiecutter.project_slug }}.core.auth.errors import AuthenticationRequired, InvalidToken, MissingRole
from {{ cookiecutter.project_slug }}.core.auth.service import AuthService, load_principal
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserRead
from {{ cookiecutter.project_slug }}.core.user.service import UserService
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep, SessionDep
from {{ cookiecutter.project_slug }}.web.state import request_state


class BearerCaller(HTTPBearer):
    """The caller of a request with a bearer token, as a dependency; None without a token if optional.

    An HTTPBearer, so that OpenAPI documents the scheme (the docs' Authorize button) on every route
    that needs a caller. The token itself was read by web/bearer.py; only the caller is
    read here, from the state rather than through ResourcesDep: this runs on every such request.
    """

    def __init__(self, *, optional: bool) -> None:
        super().__init__(
            scheme_name="HTTPBearer", auto_error=False, description="An access token from POST /api/v1/auth/login."
        )
        self.optional = optional

    async def __call__(self, request: Request) -> UserRead | None:  # type: ignore[override]  # a caller, not credentials
        state = request_state(request.scope)
        if isinstance(state.auth, InvalidToken):
            raise state.auth
        if state.auth is None:
            if self.optional:
                return None
            raise AuthenticationRequired
        return await load_principal(state.resources.connect, state.auth)


# 401 without a valid token, or once the session has ended or the user is deactivated.
CurrentUser = Annotated[UserRead, Depends(BearerCaller(optional=False))]
# None for a request without a token; an invalid token is still 401.
OptionalUser = Annotated[UserRead | None, Depends(BearerCaller(optional=True))]


def require_roles(*roles: Role) -> params.Depends:
    """A dependency that lets through callers holding every one of `roles` and refuses others with 403.

    `include_router(router, dependencies=[require_roles(Role.ADMIN)])`, or as a parameter type (AdminUser).
    """
    needed = sorted(roles)

    async def check_roles(user: CurrentUser) -> UserRead:
        if not set(needed) <= set(user.roles):
            raise MissingRole(needed)
        return user

    return params.Depends(check_roles)


AdminUser = Annotated[UserRead, require_roles(Role.ADMIN)]


async def get_user_service(session: SessionDep, resources: ResourcesDep) -> UserService:
    return UserService(session, resources.passwords)


async def get_account_service(session: SessionDep, resources: ResourcesDep) -> AccountService:
    return AccountService(session, resources.passwords)


async def get_auth_service(session: SessionDep, resources: ResourcesDep) -> AuthService:
    return AuthService(session, resources.passwords, resources.tokens, resources.metrics.features.auth_outcome)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]
AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]
AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]
