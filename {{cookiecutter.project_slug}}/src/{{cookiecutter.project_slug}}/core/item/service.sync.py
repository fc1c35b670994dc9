{# Generated from service.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.repository import ItemRepository
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemCreate, ItemRead, ItemUpdate
from {{ cookiecutter.project_slug }}.core.service import CrudService


class ItemService(CrudService[Item, ItemCreate, ItemUpdate]):
    """Items have no rules beyond the schema's; add them here as methods."""

    repository_class = ItemRepository

    def read(self, id_: int) -> ItemRead:
        """The item as the API shows it; NotFound (404) if there is none."""
        return ItemRead.model_validate(self.get(id_))
