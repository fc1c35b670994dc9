"""Heartbeat files for liveness probes: the worker and beat refresh theirs, `heartbeat` checks the age.

Cheaper and truer than `celery inspect ping`, which imports the app for every probe and times
out on a worker whose processes are all busy.
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from celery import bootsteps
from celery.beat import Scheduler
from celery.worker import WorkController

from {{ cookiecutter.project_slug }}.settings import Settings

if TYPE_CHECKING:
    from celery.utils.timer2 import Timer

    from {{ cookiecutter.project_slug }}.worker.app import TaskApp


def heartbeat_path(settings: Settings, process: str) -> Path:
    return settings.celery.heartbeat_dir / f"{{ cookiecutter.project_slug }}-{process}.heartbeat"


def beat(path: Path) -> None:
    path.touch()


def heartbeat_age(path: Path) -> float | None:
    """Seconds since the last heartbeat; None if there has been none."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Refreshed by the worker's own timer: a worker whose main loop is stuck stops refreshing it."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: WorkController, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        settings = cast("TaskApp", worker.app).settings
        self.path = heartbeat_path(settings, "worker")
        self.interval = settings.celery.heartbeat_seconds
        self.timer_entry: Any = None

    def start(self, worker: WorkController) -> None:
        beat(self.path)
        # Made by the Timer step this one requires.
        timer = cast("Timer", worker.timer)
        self.timer_entry = timer.call_repeatedly(self.interval, beat, (self.path,))

    def stop(self, worker: WorkController) -> None:  # noqa: ARG002 - bootstep signature
        if self.timer_entry is not None:
            self.timer_entry.cancel()
        self.path.unlink(missing_ok=True)


class HeartbeatScheduler(Scheduler):
    """Beat's in-memory scheduler, refreshing beat's heartbeat on every tick."""

    def setup_schedule(self) -> None:
        super().setup_schedule()
        self.heartbeat = heartbeat_path(cast("TaskApp", self.app).settings, "beat")

    def tick(self, *args: Any, **kwargs: Any) -> float:
        beat(self.heartbeat)
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        self.heartbeat.unlink(missing_ok=True)
