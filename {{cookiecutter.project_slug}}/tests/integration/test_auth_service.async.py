"""The auth services on the real database, committing: hash upgrades, racing refreshes, create-admin."""

import asyncio
import secrets
from collections.abc import AsyncIterator

import bcrypt
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery staple"
PREFIX = f"auth-{secrets.token_hex(4)}-"


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions that really commit; this module's users (and their sessions) are deleted afterwards."""
    sessions = create_session_factory(engine)
    yield sessions
    async with unit_of_work(sessions) as session:
        await session.execute(delete(User).where(User.email.startswith(PREFIX)))


@pytest.fixture
def passwords(settings: Settings) -> PasswordHasher:
    return PasswordHasher(settings.auth)


@pytest.fixture
def tokens(settings: Settings) -> TokenCodec:
    return TokenCodec(settings.auth, settings.secret_key)


def email() -> str:
    return f"{PREFIX}{secrets.token_hex(4)}@example.com"


async def add_user(sessions: async_sessionmaker[AsyncSession], address: str, password_hash: str) -> None:
    async with unit_of_work(sessions) as session:
        session.add(User(email=address, password_hash=password_hash))


async def stored_hash(sessions: async_sessionmaker[AsyncSession], address: str) -> str:
    async with unit_of_work(sessions) as session:
        return (await session.scalars(select(User.password_hash).where(User.email == address))).one()


async def log_in(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec, address: str
) -> TokenPair:
    async with unit_of_work(sessions) as session:
        return await AuthService(session, passwords, tokens).login(
            Credentials(email=address, password=SecretStr(PASSWORD))
        )


async def refresh(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec, token: str
) -> TokenPair:
    async with unit_of_work(sessions) as session:
        return await AuthService(session, passwords, tokens).refresh(token)


async def test_a_bcrypt_hash_becomes_argon2id_at_login(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    await add_user(sessions, address, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode())
    await log_in(sessions, passwords, tokens, address)
    upgraded = await stored_hash(sessions, address)
    assert upgraded.startswith("$argon2id$")
    await log_in(sessions, passwords, tokens, address)
    assert await stored_hash(sessions, address) == upgraded, "a current hash is kept"


async def test_a_failed_login_changes_no_hash(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    await add_user(sessions, address, legacy)
    with pytest.raises(InvalidCredentials):
        async with unit_of_work(sessions) as session:
            await AuthService(session, passwords, tokens).login(
                Credentials(email=address, password=SecretStr("wrong password"))
            )
    assert await stored_hash(sessions, address) == legacy


async def test_an_argon2_hash_is_rehashed_when_the_cost_goes_up(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, tokens: TokenCodec
) -> None:
    address = email()
    await add_user(sessions, address, PasswordHasher(settings.auth).hash(PASSWORD))
    stronger = settings.auth.model_copy(update={"argon2_memory_kib": 64, "argon2_time_cost": 2})
    await log_in(sessions, PasswordHasher(stronger), tokens, address)
    assert (await stored_hash(sessions, address)).startswith("$argon2id$v=19$m=64,t=2,")


async def test_the_revocation_for_a_reused_token_is_committed(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    await add_user(sessions, address, passwords.hash(PASSWORD))
    first = await log_in(sessions, passwords, tokens, address)
    await refresh(sessions, passwords, tokens, first.refresh_token)
    with pytest.raises(RefreshTokenReused):
        await refresh(sessions, passwords, tokens, first.refresh_token)
    async with unit_of_work(sessions) as session:
        record = (await session.scalars(select(UserSession).join(User).where(User.email == address))).one()
    assert record.revoked_reason == SessionEnd.REUSED
    assert record.revoked_at is not None


async def test_two_refreshes_racing_with_one_token_leave_one_winner(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHasher, tokens: TokenCodec
) -> None:
    address = email()
    await add_user(sessions, address, passwords.hash(PASSWORD))
    pair = await log_in(sessions, passwords, tokens, address)
    results = await asyncio.gather(  {#- async only #}
        *(refresh(sessions, passwords, tokens, pair.refresh_token) for _ in range(2)), return_exceptions=True  {#- async only #}
    )  {#- async only #}
    {#- sync block: with ThreadPoolExecutor(max_workers=2) as pool: #}
    {#- sync: futures = [pool.submit(refresh, sessions, passwords, tokens, pair.refresh_token) for _ in range(2)] #}
    {#- end sync block #}
    {#- sync: results = [future.exception() or future.result() for future in futures] #}
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
        await refresh(sessions, passwords, tokens, winners[0].refresh_token)
{%- endif %}


async def deactivate_then_read(settings: Settings, address: str, *, deactivate: bool) -> User:
    """Through an engine of its own, as `create-admin` runs: outside any test transaction."""
    engine = create_engine(settings)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            user = (await session.scalars(select(User).where(User.email == address))).one()
            if deactivate:
                user.is_active = False
            return user
    finally:
        await engine.dispose()


def test_create_admin_creates_then_promotes_and_reactivates(settings: Settings, passwords: PasswordHasher) -> None:
    address = email()
    assert create_admin(settings, UserCreate(email=address, password=SecretStr(PASSWORD))) is True
    asyncio.run(deactivate_then_read(settings, address, deactivate=True))
    again = UserCreate(email=address, password=SecretStr("another password entirely"))
    assert create_admin(settings, again) is False
    user = asyncio.run(deactivate_then_read(settings, address, deactivate=False))
    assert (user.roles, user.is_active) == ((Role.ADMIN,), True)
    assert passwords.verify(PASSWORD, user.password_hash)[0], "an existing account keeps its password"
    with pytest.raises(ValidationFailed):
        create_admin(settings, UserCreate(email=email(), password=SecretStr("short")))
