"""Dependencies for route handlers, as `Annotated` aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.resources import Resources
from {{ cookiecutter.project_slug }}.web.state import request_state


# Dependencies are `async def` even without awaiting: FastAPI runs plain `def` ones in a thread.
async def get_resources(request: Request) -> Resources:
    return request_state(request.scope).resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed if the handler returns, rolled back if it raises."""
    async with unit_of_work(resources.sessions) as session:
        yield session


# scope="function" ends the transaction before the response is sent, so a failed commit is
# reported to the caller instead of after a success it already received.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
