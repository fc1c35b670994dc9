"""Who is calling: `current_user()` and `optional_user()` in views; `@login_required` and `@require_roles(...)` on them.

The bearer token was verified by web/bearer.py; here the caller is read from the database
(one query per request, kept in the request state), so a revoked session or a deactivated user is refused at
once, and roles are the ones stored now, whatever the token says.

The decorators check the caller before flask-openapi3 validates the request, so a caller who
may not use a route is refused (401, 403) whatever it sends.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeVar

from flask import Flask, request
from flask_openapi3.models.security_scheme import SecurityScheme
from flask_openapi3.types import SecuritySchemesDict

from {{ cookiecutter.project_slug }}.core.auth.accounts import AccountService
from {{ cookiecutter.project_slug }}.core.auth.errors import AuthenticationRequired, InvalidToken, MissingRole
from {{ cookiecutter.project_slug }}.core.auth.service import AuthService, load_principal
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserRead
from {{ cookiecutter.project_slug }}.core.user.service import UserService
from {{ cookiecutter.project_slug }}.web.deps import current_resources, current_session
from {{ cookiecutter.project_slug }}.web.guards import checked_first
from {{ cookiecutter.project_slug }}.web.state import request_state

P = ParamSpec("P")
R = TypeVar("R")

# The scheme in the OpenAPI document (the docs' Authorize button), named as FastAPI names it.
BEARER_SCHEME = "HTTPBearer"
SECURITY_SCHEMES: SecuritySchemesDict = {
    BEARER_SCHEME: SecurityScheme(
        type="http", scheme="bearer", description="An access token from POST /api/v1/auth/login."
    )
}
# The `security` of routes that read the caller: `security=BEARER` on a route, `abp_security=BEARER` on a blueprint.
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]


def _claims() -> TokenClaims | None:
    """The verified claims of the request's token; None without one; its error when it is invalid."""
    found = request_state().auth
    if isinstance(found, InvalidToken):
        raise found
    return found


def current_user() -> UserRead:
    """The caller; 401 without a valid token, or once its session has ended or its user is deactivated."""
    state = request_state()
    if state.user is None:
        claims = _claims()
        if claims is None:
            raise AuthenticationRequired
        state.user = load_principal(current_resources().connect, claims)
    return state.user


def optional_user() -> UserRead | None:
    """The caller, or None for a request without a token; an invalid token is still 401."""
    if request_state().auth is None:
        return None
    return current_user()


def check_roles(roles: Sequence[Role]) -> UserRead:
    """The caller, if it holds every one of `roles`; 403 otherwise."""
    user = current_user()
    if not set(roles) <= set(user.roles):
        raise MissingRole(sorted(roles))
    return user


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """A view decorator, placed below the route decorator, that answers 401 to callers without a valid token."""
    return checked_first(current_user, view)


def require_roles(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view decorator, placed below the route decorator, that lets through callers holding every one of `roles`.

    Others get 403 (401 without a valid token). `@router.get("")` then `@require_roles(Role.ADMIN)`.
    """
    needed = sorted(roles)

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        return checked_first(lambda: check_roles(needed), view)

    return decorate


def register_role_guards(app: Flask, guards: Mapping[str, Sequence[Role]]) -> None:
    """Refuse each request to a blueprint named in `guards` unless its caller holds that blueprint's roles.

    One app-level hook keyed by `request.blueprint`: blueprints are module-level objects, shared
    by every app built in the process, so hooks cannot be added to them per app. It runs before
    any view, and so before the request is validated.
    """

    @app.before_request
    def check_blueprint_roles() -> None:
        if request.method == "OPTIONS":
            # Answered by Flask without a view; a CORS preflight carries no token.
            return
        # The request's blueprint first, then the blueprints it is nested in.
        for name in request.blueprints:
            if (roles := guards.get(name)) is not None:
                check_roles(roles)
                return


def user_service() -> UserService:
    return UserService(current_session(), current_resources().passwords)


def account_service() -> AccountService:
    return AccountService(current_session(), current_resources().passwords)


def auth_service() -> AuthService:
    resources = current_resources()
    return AuthService(
        current_session(), resources.passwords, resources.tokens, resources.metrics.features.auth_outcome
    )
