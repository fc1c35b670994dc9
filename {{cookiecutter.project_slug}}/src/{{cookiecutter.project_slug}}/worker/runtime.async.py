"""What a task runs with: this worker process's resources, opened by its first task and closed at exit.

The services are async, so each worker process keeps one event loop and runs every task on it,
with one pooled engine and one Redis client bound to that loop. (A new loop per task would leave
the pool's connections on loops that no longer run.) Opened lazily, so a prefork child opens its
own after the fork instead of sharing the parent's sockets.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TypeVar

from {{ cookiecutter.project_slug }}.resources import Resources, open_resources
from {{ cookiecutter.project_slug }}.settings import Settings

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._opened: tuple[int, asyncio.AbstractEventLoop, Resources] | None = None

    def run(self, work: Callable[[Resources], Awaitable[T]]) -> T:
        """Run `work` on this process's loop with its resources, to the end."""
        loop, resources = self._open()
        future = asyncio.ensure_future(work(resources), loop=loop)
        try:
            return loop.run_until_complete(future)
        except BaseException:
            # A time limit raises in the middle of the loop: stop the task rather than leave it pending.
            future.cancel()
            with suppress(BaseException):
                loop.run_until_complete(future)
            raise

    def _open(self) -> tuple[asyncio.AbstractEventLoop, Resources]:
        if self._opened is None or self._opened[0] != os.getpid():
            self._opened = (os.getpid(), asyncio.new_event_loop(), open_resources(self._settings))
        _, loop, resources = self._opened
        return loop, resources

    def close(self) -> None:
        """Close this process's resources and loop, if it opened any."""
        if self._opened is None or self._opened[0] != os.getpid():
            return
        _, loop, resources = self._opened
        self._opened = None
        loop.run_until_complete(resources.close())
        loop.close()
