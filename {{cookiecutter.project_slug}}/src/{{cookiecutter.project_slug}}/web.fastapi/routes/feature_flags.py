"""/api/v1/feature-flags: see and override the flags declared in settings.

{%- if cookiecutter.use_auth %}

Served while `flags.admin_api` is true, to admins only (the table in web/routes/__init__.py guards
the router). A change applies at once in this process, and in the others within `flags.cache_seconds`.
{%- else %}

Served only while `flags.admin_api` is true (by default not in staging and production, as no
authentication guards it yet). A change applies at once in this process, and in the others
within `flags.cache_seconds`.
{%- endif %}
"""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from {{ cookiecutter.project_slug }}.core.flag_rules import FlagList, FlagRule, FlagState
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep

router = APIRouter(prefix="/api/v1/feature-flags", tags=["feature-flags"])


async def get_flag_store(resources: ResourcesDep) -> FlagStore:
    return resources.redis.flags


FlagStoreDep = Annotated[FlagStore, Depends(get_flag_store)]


@router.get("")
async def list_flags(store: FlagStoreDep) -> FlagList:
    """Every declared flag: its default, its override and its value for callers without a user id."""
    return FlagList(flags=await store.states())


@router.get("/{name}")
async def get_flag(store: FlagStoreDep, name: str) -> FlagState:
    return await store.state(name)


@router.put("/{name}")
async def set_flag(store: FlagStoreDep, name: str, body: FlagRule) -> FlagState:
    """Override the flag's default with a rule: on, or off except for listed users and a percentage."""
    return await store.set(name, body)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def unset_flag(store: FlagStoreDep, name: str) -> None:
    """Remove the override, so the flag answers its default again."""
    await store.unset(name)
