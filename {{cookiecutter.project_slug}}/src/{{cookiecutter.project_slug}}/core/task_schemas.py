"""Background tasks as the API shows them."""

from typing import Any

from pydantic import BaseModel

from {{ cookiecutter.project_slug }}.core.task_queue import TaskStatus

TASKS_PATH = "/api/v1/tasks"


class TaskAccepted(BaseModel):
    """A task was queued; follow it at `status_url` (also the response's Location)."""

    id: str
    status_url: str

    @classmethod
    def for_task(cls, task_id: str) -> "TaskAccepted":
        return cls(id=task_id, status_url=f"{TASKS_PATH}/{task_id}")


class TaskRead(BaseModel):
    id: str
    name: str
    # PENDING (queued), STARTED, RETRY, SUCCESS or FAILURE.
    state: str
    result: Any = None
    # A problem document (RFC 9457 members) when the task failed.
    error: dict[str, Any] | None = None

    @classmethod
    def from_status(cls, status: TaskStatus) -> "TaskRead":
        error = status.error and {"type": f"urn:problem:{status.error['code']}", **status.error}
        return cls(id=status.id, name=status.name, state=status.state, result=status.result, error=error)
