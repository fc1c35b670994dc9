from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.repository import ItemRepository
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemUpdate
from {{ cookiecutter.project_slug }}.core.service import CrudService


class ItemService(CrudService[Item, ItemCreate, ItemUpdate]):
    """Items have no rules beyond the schema's; add them here as methods."""

    repository_class = ItemRepository
