"""Feature flags in routes: `@router.get("/search", dependencies=[require_flag("new_search")])`.

Allow-lists and rollouts need the caller's user id, which this module reads from
`request.state.user_id`: whatever authenticates the request sets it. Until something does, every
caller is anonymous and gets the flag's plain on/off value.
"""

from fastapi import Depends, Request, params

from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.web.deps import get_resources


def current_user_id(request: Request) -> str | int | None:
    user_id: str | int | None = getattr(request.state, "user_id", None)
    return user_id


async def flag_enabled(request: Request, name: str) -> bool:
    """Whether flag `name` is on for this request's caller, for handlers that branch on it."""
    resources = await get_resources(request)
    return await resources.redis.flags.is_enabled(name, current_user_id(request))


def require_flag(name: str) -> params.Depends:
    """A route dependency that answers 404 while flag `name` is off for the caller."""

    async def check_flag(request: Request) -> None:
        if not await flag_enabled(request, name):
            # The same answer as for a path that does not exist: a hidden route stays hidden.
            raise NotFound(f"Not Found: {request.method} {request.url.path}")

    dependency: params.Depends = Depends(check_flag)
    return dependency
