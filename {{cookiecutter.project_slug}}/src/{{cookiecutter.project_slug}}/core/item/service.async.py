from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.repository import ItemRepository
from {{ cookiecutter.project_slug }}.core.item.schemas import ImportResult, ItemCreate, ItemImport, ItemRead, ItemUpdate
from {{ cookiecutter.project_slug }}.core.service import CrudService


class ItemService(CrudService[Item, ItemCreate, ItemUpdate]):
    """Items have no rules beyond the schema's; add them here as methods."""

    repository_class = ItemRepository
    repository: ItemRepository

    async def read(self, id_: int) -> ItemRead:
        """The item as the API shows it; NotFound (404) if there is none."""
        return ItemRead.model_validate(await self.get(id_))

    async def import_by_name(self, data: ItemImport) -> ImportResult:
        """Create the items whose name is new and update the others: importing twice changes nothing more."""
        existing = await self.repository.by_names([item.name for item in data.items])
        new, updated = [], []
        for item in data.items:
            if (row := existing.get(item.name)) is None:
                new.append(Item(**item.model_dump()))
                continue
            for name, value in item.model_dump().items():
                setattr(row, name, value)
            updated.append(row.id)
        created = await self.repository.add_all(new)
        return ImportResult(created=[row.id for row in created], updated=updated)
