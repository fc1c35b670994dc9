{# Generated from db.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The database: a sync engine built from DATABASE_URL, sessions and the unit of work."""

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import sqlalchemy
from sqlalchemy import URL, Connection, Engine, Pool, QueuePool, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from {{ cookiecutter.project_slug }}.core.database_errors import as_app_error
from {{ cookiecutter.project_slug }}.core.dialect import (
    CONNECT_ARGS,
    CONNECT_TIMEOUT_ARG,
    CONNECTION_EVENTS,
    DRIVER,
    READ_OPTIONS,
)
from {{ cookiecutter.project_slug }}.core.errors import AppError
from {{ cookiecutter.project_slug }}.settings import Settings

# Opens a connection for one read outside any unit of work (see read_engine).
Connect = Callable[[], AbstractContextManager[Connection]]


def engine_url(database_url: str) -> URL:
    """DATABASE_URL with this engine's driver, whatever driver the URL named."""
    return make_url(database_url).set(drivername=DRIVER)


def pool_status(pool: Pool) -> dict[str, int]:
    if not isinstance(pool, QueuePool):
        return {}
    # overflow() counts down from -pool_size while the pool fills; report only real overflow.
    return {
        "pool_size": pool.size(),
        "checked_out": pool.checkedout(),
        "idle": pool.checkedin(),
        "overflow": max(pool.overflow(), 0),
    }


def timed_pool(on_wait: Callable[[float], None]) -> type[QueuePool]:
    """A pool class that tells `on_wait` how many seconds each checkout waited for its connection."""

    # A class rather than pool events: SQLAlchemy has none before a checkout, and the engine's
    # dispose() replaces the pool with a new one of the same class.
    class TimedPool(QueuePool):
        def _do_get(self) -> ConnectionPoolEntry:
            started = time.perf_counter()
            try:
                return super()._do_get()
            finally:
                on_wait(time.perf_counter() - started)

    return TimedPool


def create_engine(settings: Settings, *, on_pool_wait: Callable[[float], None] | None = None) -> Engine:
    """Build the engine; nothing connects until the first query."""
    database = settings.database
    engine = sqlalchemy.create_engine(
        engine_url(settings.database_url),
        pool_size=database.pool_size,
        max_overflow=database.max_overflow,
        pool_timeout=database.pool_timeout,
        pool_recycle=database.pool_recycle,
        pool_pre_ping=True,
        echo=database.echo,
        connect_args={**CONNECT_ARGS, CONNECT_TIMEOUT_ARG: database.connect_timeout},
        poolclass=None if on_pool_wait is None else timed_pool(on_pool_wait),
    )
    for name, listener in CONNECTION_EVENTS.items():
        event.listen(engine, name, listener)
    return engine


def read_engine(engine: Engine) -> Engine:
    """The engine, on the same pool, for single reads outside any unit of work (no transaction where it costs)."""
    return engine.execution_options(**READ_OPTIONS)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: a response is built from them without another query.
    return sessionmaker(engine, expire_on_commit=False)


# Where a session keeps the callbacks to run once its transaction has committed.
AFTER_COMMIT_KEY = "after_commit"


def on_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the session's unit of work has committed; never if it rolls back.

    For effects outside the database that must not get ahead of it, such as forgetting a cached row.
    """
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


def run_after_commit(session: Session) -> None:
    for callback in session.info.pop(AFTER_COMMIT_KEY, []):
        callback()


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block succeeds, rolled back when anything raises.

    Database failures leave as domain errors: a conflict (409) or an unavailable database (503).
    An AppError with `keeps_changes` is raised again after the commit instead.
    """
    kept: AppError | None = None
    try:
        with sessions.begin() as session:
            try:
                yield session
            except AppError as exc:
                if not exc.keeps_changes:
                    raise
                kept = exc
    except SQLAlchemyError as exc:
        error = as_app_error(exc)
        if error is None:
            raise
        raise error from exc
    run_after_commit(session)
    if kept is not None:
        raise kept
