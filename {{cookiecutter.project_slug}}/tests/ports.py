"""Loopback ports for the servers tests start."""

import socket


def free_port() -> int:
    """A loopback port nothing listens on now; the OS may hand it out again once this returns."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
