{# Generated from task_queue.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""Background tasks as the web app and the CLI see them: send one by name, read how it went.

The Celery configuration lives here too, because both sides of the broker share it: the worker
(worker/app.py) adds its tasks and processes to it. Delivery is at least once, so every task
must be idempotent (see worker/tasks.py).
"""

import json
import math
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from celery import Celery, signals
from kombu.exceptions import KombuError
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.core.db import on_commit
from {{ cookiecutter.project_slug }}.core.errors import AppError, NotFound, ServiceUnavailable
from {{ cookiecutter.project_slug }}.core.logging import current_log_context
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.resilience import CircuitBreaker, DependencyUnavailable
from {{ cookiecutter.project_slug }}.settings import Settings

# The message header that carries the web request's id into the task's log lines.
REQUEST_ID_HEADER = "request_id"
# The message header with the time a task was sent: the worker measures its wait in the queue from it.
SENT_AT_HEADER = "sent_at"
# The periodic canary task (worker/tasks.py) writes when it last ran; kept a week.
CANARY_KEPT_SECONDS = 7 * 24 * 3600


def canary_key(key_prefix: str) -> str:
    return f"{key_prefix}:canary"


class TaskQueueUnavailable(ServiceUnavailable):
    code = "task_queue_unavailable"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery's settings, each default chosen for reliability over throughput."""
    celery = settings.celery
    # The services sharing a Redis server keep their own queues and results apart.
    redis_options = {
        "global_keyprefix": f"{settings.redis.key_prefix}:celery:",
        "socket_timeout": settings.redis.socket_timeout,
        "socket_connect_timeout": settings.redis.connect_timeout,
    }
    return {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend,
        # JSON only: a pickled message from anyone who can write to the broker would run code here.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Acknowledged when the task has run, and handed back if its process dies: a crash loses no
        # task, at the price of running it again (hence idempotent tasks).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A task cut off with its worker's broker connection runs again elsewhere; stop this copy.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Each process reserves one message at a time: a long task holds back no others.
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": celery.soft_time_limit,
        "task_time_limit": celery.time_limit,
        # Longer than any task runs or waits for a retry (settings check it), or it is delivered twice.
        "broker_transport_options": {"visibility_timeout": celery.visibility_timeout, **redis_options},
        "result_backend_transport_options": redis_options,
        "redis_socket_timeout": settings.redis.socket_timeout,
        "redis_socket_connect_timeout": settings.redis.connect_timeout,
        # SIGTERM lets running tasks finish for this long; the rest go back to the queue.
        "worker_soft_shutdown_timeout": celery.shutdown_timeout,
        # Results cost a write per task; the tasks whose result someone reads ask for one.
        "task_ignore_result": True,
        # Except failures: someone will ask why a task failed.
        "task_store_errors_even_if_ignored": True,
        "task_track_started": True,
        "result_expires": celery.result_expires,
        # A state or result write that meets a dropped connection (Redis restarted) is tried again.
        "result_backend_always_retry": True,
        "result_backend_max_retries": 3,
        # Workers that start before Redis keep trying instead of exiting.
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": celery.publish_timeout,
        # One quick retry on a dropped connection, then the caller hears the broker is down.
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        # The project's logging (core/logging.py) stays in charge of the root logger and stdout.
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "enable_utc": True,
    }


def stamp_sent_at(headers: dict[str, Any], **_: Any) -> None:
    """Celery's before_task_publish signal, in every process that sends tasks (web app, worker, beat)."""
    headers[SENT_AT_HEADER] = time.time()


def create_task_client(settings: Settings) -> Celery:
    """A Celery app that sends tasks by name and reads their results; nothing connects here."""
    client = Celery("{{ cookiecutter.project_slug }}", set_as_current=False)
    client.config_from_object(celery_config(settings))
    signals.before_task_publish.connect(stamp_sent_at, dispatch_uid=SENT_AT_HEADER)
    return client


@dataclass(frozen=True, slots=True)
class TaskStatus:
    id: str
    name: str
    # Who started it (None: the service itself, or no authentication).
    owner_id: int | None
    # Celery's state: PENDING (queued), STARTED, RETRY, SUCCESS or FAILURE.
    state: str
    result: Any = None
    # A problem's code, title and detail when the task failed.
    error: dict[str, str] | None = None

    def readable_by(self, user_id: int | None, *, admin: bool) -> bool:
        """Whether a caller may see this task: the one who started it, or an admin."""
        return self.owner_id is None or admin or self.owner_id == user_id


def describe_failure(exc: object) -> dict[str, str]:
    """What a caller may learn of a failed task: a domain error's own words, or nothing internal."""
    if isinstance(exc, AppError):
        return {"code": exc.code, "title": exc.title, "detail": exc.message}
    return {"code": "task_failed", "title": "Task Failed", "detail": "The task failed; its log has the details."}


class TaskQueue:
    """Sends tasks and reads their status. A record per task (who started it, which task) is kept
    in Redis, so only tasks sent through here can be looked up, and only by the id they got.
    """

    def __init__(
        self,
        client: Celery,
        redis: Redis,
        breaker: CircuitBreaker,
        *,
        key_prefix: str,
        settings: Settings,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        """`on_sent(name)` hears of each task handed to the broker (metrics)."""
        self.client = client
        self._on_sent = on_sent
        self._redis = redis
        self._breaker = breaker
        self._key_prefix = f"{key_prefix}:task"
        self._canary_key = canary_key(key_prefix)
        self._expires = settings.celery.result_expires
        # Whole seconds for kombu.
        self._connect_timeout = math.ceil(settings.celery.publish_timeout)

    def _key(self, task_id: str) -> str:
        return f"{self._key_prefix}:{task_id}"

    def submit(self, name: str, kwargs: dict[str, Any], *, owner_id: int | None = None) -> str:
        """Send task `name` now; its id. TaskQueueUnavailable (503) if the broker cannot take it.

        Nothing is left half done on failure, so the caller may simply try again. A request that
        also writes sends with `submit_after_commit`, or a worker could start before the commit.
        """
        task_id = str(uuid.uuid4())
        self._send(task_id, name, kwargs, owner_id)
        return task_id

    def submit_after_commit(
        self, session: Session, name: str, kwargs: dict[str, Any], *, owner_id: int | None = None
    ) -> str:
        """Send task `name` once the session's unit of work commits, never if it rolls back; its id now.

        Redis is checked first, so with Redis down the request fails (503) before anything commits.
        Should the broker fail in the moment after the commit, the changes stay and the caller gets
        a 503 all the same: the request must be safe to repeat, like the task.
        """
        try:
            guarded(self._breaker, self._redis.ping)
        except (DependencyUnavailable, RedisError, OSError) as exc:
            raise TaskQueueUnavailable("The task queue is unavailable; try again shortly.") from exc
        task_id = str(uuid.uuid4())
        on_commit(session, partial(self._send, task_id, name, kwargs, owner_id))
        return task_id

    def _send(self, task_id: str, name: str, kwargs: dict[str, Any], owner_id: int | None) -> None:
        record = json.dumps({"name": name, "owner_id": owner_id})
        try:
            guarded(self._breaker, partial(self._redis.set, self._key(task_id), record, ex=self._expires))
            self._publish(task_id, name, kwargs)
        except (DependencyUnavailable, KombuError, RedisError, OSError) as exc:
            self._forget(task_id)
            raise TaskQueueUnavailable("The task queue is unavailable; try again shortly.") from exc
        if self._on_sent is not None:
            self._on_sent(name)

    def _publish(self, task_id: str, name: str, kwargs: dict[str, Any]) -> None:
        headers = {REQUEST_ID_HEADER: current_log_context().get("request_id")}
        self.client.send_task(name, kwargs=kwargs, task_id=task_id, headers=headers, retry=True)

    def _forget(self, task_id: str) -> None:
        # Should Redis be down, the record expires with the results; a lookup meanwhile says PENDING.
        with suppress(DependencyUnavailable):
            guarded(self._breaker, partial(self._redis.delete, self._key(task_id)))

    def status(self, task_id: str) -> TaskStatus:
        """The task's state and result; NotFound (404) for an id this queue did not send (or expired)."""
        try:
            raw = guarded(self._breaker, partial(self._redis.get, self._key(task_id)))
            if raw is None:
                raise NotFound(f"There is no task with id {task_id}.", details={"id": task_id})
            # Only for a task this queue sent: an unknown id costs no read of the result backend.
            meta = self.client.backend.get_task_meta(task_id)
        except (DependencyUnavailable, KombuError, RedisError, OSError) as exc:
            raise TaskQueueUnavailable("The task queue is unavailable; try again shortly.") from exc
        record = json.loads(raw)
        state = str(meta["status"])
        status = TaskStatus(id=task_id, name=record["name"], owner_id=record["owner_id"], state=state)
        if state == "SUCCESS":
            return replace(status, result=meta["result"])
        if state == "FAILURE":
            return replace(status, error=describe_failure(meta["result"]))
        return status

    def check_broker(self) -> dict[str, Any]:
        """Readiness: the broker accepts a connection; and how long ago the canary task last ran."""
        self._connect_broker()
        details: dict[str, Any] = {"transport": self.client.conf.broker_url.split(":", 1)[0]}
        last_run = guarded(self._breaker, partial(self._redis.get, self._canary_key))
        if last_run is not None:
            details["canary_age_seconds"] = round(time.time() - float(last_run))
        return details

    def _connect_broker(self) -> None:
        with self.client.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=self._connect_timeout)

    def close(self) -> None:
        self.client.close()
