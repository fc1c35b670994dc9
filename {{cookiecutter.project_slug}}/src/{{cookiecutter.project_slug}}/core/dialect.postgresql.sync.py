"""PostgreSQL through psycopg: what the engine needs to know about this database and its driver."""

from collections.abc import Callable
from typing import Any

DRIVER = "postgresql+psycopg"
VERSION_QUERY = "SHOW server_version"
CONNECT_TIMEOUT_ARG = "connect_timeout"
# Sessions run in UTC whatever the server's default, so now() and timestamps agree everywhere.
CONNECT_ARGS: dict[str, Any] = {"options": "-c timezone=UTC"}
# Everything is set by CONNECT_ARGS.
CONNECTION_EVENTS: dict[str, Callable[..., Any]] = {}
# Reads outside a unit of work need no transaction: no BEGIN and ROLLBACK round trips.
READ_OPTIONS: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
