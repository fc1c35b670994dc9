from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from {{ cookiecutter.project_slug }}.core.item.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from {{ cookiecutter.project_slug }}.core.pagination import Page, PageQuery
from {{ cookiecutter.project_slug }}.core.validators import refuse_null

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH)]
Quantity = Annotated[int, Field(ge=0, le=2**31 - 1)]
# Items one import may carry: one transaction, so it must stay short.
IMPORT_MAX_ITEMS = 1000


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description | None = None
    quantity: Quantity = 0


class ItemUpdate(BaseModel):
    """Only the fields sent are changed; `description` may be set to null, the others may not."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    quantity: Quantity | None = None

    _not_null = field_validator("name", "quantity")(refuse_null)


class ItemImport(BaseModel):
    """Items to create or update by name, all or none; names must not repeat."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemCreate] = Field(min_length=1, max_length=IMPORT_MAX_ITEMS)

    @field_validator("items")
    @classmethod
    def _unique_names(cls, items: list[ItemCreate]) -> list[ItemCreate]:
        names = [item.name for item in items]
        if len(set(names)) != len(names):
            msg = "item names must not repeat"
            raise ValueError(msg)
        return items


class ImportResult(BaseModel):
    """The ids an import created and updated."""

    created: list[int]
    updated: list[int]


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    quantity: int
    created_at: datetime
    updated_at: datetime


class ItemPage(Page[ItemRead]):
    """A page of items (a named class gives the OpenAPI schema a readable name)."""


class ItemListQuery(PageQuery):
    """Filters accepted by GET /api/v1/items, each an exact match."""

    name: Name | None = None
    quantity: Quantity | None = None
