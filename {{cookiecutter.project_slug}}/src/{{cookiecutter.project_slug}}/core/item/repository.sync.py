{# Generated from repository.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
from collections.abc import Sequence

from sqlalchemy import select

from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.repository import Repository


class ItemRepository(Repository[Item]):
    model = Item
    sortable = frozenset({"id", "name", "quantity", "created_at", "updated_at"})
    filterable = frozenset({"name", "quantity"})
    # Newest first, by the primary key: no extra index needed.
    default_sort = "-id"

    def by_names(self, names: Sequence[str]) -> dict[str, Item]:
        """The items with these names (the name is unique), keyed by name."""
        rows = self.session.scalars(select(Item).where(Item.name.in_(names)))
        return {item.name: item for item in rows}
