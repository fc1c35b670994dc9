{# Generated from repository.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, or_, update

from {{ cookiecutter.project_slug }}.core.auth.models import SessionEnd, UserSession
from {{ cookiecutter.project_slug }}.core.repository import Repository

if TYPE_CHECKING:
    from sqlalchemy import CursorResult


class SessionRepository(Repository[UserSession]):
    model = UserSession

    def rotate(self, session_id: int, *, spent: str, replacement: str, expires_at: datetime, now: datetime) -> bool:
        """Replace the session's refresh token hash `spent` by `replacement`; False if `spent` is not current.

        One conditional UPDATE: of two requests presenting the same token at once, exactly one wins.
        """
        statement = (
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.refresh_token_hash == spent,
                UserSession.revoked_at.is_(None),
            )
            .values(refresh_token_hash=replacement, expires_at=expires_at, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        result = cast("CursorResult[Any]", self.session.execute(statement))
        return result.rowcount == 1

    def revoke(self, record: UserSession, reason: SessionEnd, now: datetime) -> None:
        record.revoked_at = now
        record.revoked_reason = reason.value
        self.flush()

    def revoke_all(self, user_id: int, reason: SessionEnd, now: datetime) -> None:
        """End every open session of the user; their access tokens stop working at once."""
        statement = (
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(statement)

    def delete_ended(self, before: datetime) -> int:
        """Delete the sessions that were revoked or expired before `before`; the number deleted."""
        statement = (
            delete(UserSession)
            .where(or_(UserSession.revoked_at < before, UserSession.expires_at < before))
            .execution_options(synchronize_session=False)
        )
        result = cast("CursorResult[Any]", self.session.execute(statement))
        return result.rowcount
