"""Paging, sorting and filtering for list endpoints, shared by every resource."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, UnaryExpression

from {{ cookiecutter.project_slug }}.core.errors import ValidationFailed

# Larger pages are refused (422) rather than silently truncated.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Keeps offsets in range for every database (deep pages are slow anyway; filter instead).
MAX_PAGE = 1_000_000

T = TypeVar("T")


class PageQuery(BaseModel):
    """Query parameters of a list endpoint. Subclasses add the filters the resource allows."""

    # An unknown parameter is an error, never silently ignored (a mistyped filter would list everything).
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    sort: str | None = Field(
        default=None,
        max_length=200,
        description="Comma-separated fields; prefix one with '-' to sort descending, e.g. `-created_at,name`.",
    )

    def filters(self) -> dict[str, Any]:
        """The filters given, by field name: the fields subclasses add (unset ones are left out)."""
        return self.model_dump(exclude_none=True, exclude=set(PageQuery.model_fields))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True, slots=True)
class PageResult(Generic[T]):
    """One page of rows and the total count of rows matching the filters."""

    items: Sequence[T]
    total: int
    page: int
    size: int


class Page(BaseModel, Generic[T]):
    """The response body of a list endpoint."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int = Field(description="Items matching the filters, on all pages.")
    page: int
    size: int


def filter_conditions(
    model: type[Any], filters: Mapping[str, Any], allowed: frozenset[str]
) -> list[ColumnElement[bool]]:
    """Equality conditions for `filters`; a name outside `allowed` is ValidationFailed (422)."""
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise ValidationFailed(f"Cannot filter by {', '.join(unknown)}.", details={"allowed": sorted(allowed)})
    return [getattr(model, name) == value for name, value in filters.items()]


def sort_order(model: type[Any], sort: str, allowed: frozenset[str]) -> list[UnaryExpression[Any]]:
    """ORDER BY clauses for `-created_at,name`; a field outside `allowed` is ValidationFailed (422)."""
    fields = [field.strip() for field in sort.split(",") if field.strip()]
    names = [field.removeprefix("-") for field in fields]
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise ValidationFailed(f"Cannot sort by {', '.join(unknown)}.", details={"allowed": sorted(allowed)})
    order = [
        getattr(model, name).desc() if field.startswith("-") else getattr(model, name).asc()
        for field, name in zip(fields, names, strict=True)
    ]
    # The id breaks ties, so rows with equal sort values keep their place from page to page.
    if "id" not in names:
        order.append(model.id.asc())
    return order
