"""`create_celery(settings)`: the task app of the worker and beat processes.

The Celery settings are core's (core/task_queue.py), shared with the web app that sends tasks;
here the worker side adds its tasks, its schedule, its heartbeats and its logging.
"""

from functools import cached_property
from typing import Any

from celery import Celery, Task, signals

from {{ cookiecutter.project_slug }}.core.logging import configure_logging
from {{ cookiecutter.project_slug }}.core.task_queue import SENT_AT_HEADER, celery_config, stamp_sent_at
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.heartbeat import WorkerHeartbeat
from {{ cookiecutter.project_slug }}.worker.logs import bind_task_context, end_task_context
from {{ cookiecutter.project_slug }}.worker.metrics import MetricsServer, TaskMetrics
from {{ cookiecutter.project_slug }}.worker.runtime import WorkerRuntime
from {{ cookiecutter.project_slug }}.worker.schedule import beat_schedule

# Imported by the worker when it starts, so that its tasks are registered.
TASK_MODULES = ["{{ cookiecutter.project_slug }}.worker.tasks"]


class TaskApp(Celery):
    """The Celery app, with the settings it was made from and this process's resources for its tasks."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("{{ cookiecutter.project_slug }}", set_as_current=False, include=TASK_MODULES)
        self.settings = settings
        self.runtime = WorkerRuntime(settings)

    @cached_property
    def task_metrics(self) -> TaskMetrics:
        """This process's task metrics, made at its first task (a pool process's after the fork)."""
        return TaskMetrics(name for name in self.tasks if not name.startswith("celery."))


def create_celery(settings: Settings) -> TaskApp:
    """Build the task app; nothing connects until a worker or beat starts."""
    app = TaskApp(settings)
    config = celery_config(settings)
    app.config_from_object(
        {
            **config,
            # No read timeout for the worker: its remote-control subscription is quiet for minutes
            # and would be dropped each time; kombu's health check finds dead connections instead.
            "broker_transport_options": {**config["broker_transport_options"], "socket_timeout": None},
            "beat_schedule": beat_schedule(settings),
            # In memory: a static schedule needs no database, so beat can start before migrations.
            "beat_scheduler": "{{ cookiecutter.project_slug }}.worker.heartbeat:HeartbeatScheduler",
            # Beat wakes at least this often, so its heartbeat stays fresh between tasks.
            "beat_max_loop_interval": settings.celery.heartbeat_seconds,
        }
    )
    app.steps["worker"].add(WorkerHeartbeat)
    app.steps["worker"].add(MetricsServer)

    def setup_logging(**_: Any) -> None:
        # A receiver here stops Celery from configuring logging itself.
        configure_logging(settings)

    def close_runtime(**_: Any) -> None:
        app.runtime.close()

    # Signals are global: count only this app's tasks (tests run several apps in one process).
    def task_started(task: Task[Any, Any], **arguments: Any) -> None:
        if task.app is app:
            app.task_metrics.task_started(task=task, **arguments)

    def task_ended(task: Task[Any, Any], **arguments: Any) -> None:
        if task.app is app:
            app.task_metrics.task_ended(task=task, **arguments)

    # weak=False: the receivers are closures that nothing else keeps alive.
    signals.setup_logging.connect(setup_logging, weak=False)
    signals.task_prerun.connect(bind_task_context, weak=False)
    signals.task_postrun.connect(end_task_context, weak=False)
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_ended, weak=False)
    # Retries and beat's tasks are stamped too, where they are sent.
    signals.before_task_publish.connect(stamp_sent_at, dispatch_uid=SENT_AT_HEADER)
    # A prefork child closes its resources as it exits; a solo worker when it shuts down.
    signals.worker_process_shutdown.connect(close_runtime, weak=False)
    signals.worker_shutdown.connect(close_runtime, weak=False)
    return app
