"""`{{ cookiecutter.project_slug }} worker | beat | heartbeat`: the background task processes and their liveness probe."""

import os
from enum import StrEnum
from typing import Annotated

import typer

from {{ cookiecutter.project_slug }}.cli.console import console, error_console, settings_or_exit
from {{ cookiecutter.project_slug }}.core.metrics import multiprocess_directory
from {{ cookiecutter.project_slug }}.worker.app import create_celery
from {{ cookiecutter.project_slug }}.worker.heartbeat import heartbeat_age, heartbeat_path

app = typer.Typer()

# Heartbeats a probe lets pass before it calls the process dead.
MISSED_HEARTBEATS = 3


class Process(StrEnum):
    WORKER = "worker"
    BEAT = "beat"


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: CELERY__CONCURRENCY, else one per CPU).")
    ] = None,
) -> None:
    """Run a worker: takes tasks from the broker and runs them, one per process at a time."""
    settings = settings_or_exit()
    argv = ["worker", f"--loglevel={settings.log_level}", "--without-gossip", "--without-mingle"]
    processes = concurrency or settings.celery.concurrency or os.cpu_count() or 1
    argv.append(f"--concurrency={processes}")
    # The pool's processes run the tasks and the main process serves their metrics: one more.
    with multiprocess_directory(processes + 1, "{{ cookiecutter.project_slug }}"):
        create_celery(settings).worker_main(argv)


@app.command()
def beat() -> None:
    """Run beat, which sends the periodic tasks on schedule. Run exactly one per deployment."""
    settings = settings_or_exit()
    create_celery(settings).start(["beat", f"--loglevel={settings.log_level}"])


@app.command()
def heartbeat(
    process: Process,
    max_age: Annotated[
        float | None, typer.Option(min=0, help="Seconds (default: three CELERY__HEARTBEAT_SECONDS).")
    ] = None,
) -> None:
    """Exit 0 if the worker's (or beat's) heartbeat is fresh, 1 if not: a liveness probe."""
    settings = settings_or_exit()
    limit = max_age if max_age is not None else MISSED_HEARTBEATS * settings.celery.heartbeat_seconds
    age = heartbeat_age(heartbeat_path(settings, process.value))
    if age is None:
        error_console.print(f"{process.value}: no heartbeat yet in {settings.celery.heartbeat_dir}")
        raise typer.Exit(1)
    if age > limit:
        error_console.print(f"{process.value}: last heartbeat {age:.0f}s ago (limit {limit:g}s)")
        raise typer.Exit(1)
    console.print(f"{process.value}: alive ({age:.1f}s ago)")
