"""The query behind every authenticated request: the caller, if the token's session still stands."""

from typing import Any

from sqlalchemy import Select, bindparam, select

from {{ cookiecutter.project_slug }}.core.auth.models import UserSession
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims
from {{ cookiecutter.project_slug }}.core.user.models import User

_user = User.__table__
_session = UserSession.__table__

# Core rather than the ORM: a join on two primary keys, read on a pooled connection without a
# session or transaction, is the whole per-request price of authentication.
PRINCIPAL_QUERY: Select[Any] = (
    select(
        _user.c.id,
        _user.c.email,
        _user.c.roles,
        _user.c.is_active,
        _user.c.last_login_at,
        _user.c.created_at,
        _user.c.updated_at,
    )
    .join_from(_user, _session, _session.c.user_id == _user.c.id)
    .where(
        _user.c.id == bindparam("user_id"),
        _session.c.id == bindparam("session_id"),
        _session.c.revoked_at.is_(None),
        _user.c.is_active.is_(True),
    )
)


def principal_parameters(claims: TokenClaims) -> dict[str, int]:
    return {"user_id": claims.user_id, "session_id": claims.session_id}
