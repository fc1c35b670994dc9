{# Generated from service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Accounts: registration under the password policy, and what admins change (roles, activity)."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.service import CrudService
from {{ cookiecutter.project_slug }}.core.user.models import User
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher
from {{ cookiecutter.project_slug }}.core.user.repository import UserRepository
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.core.user.schemas import UserCreate, UserUpdate


class UserService(CrudService[User, UserCreate, UserUpdate]):
    repository_class = UserRepository
    repository: UserRepository

    def __init__(self, session: Session, passwords: PasswordHasher) -> None:
        super().__init__(session)
        self.passwords = passwords

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
        """Change roles or activity.

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
