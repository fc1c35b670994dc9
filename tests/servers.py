"""Throwaway PostgreSQL, MariaDB and Redis servers for the test suite.

As a library (used by the fixtures in ``tests/conftest.py``)::

    server = start_redis(tmp_path)  # blocks until the server accepts connections
    server.url  # "redis://127.0.0.1:PORT/0"
    server.stop()  # idempotent
    server.start()  # same port, same data dir (outage tests)

As a script, ``python tests/servers.py`` starts all three servers, prints the
``TEST_*_URL=...`` lines and stops them again on Ctrl-C or SIGTERM.

Every server listens on 127.0.0.1 only, on a free port, keeps all its files in
the ``base_dir`` passed by the caller and runs as a child of this process.
"""

# PLC0415: drivers are imported inside the readiness checks, so importing this is cheap.
# INP001: tests/ is deliberately not a package. CPY001: the template has no headers.
# ruff: noqa: PLC0415

from __future__ import annotations

import atexit
import functools
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from types import FrameType

STARTUP_TIMEOUT = 30.0  # seconds until a server must accept connections
STOP_TIMEOUT = 30.0  # seconds until a server that ignores its stop signal is killed

_INSTALL = "install it with `apt-get install -y {}` (Debian/Ubuntu) or `brew install {}`"
_INSTALL_POSTGRESQL = _INSTALL.format("postgresql-15", "postgresql@15")
_INSTALL_MARIADB = _INSTALL.format("mariadb-server", "mariadb")
_INSTALL_REDIS = _INSTALL.format("redis-server", "redis")

_ENV_NAMES = {
    "postgresql": "TEST_POSTGRESQL_URL",
    "mysql": "TEST_MYSQL_URL",
    "redis": "TEST_REDIS_URL",
}


class MissingServerBinary(RuntimeError):  # noqa: N818 - public name fixed by the test suite
    """A server program is not installed; the message says how to install it."""


class ServerStartError(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


@dataclass(eq=False)
class _State:
    process: subprocess.Popen[bytes] | None = None


@dataclass(frozen=True, eq=False)
class Server:
    """One server process; ``url`` is an admin URL for creating test databases."""

    name: str
    url: str
    port: int
    log_path: Path
    _argv: tuple[str, ...] = field(repr=False)
    _ready: Callable[[], bool] = field(repr=False)
    _stop_signal: signal.Signals = field(default=signal.SIGTERM, repr=False)
    _uid: int | None = field(default=None, repr=False)  # run as this user (root only)
    _gid: int | None = field(default=None, repr=False)
    _state: _State = field(default_factory=_State, repr=False)

    @property
    def running(self) -> bool:
        process = self._state.process
        return process is not None and process.poll() is None

    def start(self) -> None:
        """Start the server (no-op if running) and wait until it accepts connections."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._state.process = subprocess.Popen(
                [*_parent_death_signal(self._stop_signal), *self._argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.log_path.parent,
                start_new_session=True,  # terminal Ctrl-C reaches us, not the server
                user=self._uid,
                group=self._gid,
                extra_groups=None if self._uid is None else [],
            )
        _RUNNING.add(self)
        try:
            self._wait_until_ready()
        except BaseException:  # also KeyboardInterrupt: never leave the process behind
            self.stop()
            raise

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (PostgreSQL or MariaDB) and return its URL."""
        statement = f"CREATE DATABASE {name}"  # callers pass their own constant names
        if self.name == "postgresql":
            import psycopg  # only this kind of server needs the driver

            with psycopg.connect(self.url, autocommit=True) as postgresql:
                postgresql.execute(statement)
        else:
            import pymysql  # only this kind of server needs the driver

            with pymysql.connect(host="127.0.0.1", port=self.port, user="root") as mysql, mysql.cursor() as cursor:
                cursor.execute(statement)
        return f"{self.url.rsplit('/', 1)[0]}/{name}"

    def stop(self) -> None:
        """Stop the server and wait for it to exit (no-op if not running)."""
        process, self._state.process = self._state.process, None
        _RUNNING.discard(self)
        if process is None or process.poll() is not None:
            return
        process.send_signal(self._stop_signal)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            process = self._state.process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                msg = f"{self.name} exited with code {code} during startup"
                raise ServerStartError(msg + _log_tail(self.log_path))
            if self._ready():
                return
            if time.monotonic() > deadline:
                msg = f"{self.name} not ready after {STARTUP_TIMEOUT:.0f} s"
                raise ServerStartError(msg + _log_tail(self.log_path))
            time.sleep(0.05)


_RUNNING: set[Server] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


@contextmanager
def server_directory() -> Iterator[Path]:
    """A fresh directory for servers' data, removed afterwards.

    Not under pytest's tmp_path: every pytest that starts (a generated project's suite, say) resets
    pytest's base directory to mode 0700, and the postgres user then loses its data directory.
    """
    with tempfile.TemporaryDirectory(prefix="backend-template-servers-") as name:
        yield Path(name)


def start_postgresql(base_dir: Path) -> Server:
    """Start PostgreSQL (trust auth, no fsync); data in ``base_dir/postgresql``."""
    initdb = _find_binary("initdb", _INSTALL_POSTGRESQL, _postgresql_dirs())
    postgres = Path(initdb).resolve().with_name("postgres")  # same version as initdb
    if not postgres.is_file():
        msg = f"{postgres} not found next to {initdb}; {_INSTALL_POSTGRESQL}"
        raise MissingServerBinary(msg)
    base_dir = base_dir.resolve()
    data_dir = base_dir / "postgresql"
    data_dir.mkdir(mode=0o700)
    uid = gid = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            msg = (
                "running PostgreSQL as root needs a 'postgres' user: "
                "useradd --system postgres (apt-get install -y postgresql-15 adds one)"
            )
            raise ServerStartError(msg) from None
        uid, gid = account.pw_uid, account.pw_gid
        os.chown(data_dir, uid, gid)
        _make_traversable(base_dir)
    log_path = base_dir / "postgresql.log"
    initdb_argv = [initdb, "-D", str(data_dir), "-A", "trust", "-U", "postgres"]
    _run([*initdb_argv, "--no-sync", "-E", "UTF8", "--locale=C"], log_path, uid, gid)
    port = _free_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",  # TCP only
        "fsync": "off",
        "full_page_writes": "off",
        "synchronous_commit": "off",
    }
    options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
    server = Server(
        name="postgresql",
        url=url,
        port=port,
        log_path=log_path,
        _argv=(str(postgres), "-D", str(data_dir), "-p", str(port), *options),
        _ready=functools.partial(_postgresql_ready, url),
        _stop_signal=signal.SIGINT,  # fast shutdown, as `pg_ctl stop -m fast`
        _uid=uid,
        _gid=gid,
    )
    server.start()
    return server


def start_mariadb(base_dir: Path) -> Server:
    """Start MariaDB (root without password over TCP); data in ``base_dir/mariadb``."""
    install_db = _find_binary("mariadb-install-db", _INSTALL_MARIADB)
    mariadbd = _find_binary("mariadbd", _INSTALL_MARIADB)
    base_dir = base_dir.resolve()
    data_dir = base_dir / "mariadb"
    data_dir.mkdir()
    log_path = base_dir / "mariadb.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    _run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={data_dir}",
            *as_root,
            "--auth-root-authentication-method=normal",  # root@127.0.0.1, no password
            "--skip-test-db",
            "--skip-name-resolve",
        ],
        log_path,
    )
    port = _free_port()
    server = Server(
        name="mysql",
        url=f"mysql://root@127.0.0.1:{port}/mysql",
        port=port,
        log_path=log_path,
        _argv=(
            mariadbd,
            "--no-defaults",
            *as_root,
            f"--datadir={data_dir}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={base_dir / 'mysql.sock'}",
            "--skip-name-resolve",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ),
        _ready=functools.partial(_mariadb_ready, port),
    )
    server.start()
    return server


def start_redis(base_dir: Path) -> Server:
    """Start Redis without persistence; working dir ``base_dir/redis``."""
    redis_server = _find_binary("redis-server", _INSTALL_REDIS)
    base_dir = base_dir.resolve()
    data_dir = base_dir / "redis"
    data_dir.mkdir()
    port = _free_port()
    server = Server(
        name="redis",
        url=f"redis://127.0.0.1:{port}/0",
        port=port,
        log_path=base_dir / "redis.log",
        _argv=(
            redis_server,
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
        ),
        _ready=functools.partial(_redis_ready, port),
    )
    server.start()
    return server


def test_environment(servers: Mapping[str, Server]) -> dict[str, str]:
    """Map servers to TEST_POSTGRESQL_URL, TEST_MYSQL_URL and TEST_REDIS_URL."""
    return {_ENV_NAMES[server.name]: server.url for server in servers.values()}


# Not a test, despite the name: keep pytest from collecting it where it is imported.
test_environment.__test__ = False  # type: ignore[attr-defined]


def _postgresql_ready(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def _mariadb_ready(port: int) -> bool:
    import pymysql

    try:
        pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=2).close()
    except pymysql.err.MySQLError:
        return False
    return True


def _redis_ready(port: int) -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_connect_timeout=2,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),  # the caller polls; no hidden retries
    )
    try:
        with client:
            client.ping()
    except redis.RedisError:
        return False
    return True


def _find_binary(name: str, install: str, extra_dirs: list[str] | None = None) -> str:
    """Look on PATH, then in ``extra_dirs``, /usr/sbin and /usr/local/sbin."""
    extra = [*(extra_dirs or []), "/usr/sbin", "/usr/local/sbin"]
    path = os.pathsep.join([os.environ.get("PATH", ""), *extra])
    found = shutil.which(name, path=path)
    if found is None:
        msg = f"{name} not found on PATH or in {', '.join(extra)}; {install}"
        raise MissingServerBinary(msg)
    return found


def _postgresql_dirs() -> list[str]:
    """Debian's versioned bin dirs (15 first, then newest first) and Homebrew's keg."""

    def preference(bin_dir: Path) -> tuple[bool, int]:
        version = bin_dir.parent.name
        return version == "15", int(version) if version.isdigit() else 0

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=preference, reverse=True)
    homebrew = [f"{prefix}/opt/postgresql@15/bin" for prefix in ("/opt/homebrew", "/usr/local")]
    return [*map(str, debian), *homebrew]


def _parent_death_signal(sig: signal.Signals) -> list[str]:
    """Prefix that makes Linux send ``sig`` to the server if this process dies.

    Covers a test run that is killed before its fixtures can stop the servers.
    (The signal follows the death of the *thread* that started the server.)
    """
    setpriv = shutil.which("setpriv") if sys.platform == "linux" else None
    return [setpriv, f"--pdeathsig={sig.name}", "--"] if setpriv else []


def _make_traversable(path: Path) -> None:
    """Let other users (the postgres user) search ``path`` and its parents (o+x)."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _run(argv: list[str], log_path: Path, uid: int | None = None, gid: int | None = None) -> None:
    """Run a setup command, appending its output to ``log_path``."""
    with log_path.open("ab") as log:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=log_path.parent,
            user=uid,
            group=gid,
            extra_groups=None if uid is None else [],
            check=False,
        )
    if result.returncode != 0:
        msg = f"{Path(argv[0]).name} failed with exit code {result.returncode}"
        raise ServerStartError(msg + _log_tail(log_path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.splitlines()[-lines:]) or "(empty)"
    return f"; last lines of {log_path}:\n{tail}"


def main() -> None:
    """Start all servers, print their environment lines, stop them on Ctrl-C/SIGTERM."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: Python leaves it ignored when a shell starts us in the background.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    servers: dict[str, Server] = {}
    with server_directory() as tmp:
        try:
            for start in (start_postgresql, start_mariadb, start_redis):
                began = time.monotonic()
                server = start(Path(tmp))
                servers[server.name] = server
                print(
                    f"# {server.name} ready in {time.monotonic() - began:.1f} s",
                    file=sys.stderr,
                )
            for key, value in test_environment(servers).items():
                print(f"{key}={value}", flush=True)
            print("# Press Ctrl-C to stop the servers.", file=sys.stderr)
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    main()
