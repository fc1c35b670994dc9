from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.project_slug }}.core.models import Record

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class Item(Record):
    __tablename__ = "item"

    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), unique=True)
    description: Mapped[str | None] = mapped_column(Text())
    quantity: Mapped[int] = mapped_column(default=0)
