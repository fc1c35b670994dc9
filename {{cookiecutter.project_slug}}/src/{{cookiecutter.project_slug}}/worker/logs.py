"""Each task's log lines carry its id and name, and the id of the request that sent it."""

from typing import Any

from celery import Task

from {{ cookiecutter.project_slug }}.core.logging import end_request_context, start_request_context
from {{ cookiecutter.project_slug }}.core.task_queue import REQUEST_ID_HEADER


def bind_task_context(task_id: str, task: Task[Any, Any], **_: Any) -> None:
    # Custom message headers arrive as attributes of the task's request.
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    start_request_context(task_id=task_id, task_name=task.name, request_id=request_id)


def end_task_context(**_: Any) -> None:
    end_request_context()
