from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.repository import Repository


class ItemRepository(Repository[Item]):
    model = Item
    sortable = frozenset({"id", "name", "quantity", "created_at", "updated_at"})
    filterable = frozenset({"name", "quantity"})
    # Newest first, by the primary key: no extra index needed.
    default_sort = "-id"
