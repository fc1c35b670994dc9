"""Throwaway SQLite databases: files in a temporary folder, deleted with it."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def temporary_database() -> Iterator[str]:
    """Yield the URL of a new, empty database file; delete it afterwards."""
    with tempfile.TemporaryDirectory(prefix="test_{{ cookiecutter.project_slug }}_") as folder:
        yield f"sqlite:///{Path(folder) / 'test.db'}"
