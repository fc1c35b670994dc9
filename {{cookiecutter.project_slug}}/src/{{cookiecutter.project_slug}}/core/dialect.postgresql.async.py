"""PostgreSQL through asyncpg: what the engine needs to know about this database and its driver."""

from collections.abc import Callable
from typing import Any

DRIVER = "postgresql+asyncpg"
VERSION_QUERY = "SHOW server_version"
CONNECT_TIMEOUT_ARG = "timeout"
# Sessions run in UTC whatever the server's default, so now() and timestamps agree everywhere.
CONNECT_ARGS: dict[str, Any] = {"server_settings": {"timezone": "UTC"}}


def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect, reporting a refused or timed-out socket as a database error.

    asyncpg raises those as bare OSErrors, which SQLAlchemy passes through untranslated.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise dialect.loaded_dbapi.OperationalError(str(exc)) from exc


CONNECTION_EVENTS: dict[str, Callable[..., Any]] = {"do_connect": _connect}
# Reads outside a unit of work need no transaction: no BEGIN and ROLLBACK round trips.
READ_OPTIONS: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
