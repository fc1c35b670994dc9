"""Feature flags in routes: `@router.get("/search", dependencies=[require_flag("new_search")])`.

{%- if cookiecutter.use_auth %}

Allow-lists and rollouts go by the caller's user id, which web/bearer.py puts in the request state
for a request with a valid token; a caller without one gets the flag's plain on/off value.
{%- else %}

Allow-lists and rollouts go by the caller's user id, read from the request state: whatever
authenticates the request sets it. Until something does, every caller is anonymous and gets the
flag's plain on/off value.
{%- endif %}
"""

from fastapi import Depends, Request, params

from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.web.state import request_state


async def flag_enabled(request: Request, name: str) -> bool:
    """Whether flag `name` is on for this request's caller, for handlers that branch on it."""
    state = request_state(request.scope)
    return await state.resources.redis.flags.is_enabled(name, state.user_id)


def require_flag(name: str) -> params.Depends:
    """A route dependency that answers 404 while flag `name` is off for the caller."""

    async def check_flag(request: Request) -> None:
        if not await flag_enabled(request, name):
            # The same answer as for a path that does not exist: a hidden route stays hidden.
            raise NotFound(f"Not Found: {request.method} {request.url.path}")

    dependency: params.Depends = Depends(check_flag)
    return dependency
