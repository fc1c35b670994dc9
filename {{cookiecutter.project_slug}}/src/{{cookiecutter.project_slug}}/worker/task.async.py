"""`@task(name)`: a Celery task around a function of this process's resources, retried through outages."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from {{ cookiecutter.project_slug }}.core.errors import ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.core.resilience import DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import CelerySettings

if TYPE_CHECKING:
    from {{ cookiecutter.project_slug }}.worker.app import TaskApp

T = TypeVar("T")

# The database or Redis was unavailable: worth another try. Any other error fails the task at once.
TRANSIENT_ERRORS = (ServiceUnavailable, DependencyUnavailable, RedisConnectionError, RedisTimeoutError)

logger = get_logger(__name__)


class RetriesExhausted(ServiceUnavailable):
    code = "retries_exhausted"
    title = "Retries Exhausted"


def retry_later(task: Task[Any, Any], settings: CelerySettings, exc: Exception) -> Exception:
    """The Retry to raise for a transient failure, sent with exponential backoff and full jitter;
    RetriesExhausted once the task has been retried `max_retries` times.
    """
    retries = task.request.retries
    if retries >= settings.max_retries:
        logger.error("task gave up", retries=retries, error=str(exc))
        return RetriesExhausted(f"Gave up after {retries} retries: {exc}")
    # Jitter spreads the retries of many tasks that failed together over the whole interval.
    countdown = get_exponential_backoff_interval(
        factor=2, retries=retries, maximum=settings.retry_backoff_max, full_jitter=True
    )
    logger.warning("task will retry", retry=retries + 1, countdown=countdown, error=str(exc))
    return task.retry(exc=exc, countdown=countdown, max_retries=settings.max_retries, throw=False)


def task(name: str, *, keep_result: bool = False) -> Callable[[Callable[..., Awaitable[T]]], Task[Any, T]]:
    """Register `work(resources, **kwargs)` as the task `name`, run in one worker process's runtime.

    Only tasks whose result someone reads keep one (`keep_result`).
    """

    def register(work: Callable[..., Awaitable[T]]) -> Task[Any, T]:
        @shared_task(name=name, bind=True, ignore_result=not keep_result)
        def run(self: Task[Any, T], /, **kwargs: Any) -> T:
            app = cast("TaskApp", self.app)
            try:
                return app.runtime.run(partial(work, **kwargs))
            except TRANSIENT_ERRORS as exc:
                raise retry_later(self, app.settings.celery, exc) from exc

        return cast("Task[Any, T]", run)

    return register
