"""Accounts as admins manage them: a user, and the sessions that end when the user is deactivated."""

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.project_slug }}.core.auth.models import SessionEnd
from {{ cookiecutter.project_slug }}.core.auth.repository import SessionRepository
from {{ cookiecutter.project_slug }}.core.models import utcnow
from {{ cookiecutter.project_slug }}.core.user.models import User
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.user.schemas import UserUpdate
from {{ cookiecutter.project_slug }}.core.user.service import UserService


class AccountService(UserService):
    def __init__(self, session: AsyncSession, passwords: PasswordHasher) -> None:
        super().__init__(session, passwords)
        self.sessions = SessionRepository(session)

    async def update(self, id_: int, data: UserUpdate, *, actor_id: int | None = None) -> User:
        """Change roles or activity; deactivating ends every session of the user at once."""
        was_active = (await self.get(id_)).is_active
        user = await super().update(id_, data, actor_id=actor_id)
        if was_active and not user.is_active:
            await self.sessions.revoke_all(user.id, SessionEnd.DEACTIVATED, utcnow())
        return user
