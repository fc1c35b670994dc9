"""Background jobs: start one (202 with a Location), then follow it at /api/v1/tasks/{task_id}."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.errors import NotFound
{%- endif %}
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemImport
from {{ cookiecutter.project_slug }}.core.task_schemas import TaskAccepted, TaskRead
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.web.auth import CurrentUser
{%- endif %}
from {{ cookiecutter.project_slug }}.web.deps import ResourcesDep
from {{ cookiecutter.project_slug }}.worker.tasks import IMPORT_ITEMS

router = APIRouter(prefix="/api/v1", tags=["tasks"])


def accepted(response: Response, task_id: str) -> TaskAccepted:
    body = TaskAccepted.for_task(task_id)
    response.headers["Location"] = body.status_url
    return body


@router.post("/items/imports", status_code=status.HTTP_202_ACCEPTED)
{%- if cookiecutter.use_auth %}
async def import_items(
    resources: ResourcesDep, body: ItemImport, response: Response, user: CurrentUser
) -> TaskAccepted:
{%- else %}
async def import_items(resources: ResourcesDep, body: ItemImport, response: Response) -> TaskAccepted:
{%- endif %}
    """Create or update items by name in the background, all or none. 503 if the task queue is down."""
    task_id = await resources.tasks.submit(IMPORT_ITEMS, body.model_dump(mode="json"){% if cookiecutter.use_auth %}, owner_id=user.id{% endif %})
    return accepted(response, task_id)


@router.get("/tasks/{task_id}")
async def get_task(resources: ResourcesDep, task_id: Annotated[UUID, Path()]{% if cookiecutter.use_auth %}, user: CurrentUser{% endif %}) -> TaskRead:
    """The task's state, and its result or its error (a problem document).{% if cookiecutter.use_auth %} Only its starter and admins see it.{% endif %}"""
    task = await resources.tasks.status(str(task_id))
{%- if cookiecutter.use_auth %}
    if not task.readable_by(user.id, admin=Role.ADMIN in user.roles):
        raise NotFound(f"There is no task with id {task_id}.", details={"id": str(task_id)})
{%- endif %}
    return TaskRead.from_status(task)
