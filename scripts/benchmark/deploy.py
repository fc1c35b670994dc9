"""Serving a part's projects: their environment, throwaway servers, baking and migrating for PostgreSQL."""

from __future__ import annotations

import contextlib
import functools
import secrets
from typing import TYPE_CHECKING, TypeVar

from tests import servers
from tests.served_app import app_environment, migrate, serve, serve_command

from .bake import bake, cookiecutter_config
from .config import BenchmarkError, Target
from .report import per_framework, skipped

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from tests.served_app import ServedApp
    from tests.servers import Server

    from .config import Config, Framework
    from .report import Row

Results = TypeVar("Results")


def server_env(pythonpath: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """Production settings, then `extra`; the folder above `pythonpath` holds the SQLite database and $HOME."""
    settings = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(36),
        "DATABASE_URL": f"sqlite:///{pythonpath.parent / 'bench.db'}",
        "LOG_FORMAT": "json",
        **extra,
    }
    return app_environment(pythonpath, pythonpath.parent, settings)


@contextlib.contextmanager
def served(target: Target, logs: Path, command: Callable[[str, int], list[str]] = serve_command) -> Iterator[ServedApp]:
    """Serve the target on a free port, by default with the project's own server and one worker."""
    with serve(
        functools.partial(command, target.module), cwd=target.cwd, env=target.env, log_path=logs.with_suffix(".log")
    ) as app:
        yield app


@contextlib.contextmanager
def throwaway(kind: str, base_dir: Path) -> Iterator[Server]:
    """A throwaway PostgreSQL or Redis server, stopped however the block ends."""
    start: dict[str, Callable[[Path], Server]] = {"PostgreSQL": servers.start_postgresql, "Redis": servers.start_redis}
    base_dir.mkdir(exist_ok=True)  # servers can share it: each keeps its files in a folder of its own
    try:
        server = start[kind](base_dir)
    except (servers.MissingServerBinary, servers.ServerStartError) as exc:
        msg = f"{kind} did not start: {exc}"
        raise BenchmarkError(msg) from exc
    try:
        yield server
    finally:
        server.stop()


def deploy(
    answers: Mapping[str, object],
    server: Server,
    database: str,
    config: Config,
    workdir: Path,
    *,
    env: Mapping[str, str],
) -> Target:
    """Bake the PostgreSQL variant into `workdir` and migrate it into a new database of `server`, `env` set."""
    url = server.create_database(database)
    project = bake({**answers, "database": "postgresql"}, workdir, cookiecutter_config(workdir))
    target_env = server_env(project / "src", {"DATABASE_URL": url, **env, **config.app_env})
    migrate(project.name, target_env, cwd=project)
    return Target(database, project.name, project, target_env)


def with_postgres_and_redis(
    config: Config,
    workdir: Path,
    part: str,
    benchmark: Callable[[Framework, Server, Server, Config, Path], Results],
    rows: Callable[[str, Results], list[Row]],
) -> list[Row]:
    """Every framework against one PostgreSQL and one Redis server: the rows of its `benchmark`."""
    base_dir = workdir / f"{part}-servers"
    try:
        with throwaway("PostgreSQL", base_dir) as postgres, throwaway("Redis", base_dir) as redis_server:
            return per_framework(
                config,
                workdir,
                part,
                lambda framework, directory: rows(
                    framework.name, benchmark(framework, postgres, redis_server, config, directory)
                ),
            )
    except BenchmarkError as exc:  # a server did not start
        return [skipped(part, exc)]
