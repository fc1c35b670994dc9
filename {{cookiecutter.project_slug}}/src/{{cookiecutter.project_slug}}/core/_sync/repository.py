"""Generic data access for one table. Repositories flush but never commit: the unit of work does."""

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, UnaryExpression, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.errors import Conflict, ValidationFailed
from {{ cookiecutter.project_slug }}.core.models import Record
from {{ cookiecutter.project_slug }}.core.pagination import PageQuery, PageResult

ModelT = TypeVar("ModelT", bound=Record)


class Repository(Generic[ModelT]):
    """Get, page through, add and delete rows of `model`.

    Only the columns named in `sortable` and `filterable` can be sorted and filtered on; anything
    else is a ValidationFailed (422), so a request can never reach an unindexed or private column.
    """

    model: type[ModelT]
    sortable: ClassVar[frozenset[str]] = frozenset({"id"})
    filterable: ClassVar[frozenset[str]] = frozenset()
    default_sort: ClassVar[str] = "id"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: int) -> ModelT | None:
        return self.session.get(self.model, id_)

    def list(self, query: PageQuery) -> PageResult[ModelT]:
        conditions = self._conditions(query.filters())
        order = self._order(query.sort or self.default_sort)
        # The total rides along with each row (a window count): one round trip instead of two.
        counted = select(self.model, func.count().over()).where(*conditions)
        rows = (self.session.execute(counted.order_by(*order).offset(query.offset).limit(query.size))).all()
        if rows:
            total = rows[0][1]
        else:  # past the last page (or nothing matches): count separately
            total = self.session.scalar(select(func.count()).select_from(self.model).where(*conditions)) or 0
        return PageResult(items=[row[0] for row in rows], total=total, page=query.page, size=query.size)

    def add(self, row: ModelT) -> ModelT:
        self.session.add(row)
        self.flush()
        return row

    def delete(self, row: ModelT) -> None:
        self.session.delete(row)
        self.flush()

    def flush(self) -> None:
        """Send pending changes now, so a unique violation is reported by the call that caused it."""
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The {self.model.__tablename__} conflicts with an existing one.") from exc

    def _conditions(self, filters: dict[str, Any]) -> Sequence[ColumnElement[bool]]:
        unknown = sorted(set(filters) - self.filterable)
        if unknown:
            raise ValidationFailed(
                f"Cannot filter by {', '.join(unknown)}.", details={"allowed": sorted(self.filterable)}
            )
        return [getattr(self.model, name) == value for name, value in filters.items()]

    def _order(self, sort: str) -> Sequence[UnaryExpression[Any]]:
        fields = [field.strip() for field in sort.split(",") if field.strip()]
        names = [field.removeprefix("-") for field in fields]
        unknown = sorted(set(names) - self.sortable)
        if unknown:
            raise ValidationFailed(f"Cannot sort by {', '.join(unknown)}.", details={"allowed": sorted(self.sortable)})
        order = [
            getattr(self.model, name).desc() if field.startswith("-") else getattr(self.model, name).asc()
            for field, name in zip(fields, names, strict=True)
        ]
        # The id breaks ties, so rows with equal sort values keep their place from page to page.
        if "id" not in names:
            order.append(self.model.id.asc())
        return order
