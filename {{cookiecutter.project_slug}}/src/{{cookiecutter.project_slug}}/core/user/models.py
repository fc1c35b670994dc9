from datetime import datetime

from sqlalchemy import Dialect, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from {{ cookiecutter.project_slug }}.core.models import Record, UTCDateTime

EMAIL_MAX_LENGTH = 320
ROLES_MAX_LENGTH = 200
PASSWORD_HASH_MAX_LENGTH = 255


class RoleNames(TypeDecorator[tuple[str, ...]]):
    """A user's role names in one column: sorted and comma-separated ("admin,editor"), "" for none.

    One column keeps the user one row, so each request reads the caller with a single lookup.
    """

    impl = String(ROLES_MAX_LENGTH)
    cache_ok = True

    def process_bind_param(self, value: tuple[str, ...] | None, dialect: Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else ",".join(sorted(set(value)))

    def process_result_value(self, value: str | None, dialect: Dialect) -> tuple[str, ...] | None:  # noqa: ARG002
        return None if value is None else tuple(name for name in value.split(",") if name)


class User(Record):
    __tablename__ = "user"

    # Stored lowercased (the schemas normalise it), so uniqueness ignores case on every database.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    # A PHC string: Argon2id, or bcrypt until its owner next logs in.
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_MAX_LENGTH))
    roles: Mapped[tuple[str, ...]] = mapped_column(RoleNames(), default=())
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
