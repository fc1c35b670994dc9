"""Generic data access for one table. Repositories flush but never commit: the unit of work does."""

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.project_slug }}.core.errors import Conflict
from {{ cookiecutter.project_slug }}.core.models import Record
from {{ cookiecutter.project_slug }}.core.pagination import PageQuery, PageResult, filter_conditions, sort_order

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

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: int) -> ModelT | None:
        return await self.session.get(self.model, id_)

    async def list(self, query: PageQuery) -> PageResult[ModelT]:
        conditions = filter_conditions(self.model, query.filters(), self.filterable)
        order = sort_order(self.model, query.sort or self.default_sort, self.sortable)
        # The total rides along with each row (a window count): one round trip instead of two.
        counted = select(self.model, func.count().over()).where(*conditions)
        rows = (await self.session.execute(counted.order_by(*order).offset(query.offset).limit(query.size))).all()
        if rows:
            total = rows[0][1]
        else:  # past the last page (or nothing matches): count separately
            total = await self.session.scalar(select(func.count()).select_from(self.model).where(*conditions)) or 0
        return PageResult(items=[row[0] for row in rows], total=total, page=query.page, size=query.size)

    async def add(self, row: ModelT) -> ModelT:
        self.session.add(row)
        await self.flush()
        return row

    async def add_all(self, rows: Sequence[ModelT]) -> Sequence[ModelT]:
        """Add several rows with one flush."""
        self.session.add_all(rows)
        await self.flush()
        return rows

    async def delete(self, row: ModelT) -> None:
        await self.session.delete(row)
        await self.flush()

    async def flush(self) -> None:
        """Send pending changes now, so a unique violation is reported by the call that caused it."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The {self.model.__tablename__} conflicts with an existing one.") from exc
