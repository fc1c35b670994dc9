"""/api/v1/items: the example resource, the pattern to copy for your own."""

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field
{% if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.item.cached_service import CachedItemService
{%- endif %}
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemListQuery, ItemPage, ItemRead, ItemUpdate
{%- if not cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
{%- endif %}
from {{ cookiecutter.project_slug }}.core.models import MAX_ID
from {{ cookiecutter.project_slug }}.web.deps import {% if cookiecutter.use_redis %}current_resources, {% endif %}current_session

PREFIX = "/api/v1/items"

router = APIBlueprint("items", __name__, url_prefix=PREFIX, abp_tags=[Tag(name="items")])


class ItemPath(BaseModel):
    item_id: int = Field(ge=1, le=MAX_ID)


{%- if cookiecutter.use_redis %}


def item_service() -> CachedItemService:
    """Items read through the cache; updates and deletes forget the cached copy once they commit."""
    return CachedItemService(current_session(), current_resources().redis.cache)
{%- else %}


def item_service() -> ItemService:
    return ItemService(current_session())
{%- endif %}


@router.get("", responses={200: ItemPage})
def list_items(query: ItemListQuery) -> dict[str, Any]:
    """A page of items, optionally filtered and sorted."""
    return ItemPage.model_validate(item_service().list(query)).model_dump(mode="json")


@router.post("", responses={201: ItemRead})
def create_item(body: ItemCreate) -> tuple[dict[str, Any], int, dict[str, str]]:
    item = item_service().create(body)
    return ItemRead.model_validate(item).model_dump(mode="json"), 201, {"Location": f"{PREFIX}/{item.id}"}


@router.get("/<item_id>", responses={200: ItemRead})
def get_item(path: ItemPath) -> dict[str, Any]:
    return item_service().read(path.item_id).model_dump(mode="json")


@router.patch("/<item_id>", responses={200: ItemRead})
def update_item(path: ItemPath, body: ItemUpdate) -> dict[str, Any]:
    """Change the fields sent; the others keep their values."""
    return ItemRead.model_validate(item_service().update(path.item_id, body)).model_dump(mode="json")


@router.delete("/<item_id>", responses={204: None})
def delete_item(path: ItemPath) -> tuple[str, int]:
    item_service().delete(path.item_id)
    return "", 204
