"""Before any test runs, the test servers must answer; otherwise the run stops with one line.

A missing server would otherwise fail hundreds of tests, each with a connection-refused traceback.
"""

import socket
from urllib.parse import urlsplit

import pytest

CONNECT_TIMEOUT_S = 2.0
DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "redis": 6379}


def require_server(variable: str, url: str) -> None:
    """Stop the run unless something accepts connections where `url` (from `variable`) points."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.split("+")[0], 0)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        # pytest prints a usage error as one line, "ERROR: ...", and exits with status 4.
        message = (
            f"{variable}: no server answers at {shown} ({error.strerror or type(error).__name__}); "
            f"start the dev services with `make services`, or set {variable} to a server that runs"
        )
        raise pytest.UsageError(message) from None
