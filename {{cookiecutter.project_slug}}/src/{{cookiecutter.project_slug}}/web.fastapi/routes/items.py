"""/api/v1/items: the example resource, the pattern to copy for your own."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
{% if cookiecutter.use_redis %}
from {{ cookiecutter.project_slug }}.core.item.cached_service import CachedItemService
{%- endif %}
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemListQuery, ItemPage, ItemRead, ItemUpdate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService
from {{ cookiecutter.project_slug }}.core.models import MAX_ID
from {{ cookiecutter.project_slug }}.web.deps import {% if cookiecutter.use_redis %}ResourcesDep, {% endif %}SessionDep

router = APIRouter(prefix="/api/v1/items", tags=["items"])
{%- if cookiecutter.use_redis %}


async def get_item_service(session: SessionDep, resources: ResourcesDep) -> ItemService:
    """Items read through the cache; updates and deletes forget the cached copy once they commit."""
    return CachedItemService(session, resources.redis.cache)
{%- else %}


async def get_item_service(session: SessionDep) -> ItemService:
    return ItemService(session)
{%- endif %}


ItemServiceDep = Annotated[ItemService, Depends(get_item_service)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("")
async def list_items(service: ItemServiceDep, query: Annotated[ItemListQuery, Query()]) -> ItemPage:
    """A page of items, optionally filtered and sorted."""
    return ItemPage.model_validate(await service.list(query))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(service: ItemServiceDep, body: ItemCreate, response: Response) -> ItemRead:
    item = await service.create(body)
    response.headers["Location"] = f"{router.prefix}/{item.id}"
    return ItemRead.model_validate(item)


@router.get("/{item_id}")
async def get_item(service: ItemServiceDep, item_id: ItemId) -> ItemRead:
    return await service.read(item_id)


@router.patch("/{item_id}")
async def update_item(service: ItemServiceDep, item_id: ItemId, body: ItemUpdate) -> ItemRead:
    """Change the fields sent; the others keep their values."""
    return ItemRead.model_validate(await service.update(item_id, body))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(service: ItemServiceDep, item_id: ItemId) -> None:
    await service.delete(item_id)
