"""Gunicorn's master runs our hooks; its main loop exits on any exception from one, workers and all."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from {{ cookiecutter.project_slug }}.core.metrics import MULTIPROCESS_DIRECTORY
from {{ cookiecutter.project_slug }}.web.server import child_exit, master_hook


def test_a_failing_hook_is_logged_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    @master_hook
    def broken(_arbiter: object, _worker: object) -> None:
        raise TypeError("broken hook")

    broken(object(), object())
    (record,) = caplog.records
    assert record.getMessage() == "gunicorn hook broken failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], TypeError)


def test_a_worker_exit_without_a_multiprocess_directory_marks_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One worker runs without a directory; its death must not fail (it stopped the master once)."""
    monkeypatch.delenv(MULTIPROCESS_DIRECTORY, raising=False)
    child_exit(object(), SimpleNamespace(pid=12345))
    assert caplog.records == []


def test_a_dead_workers_live_gauges_are_removed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))
    live_gauge, counter = tmp_path / "gauge_livesum_12345.db", tmp_path / "counter_12345.db"
    live_gauge.touch()
    counter.touch()
    child_exit(object(), SimpleNamespace(pid=12345))
    assert not live_gauge.exists()
    assert counter.exists()  # what it counted happened
    assert caplog.records == []
