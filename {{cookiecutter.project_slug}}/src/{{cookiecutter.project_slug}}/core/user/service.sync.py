{# Generated from service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Accounts: registration under the password policy, and what admins change (roles, activity)."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.auth.models import SessionEnd
from {{ cookiecutter.project_slug }}.core.auth.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.auth.repository import SessionRepository
from {{ cookiecutter.project_slug }}.core.db import create_engine, create_session_factory, unit_of_work
from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.models import utcnow
from {{ cookiecutter.project_slug }}.core.service import CrudService
from {{ cookiecutter.project_slug }}.core.user.models import User
from {{ cookiecutter.project_slug }}.core.user.repository import UserRepository
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate, UserUpdate
from {{ cookiecutter.project_slug }}.settings import Settings


class UserService(CrudService[User, UserCreate, UserUpdate]):
    repository_class = UserRepository
    repository: UserRepository

    def __init__(self, session: Session, passwords: PasswordHasher) -> None:
        super().__init__(session)
        self.passwords = passwords
        self.sessions = SessionRepository(session)

    def create(self, data: UserCreate, *, roles: Iterable[Role] = ()) -> User:
        """Register an account.

        A password against the policy is ValidationFailed (422); a registered email is Conflict (409).
        """
        password = data.password.get_secret_value()
        self.passwords.policy.check(password, email=data.email)
        password_hash = self.passwords.hash(password)
        try:
            return self.repository.add(User(email=data.email, password_hash=password_hash, roles=tuple(roles)))
        except Conflict:
            raise Conflict("An account with this email already exists.") from None

    def update(self, id_: int, data: UserUpdate, *, actor_id: int | None = None) -> User:
        """Change roles or activity. Deactivating ends every session of the user at once.

        Admins cannot deactivate themselves or give up their own admin role (Conflict, 409), so a
        service always keeps the admin who could undo a mistake.
        """
        user = self.get(id_)
        changes = data.model_dump(exclude_unset=True)
        gives_up_admin = changes.get("is_active") is False or Role.ADMIN not in changes.get("roles", [Role.ADMIN])
        if id_ == actor_id and gives_up_admin:
            raise Conflict("Admins cannot deactivate themselves or remove their own admin role; ask another admin.")
        if "roles" in changes:
            user.roles = tuple(changes["roles"])
        if changes.get("is_active") is False and user.is_active:
            self.sessions.revoke_all(user.id, SessionEnd.DEACTIVATED, utcnow())
        user.is_active = changes.get("is_active", user.is_active)
        self.repository.flush()
        return user

    def make_admin(self, data: UserCreate) -> tuple[User, bool]:
        """Make the account an active admin, creating it if there is none; True when it was created."""
        user = self.repository.get_by_email(data.email)
        if user is None:
            return self.create(data, roles=[Role.ADMIN]), True
        user.roles = tuple(sorted({*user.roles, Role.ADMIN}))
        user.is_active = True
        self.repository.flush()
        return user, False


def create_admin(settings: Settings, data: UserCreate) -> bool:
    """`create-admin` on the command line: make_admin in a unit of work of its own; True when created."""
    engine = create_engine(settings)
    try:
        with unit_of_work(create_session_factory(engine)) as session:
            _, created = UserService(session, PasswordHasher(settings.auth)).make_admin(data)
        return created
    finally:
        engine.dispose()
