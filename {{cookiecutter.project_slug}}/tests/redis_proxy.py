"""A TCP relay in front of the real test Redis server, which a test can cut and restore.

Cut, the relay behaves like a stopped server: its port refuses connections and the open ones are
reset. Restored, it listens on the same port again. The app under test keeps its Redis URL, as it
would across a real server restart. Frozen, it behaves like a hung server: connections are
accepted and commands swallowed, never answered, until it thaws.
"""

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

BUFFER_BYTES = 64 * 1024


class RedisProxy:
    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        self._target = target
        self._address = (target.hostname or "127.0.0.1", target.port or 6379)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._port = 0
        self._frozen = threading.Event()
        # Chunks of commands swallowed while frozen: roughly, the calls that waited for a timeout.
        self.stalled_requests = 0

    @property
    def url(self) -> str:
        """The target's URL (same database and credentials) with the relay's port."""
        credentials = self._target.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self._port}" if credentials else f"127.0.0.1:{self._port}"
        return urlunsplit(self._target._replace(netloc=netloc))

    def restore(self) -> None:
        """Listen (again, on the same port) and relay every new connection."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen()
        self._port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # Close alone leaves the port accepting while _accept() blocks on it; shutdown wakes it.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                # Zero linger: close with a reset, as a dead server's host does.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.close()

    def freeze(self) -> None:
        """Keep connections open but answer nothing."""
        self.stalled_requests = 0
        self._frozen.set()

    def thaw(self) -> None:
        """Answer again; the connections that lost commands are reset, as after a server restart."""
        self._frozen.clear()
        self.cut()
        self.restore()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self._address, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, commands: bool) -> None:
        try:
            while data := source.recv(BUFFER_BYTES):
                if commands and self._frozen.is_set():
                    self.stalled_requests += 1
                    continue
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@contextmanager
def redis_proxy(target_url: str) -> Iterator[RedisProxy]:
    proxy = RedisProxy(target_url)
    proxy.restore()
    try:
        yield proxy
    finally:
        proxy.cut()
