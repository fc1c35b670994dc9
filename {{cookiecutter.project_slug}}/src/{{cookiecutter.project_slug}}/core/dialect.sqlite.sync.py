{# Generated from dialect.sqlite.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""SQLite through sqlite3: what the engine needs to know about this database and its driver."""

from collections.abc import Callable
from typing import Any

DRIVER = "sqlite+pysqlite"
VERSION_QUERY = "SELECT sqlite_version()"
# sqlite3 opens files, not connections: wait this long for a locked database instead.
CONNECT_TIMEOUT_ARG = "timeout"
CONNECT_ARGS: dict[str, Any] = {}


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys, use WAL (readers never block the writer) and leave BEGIN to SQLAlchemy.

    The driver's own implicit transactions would break SAVEPOINT and transactional DDL.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


CONNECTION_EVENTS: dict[str, Callable[..., Any]] = {"connect": _on_connect, "begin": _on_begin}
# As they are: AUTOCOMMIT would hand transactions back to sqlite3 when the connection is returned.
READ_OPTIONS: dict[str, Any] = {}
