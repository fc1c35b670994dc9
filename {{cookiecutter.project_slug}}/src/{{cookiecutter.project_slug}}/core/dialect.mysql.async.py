"""MySQL or MariaDB through aiomysql: what the engine needs to know about this database and its driver."""  {#- async only #}
{#- sync: """MySQL or MariaDB through PyMySQL: what the engine needs to know about this database and its driver.""" #}

from collections.abc import Callable
from typing import Any

DRIVER = "mysql+aiomysql"  {#- async only #}
{#- sync: DRIVER = "mysql+pymysql" #}
VERSION_QUERY = "SELECT version()"
CONNECT_TIMEOUT_ARG = "connect_timeout"
# 4-byte UTF-8 (emoji), UTC sessions and strict mode (bad values fail instead of being truncated).
CONNECT_ARGS: dict[str, Any] = {
    "charset": "utf8mb4",
    "init_command": "SET time_zone = '+00:00', sql_mode = 'TRADITIONAL'",
}
# Everything is set by CONNECT_ARGS.
CONNECTION_EVENTS: dict[str, Callable[..., Any]] = {}
# As they are: the driver would switch autocommit on and off again, a round trip each way.
READ_OPTIONS: dict[str, Any] = {}
