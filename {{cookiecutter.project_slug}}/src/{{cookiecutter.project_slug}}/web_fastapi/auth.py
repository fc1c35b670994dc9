"""Who is calling: `CurrentUser`, `OptionalUser`, `AdminUser` and `require_roles(...)` for routes.

The bearer token was verified by web/authentication.py; here the caller is read from the database
(one query per request), so a revoked session or a deactivated user is refused at once, and roles
are the ones stored now, whatever the token says.
"""

from typing import Annotated

from fastapi import Depends, Request, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from {{ cookiecutter.project_slug }}.core.auth.errors import AuthenticationRequired, InvalidToken, MissingRole
from {{ cookiecutter.project_slug }}.core.auth.service import AuthService, load_principal
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserRead
from {{ cookiecutter.project_slug }}.core.user.service import UserService
from {{ cookiecutter.project_slug }}.web.authentication import AUTH_STATE
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep, SessionDep

# Documents the scheme in OpenAPI (the docs' Authorize button); the middleware does the reading.
bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/login.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _claims(request: Request) -> TokenClaims | None:
    """The verified claims of the request's token; None without one; its error when it is invalid."""
    found: TokenClaims | InvalidToken | None = getattr(request.state, AUTH_STATE, None)
    if isinstance(found, InvalidToken):
        raise found
    return found


async def get_current_user(request: Request, resources: ResourcesDep, _: BearerDep) -> UserRead:
    """The caller; 401 without a valid token, or once its session has ended or its user is deactivated."""
    claims = _claims(request)
    if claims is None:
        raise AuthenticationRequired
    return await load_principal(resources.connect, claims)


async def get_optional_user(request: Request, resources: ResourcesDep, credentials: BearerDep) -> UserRead | None:
    """The caller, or None for a request without a token; an invalid token is still 401."""
    if getattr(request.state, AUTH_STATE, None) is None:
        return None
    return await get_current_user(request, resources, credentials)


CurrentUser = Annotated[UserRead, Depends(get_current_user)]
OptionalUser = Annotated[UserRead | None, Depends(get_optional_user)]


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


async def get_auth_service(session: SessionDep, resources: ResourcesDep) -> AuthService:
    return AuthService(session, resources.passwords, resources.tokens)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]
AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]
