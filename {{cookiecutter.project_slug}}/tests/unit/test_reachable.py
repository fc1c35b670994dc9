"""tests/reachable.py: a test server that does not answer stops the run, with one line naming it."""

import socket

import pytest

from tests.reachable import require_server


def test_a_server_that_accepts_connections_lets_the_run_go_on() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        require_server("TEST_REDIS_URL", f"redis://127.0.0.1:{listening.getsockname()[1]}/15")


def test_a_missing_server_stops_the_run_with_one_line_that_hides_the_password(unused_port: int) -> None:
    with pytest.raises(pytest.UsageError) as stopped:
        require_server("TEST_DATABASE_URL", f"postgresql://app:s3cret@127.0.0.1:{unused_port}/postgres")
    assert str(stopped.value) == (
        f"TEST_DATABASE_URL: no server answers at postgresql://app:***@127.0.0.1:{unused_port}/postgres"
        " (Connection refused); start the dev services with `make services`, or set TEST_DATABASE_URL"
        " to a server that runs"
    )
