{# Generated from test_auth_service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The auth services on the real database, committing: hash upgrades, racing refreshes, create-admin."""

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidCredentials, RefreshTokenReused{% if cookiecutter.database != "sqlite" %}, SessionEnded{% endif %}
from {{ cookiecutter.project_slug }}.core.auth.models import SessionEnd, UserSession
from {{ cookiecutter.project_slug }}.core.auth.schemas import TokenPair
from {{ cookiecutter.project_slug }}.core.auth.service import AuthService
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenCodec
from {{ cookiecutter.project_slug }}.core.db import create_engine, create_session_factory, unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import {% if cookiecutter.database == "sqlite" %}AppError, {% endif %}ValidationFailed
from {{ cookiecutter.project_slug }}.core.user.models import User
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import Credentials, UserCreate
from {{ cookiecutter.project_slug }}.settings import Settings
from tests.accounts import create_admin

PASSWORD = "correct horse battery staple"
PREFIX = f"auth-{secrets.token_hex(4)}-"


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit; this module's users (and their sessions) are deleted afterwards."""
    sessions = create_session_factory(engine)
    yield sessions
    with unit_of_work(sessions) as session:
        session.execute(delete(User).where(User.email.startswith(PREFIX)))


@pytest.fixture
def passwords(settings: Settings) -> PasswordHasher:
    return PasswordHasher(settings.auth)


@pytest.fixture
def tokens(settings: Settings) -> TokenCodec:
    return TokenCodec(settings.auth, settings.secret_key)


def email() -> str:
    return f"{PREFIX}{secrets.token_hex(4)}@example.com"


def add_user(sessions: sessionmaker[Session], address: str, password_hash: str) -> None:
    with unit_of_work(sessions) as session:
        session.add(User(email=address, password_hash=password_hash))


def stored_hash(sessions: sessionmaker[Session], address: str) -> str:
    with unit_of_work(sessions) as session:
        return session.scalars(select(User.password_hash).where(User.email == address)).one()


def log_in(sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec, address: str) -> TokenPair:
    with unit_of_work(sessions) as session:
        return AuthService(session, passwords, tokens).login(Credentials(email=address, password=SecretStr(PASSWORD)))


def refresh(sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec, token: str) -> TokenPair:
    with unit_of_work(sessions) as session:
        return AuthService(session, passwords, tokens).refresh(token)


def test_a_bcrypt_hash_becomes_argon2id_at_login(
    sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    add_user(sessions, address, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode())
    log_in(sessions, passwords, tokens, address)
    upgraded = stored_hash(sessions, address)
    assert upgraded.startswith("$argon2id$")
    log_in(sessions, passwords, tokens, address)
    assert stored_hash(sessions, address) == upgraded, "a current hash is kept"


def test_a_failed_login_changes_no_hash(
    sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    add_user(sessions, address, legacy)
    with pytest.raises(InvalidCredentials), unit_of_work(sessions) as session:
        AuthService(session, passwords, tokens).login(Credentials(email=address, password=SecretStr("wrong password")))
    assert stored_hash(sessions, address) == legacy


def test_an_argon2_hash_is_rehashed_when_the_cost_goes_up(
    sessions: sessionmaker[Session], settings: Settings, tokens: TokenCodec
) -> None:
    address = email()
    add_user(sessions, address, PasswordHasher(settings.auth).hash(PASSWORD))
    stronger = settings.auth.model_copy(update={"argon2_memory_kib": 64, "argon2_time_cost": 2})
    log_in(sessions, PasswordHasher(stronger), tokens, address)
    assert stored_hash(sessions, address).startswith("$argon2id$v=19$m=64,t=2,")


def test_the_revocation_for_a_reused_token_is_committed(
    sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    add_user(sessions, address, passwords.hash(PASSWORD))
    first = log_in(sessions, passwords, tokens, address)
    refresh(sessions, passwords, tokens, first.refresh_token)
    with pytest.raises(RefreshTokenReused):
        refresh(sessions, passwords, tokens, first.refresh_token)
    with unit_of_work(sessions) as session:
        record = session.scalars(select(UserSession).join(User).where(User.email == address)).one()
    assert record.revoked_reason == SessionEnd.REUSED
    assert record.revoked_at is not None


def test_two_refreshes_racing_with_one_token_leave_one_winner(
    sessions: sessionmaker[Session], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    add_user(sessions, address, passwords.hash(PASSWORD))
    pair = log_in(sessions, passwords, tokens, address)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(refresh, sessions, passwords, tokens, pair.refresh_token) for _ in range(2)]
    results = [future.exception() or future.result() for future in futures]
    winners = [result for result in results if isinstance(result, TokenPair)]
    losers = [result for result in results if not isinstance(result, TokenPair)]
    assert len(winners) == 1, results
{%- if cookiecutter.database == "sqlite" %}
    # SQLite serialises writers: the loser finds the session taken (reuse), or the file locked (503).
    assert all(isinstance(loser, RefreshTokenReused | AppError) for loser in losers), losers
{%- else %}
    # The second UPDATE waited for the first to commit, then matched nothing: a reuse.
    assert [type(loser) for loser in losers] == [RefreshTokenReused]
    with pytest.raises(SessionEnded):
        refresh(sessions, passwords, tokens, winners[0].refresh_token)
{%- endif %}


def deactivate_then_read(settings: Settings, address: str, *, deactivate: bool) -> User:
    """Through an engine of its own, as `create-admin` runs: outside any test transaction."""
    engine = create_engine(settings)
    try:
        with unit_of_work(create_session_factory(engine)) as session:
            user = session.scalars(select(User).where(User.email == address)).one()
            if deactivate:
                user.is_active = False
            return user
    finally:
        engine.dispose()


def test_create_admin_creates_then_promotes_and_reactivates(settings: Settings, passwords: PasswordHasher) -> None:
    address = email()
    assert create_admin(settings, UserCreate(email=address, password=SecretStr(PASSWORD))) is True
    deactivate_then_read(settings, address, deactivate=True)
    again = UserCreate(email=address, password=SecretStr("another password entirely"))
    assert create_admin(settings, again) is False
    user = deactivate_then_read(settings, address, deactivate=False)
    assert (user.roles, user.is_active) == ((Role.ADMIN,), True)
    assert passwords.verify(PASSWORD, user.password_hash)[0], "an existing account keeps its password"
    with pytest.raises(ValidationFailed):
        create_admin(settings, UserCreate(email=email(), password=SecretStr("short")))
