{# Generated from service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Logins, refreshes and logouts over sessions of rotating refresh tokens; the per-request caller.

The service flushes, never commits: the request's unit of work does.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidCredentials, InvalidToken, RefreshTokenReused, SessionEnded
from {{ cookiecutter.project_slug }}.core.auth.models import SessionEnd, UserSession
from {{ cookiecutter.project_slug }}.core.auth.principal import PRINCIPAL_QUERY, principal_parameters
from {{ cookiecutter.project_slug }}.core.auth.repository import SessionRepository
from {{ cookiecutter.project_slug }}.core.auth.schemas import TokenPair
from {{ cookiecutter.project_slug }}.core.auth.tokens import IssuedToken, TokenClaims, TokenCodec, TokenType, fingerprint
from {{ cookiecutter.project_slug }}.core.db import Connect
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.core.models import utcnow
from {{ cookiecutter.project_slug }}.core.user.models import User
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.user.repository import UserRepository
from {{ cookiecutter.project_slug }}.core.user.schemas import Credentials, UserRead

logger = get_logger(__name__)

# What an `on_outcome` callback hears: a login that succeeded or failed; a refresh that succeeded,
# was refused (a bad, expired or ended token) or presented a spent token (reuse: the session is revoked).
Action = Literal["login", "refresh"]
Outcome = Literal["success", "failure", "refused", "reused"]


class AuthService:
    def __init__(
        self,
        session: Session,
        passwords: PasswordHasher,
        tokens: TokenCodec,
        on_outcome: Callable[[Action, Outcome], None] | None = None,
    ) -> None:
        """`on_outcome(action, outcome)` hears how each login and refresh went (metrics)."""
        self.users = UserRepository(session)
        self.sessions = SessionRepository(session)
        self.passwords = passwords
        self.tokens = tokens
        self._on_outcome = on_outcome

    def _report(self, action: Action, outcome: Outcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(action, outcome)

    def login(self, credentials: Credentials) -> TokenPair:
        """Tokens for a new session. An unknown email, a wrong password and a deactivated account fail alike."""
        try:
            pair = self._login(credentials)
        except InvalidCredentials:
            self._report("login", "failure")
            raise
        self._report("login", "success")
        return pair

    def _login(self, credentials: Credentials) -> TokenPair:
        password = credentials.password.get_secret_value()
        user = self.users.get_by_email(credentials.email)
        if user is None:
            # Costs what checking a real password does: the timing must not tell which emails exist.
            self.passwords.verify_unknown_user(password)
            raise InvalidCredentials
        valid, new_hash = self.passwords.verify(password, user.password_hash)
        if not valid or not user.is_active:
            raise InvalidCredentials
        now = utcnow()
        if new_hash is not None:
            # bcrypt, or Argon2 at an older cost: replaced while the password is at hand.
            user.password_hash = new_hash
        user.last_login_at = now
        # The session's id goes into its first refresh token, whose hash is then stored.
        record = self.sessions.add(UserSession(user_id=user.id, refresh_token_hash="", expires_at=now))
        pair, refresh = self._issue(user, record.id, now)
        record.refresh_token_hash = fingerprint(refresh.token)
        record.expires_at = refresh.expires_at
        return pair

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for the token's session; the token presented is spent.

        A spent token presented again means two parties hold it: the whole session is revoked, so
        whoever holds the newer tokens must log in again too.
        """
        try:
            pair = self._refresh(refresh_token)
        except RefreshTokenReused:
            self._report("refresh", "reused")
            raise
        except InvalidToken:
            self._report("refresh", "refused")
            raise
        self._report("refresh", "success")
        return pair

    def _refresh(self, refresh_token: str) -> TokenPair:
        claims = self.tokens.decode(refresh_token, TokenType.REFRESH)
        record = self._open_session(claims)
        user = self.users.get(claims.user_id)
        if user is None or not user.is_active:
            raise SessionEnded
        now = utcnow()
        pair, refresh = self._issue(user, record.id, now)
        rotated = self.sessions.rotate(
            record.id,
            spent=fingerprint(refresh_token),
            replacement=fingerprint(refresh.token),
            expires_at=refresh.expires_at,
            now=now,
        )
        if not rotated:
            self.sessions.revoke(record, SessionEnd.REUSED, now)
            logger.warning("refresh token reused; session revoked", user_id=user.id, session_id=record.id)
            raise RefreshTokenReused
        return pair

    def logout(self, refresh_token: str) -> None:
        """End the token's session: its refresh token and its access tokens stop working at once."""
        claims = self.tokens.decode(refresh_token, TokenType.REFRESH)
        try:
            record = self._open_session(claims)
        except SessionEnded:
            return  # already ended: logging out twice is not an error
        self.sessions.revoke(record, SessionEnd.LOGOUT, utcnow())

    def _open_session(self, claims: TokenClaims) -> UserSession:
        record = self.sessions.get(claims.session_id)
        if record is None or record.user_id != claims.user_id or record.revoked_at is not None:
            raise SessionEnded
        return record

    def _issue(self, user: User, session_id: int, now: datetime) -> tuple[TokenPair, IssuedToken]:
        access = self.tokens.issue_access(user_id=user.id, session_id=session_id, roles=user.roles, now=now)
        refresh = self.tokens.issue_refresh(user_id=user.id, session_id=session_id, now=now)
        pair = TokenPair(access_token=access.token, refresh_token=refresh.token, expires_in=self.tokens.access_seconds)
        return pair, refresh


def load_principal(connect: Connect, claims: TokenClaims) -> UserRead:
    """The caller of an access token as stored now.

    SessionEnded (401) once the token's session is revoked or its user deactivated.
    """
    with connect() as connection:
        row = connection.execute(PRINCIPAL_QUERY, principal_parameters(claims)).mappings().one_or_none()
    if row is None:
        raise SessionEnded
    return UserRead.model_validate(row)


def prune_ended_sessions(session: Session, *, kept_for: timedelta) -> int:
    """Delete sessions that ended (logged out, revoked or expired) more than `kept_for` ago.

    Kept that long first: a session revoked for token reuse is the record of an attack.
    """
    removed = SessionRepository(session).delete_ended(utcnow() - kept_for)
    logger.info("ended sessions pruned", removed=removed)
    return removed
