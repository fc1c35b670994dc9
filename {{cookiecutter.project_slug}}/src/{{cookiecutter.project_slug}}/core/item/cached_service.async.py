"""Items read through the cache: the pattern for caching a resource's reads."""

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.project_slug }}.core.cache import Cache
from {{ cookiecutter.project_slug }}.core.db import on_commit
from {{ cookiecutter.project_slug }}.core.item.models import Item
from {{ cookiecutter.project_slug }}.core.item.schemas import ImportResult, ItemImport, ItemRead, ItemUpdate
from {{ cookiecutter.project_slug }}.core.item.service import ItemService

# Part of every key: bump it when ItemRead changes shape, and entries of the old shape are ignored.
CACHE_VERSION = 1


class CachedItemService(ItemService):
    """Reads an item through the cache; an update or a delete forgets it once its transaction commits.

    Not before: until the commit, a concurrent read still finds the old row and would cache it again.
    """

    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        super().__init__(session)
        self.cache = cache

    @staticmethod
    def cache_key(id_: int) -> str:
        return f"item:v{CACHE_VERSION}:{id_}"

    async def read(self, id_: int) -> ItemRead:
        """The item as the API shows it, from the cache when it can; NotFound (404) is not cached."""
        return await self.cache.get_or_set(self.cache_key(id_), ItemRead, partial(super().read, id_))

    async def update(self, id_: int, data: ItemUpdate) -> Item:
        item = await super().update(id_, data)
        self._forget_after_commit(id_)
        return item

    async def delete(self, id_: int) -> None:
        await super().delete(id_)
        self._forget_after_commit(id_)

    async def import_by_name(self, data: ItemImport) -> ImportResult:
        result = await super().import_by_name(data)
        for id_ in result.updated:
            self._forget_after_commit(id_)
        return result

    def _forget_after_commit(self, id_: int) -> None:
        # Should Redis be down then, the entry is served until its ttl runs out (the cache logs it).
        on_commit(self.repository.session, lambda: self.cache.delete(self.cache_key(id_)))
