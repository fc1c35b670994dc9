from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.project_slug }}.core.models import IdType, Record, UTCDateTime
from {{ cookiecutter.project_slug }}.core.user.models import User

# A SHA-256 digest in hex.
TOKEN_HASH_LENGTH = 64
REASON_MAX_LENGTH = 20


class SessionEnd(StrEnum):
    """Why a session was revoked."""

    LOGOUT = "logout"
    # A refresh token came back after it had been exchanged: someone else holds a copy.
    REUSED = "reused"
    DEACTIVATED = "deactivated"


class UserSession(Record):
    """One login: a family of refresh tokens, each replacing the one before. Access tokens name it (`sid`)."""

    __tablename__ = "user_session"

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey(User.id, ondelete="CASCADE"), index=True)
    # SHA-256 of the one refresh token the session accepts next; an earlier one ends the session.
    refresh_token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(REASON_MAX_LENGTH))
