{# Generated from repository.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
from sqlalchemy import select

from {{ cookiecutter.project_slug }}.core.repository import Repository
from {{ cookiecutter.project_slug }}.core.user.models import User


class UserRepository(Repository[User]):
    model = User
    sortable = frozenset({"id", "email", "created_at", "last_login_at"})
    filterable = frozenset({"email", "is_active"})

    def get_by_email(self, email: str) -> User | None:
        """The account for an email as the schemas normalise it (lowercased)."""
        return self.session.scalar(select(User).where(User.email == email))
