"""What a task runs with: this worker process's resources, opened by its first task and closed at exit.

Opened lazily, so a prefork child opens its own engine and Redis client after the fork instead of
sharing the parent's sockets; each process then keeps one connection pool for all its tasks.
"""

import os
from collections.abc import Callable
from typing import TypeVar

from {{ cookiecutter.project_slug }}.resources import Resources, open_resources
from {{ cookiecutter.project_slug }}.settings import Settings

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._opened: tuple[int, Resources] | None = None

    def run(self, work: Callable[[Resources], T]) -> T:
        """Run `work` with this process's resources."""
        return work(self._open())

    def _open(self) -> Resources:
        if self._opened is None or self._opened[0] != os.getpid():
            self._opened = (os.getpid(), open_resources(self._settings))
        return self._opened[1]

    def close(self) -> None:
        """Close this process's resources, if it opened any."""
        if self._opened is None or self._opened[0] != os.getpid():
            return
        _, resources = self._opened
        self._opened = None
        resources.close()
