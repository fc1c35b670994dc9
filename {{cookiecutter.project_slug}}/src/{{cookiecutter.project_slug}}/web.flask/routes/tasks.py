"""Background jobs: start one (202 with a Location), then follow it at /api/v1/tasks/<task_id>."""

from typing import Any
from uuid import UUID

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.errors import NotFound
{%- endif %}
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemImport
from {{ cookiecutter.project_slug }}.core.task_schemas import TaskAccepted, TaskRead
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.user.roles import Role
from {{ cookiecutter.project_slug }}.web.auth import BEARER, current_user, login_required
{%- endif %}
from {{ cookiecutter.project_slug }}.web.deps import current_resources
from {{ cookiecutter.project_slug }}.worker.tasks import IMPORT_ITEMS

router = APIBlueprint("tasks", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="tasks")]{% if cookiecutter.use_auth %}, abp_security=BEARER{% endif %})


class TaskPath(BaseModel):
    task_id: UUID


def accepted(task_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = TaskAccepted.for_task(task_id)
    return body.model_dump(mode="json"), 202, {"Location": body.status_url}


@router.post("/items/imports", responses={202: TaskAccepted})
{%- if cookiecutter.use_auth %}
@login_required
{%- endif %}
def import_items(body: ItemImport) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create or update items by name in the background, all or none. 503 if the task queue is down."""
    task_id = current_resources().tasks.submit(IMPORT_ITEMS, body.model_dump(mode="json"){% if cookiecutter.use_auth %}, owner_id=current_user().id{% endif %})
    return accepted(task_id)


@router.get("/tasks/<task_id>", responses={200: TaskRead})
{%- if cookiecutter.use_auth %}
@login_required
{%- endif %}
def get_task(path: TaskPath) -> dict[str, Any]:
    """The task's state, and its result or its error (a problem document).{% if cookiecutter.use_auth %} Only its starter and admins see it.{% endif %}"""
    task = current_resources().tasks.status(str(path.task_id))
{%- if cookiecutter.use_auth %}
    user = current_user()
    if not task.readable_by(user.id, admin=Role.ADMIN in user.roles):
        raise NotFound(f"There is no task with id {path.task_id}.", details={"id": str(path.task_id)})
{%- endif %}
    return TaskRead.from_status(task).model_dump(mode="json")
