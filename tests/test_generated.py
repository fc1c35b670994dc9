"""The generated projects' own test suites, against real PostgreSQL, MariaDB and Redis."""

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tests.conftest import FIGURE, Bake
from tests.served_app import free_port
from tests.servers import Server
from tests.variants import Answers, pairwise_variants, variant_id

PROJECT_NAME = "my-service"  # the default project_slug's distribution
# Installed as a new user does (`make install`: uv sync into the project's .venv), to catch missing
# dependencies and show that the tested set is what gets installed.
CLEAN_INSTALL = [
    {"framework": "fastapi", "database": "postgresql", "use_redis": True},
    {"framework": "flask", "database": "mysql", "use_redis": False, "use_celery": False},
]


def suite_environment(answers: Answers, servers: dict[str, Server]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TEST_", "PYTEST_"))}
    database = answers.get("database", "postgresql")
    if database != "sqlite":
        env["TEST_DATABASE_URL"] = servers[database].url
    env["TEST_REDIS_URL"] = servers["redis"].url
    return env


def run_suite(python: Path, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.parametrize("answers", pairwise_variants(), ids=variant_id)
def test_generated_suite_passes(
    bake: Bake, servers: dict[str, Server], answers: Answers, record_property: Callable[[str, object], None]
) -> None:
    project = bake(**answers)
    result = run_suite(Path(sys.executable), project, suite_environment(answers, servers))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None, result.stdout[-3000:]
    record_property(f"{FIGURE}tests passed", int(passed.group(1)))
    assert "Required test coverage of 90" in result.stdout


def installed_versions(python: Path) -> dict[str, str]:
    """Every distribution in `python`'s environment, by normalized name."""
    listed = subprocess.run(
        ["uv", "pip", "list", "--python", str(python), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return {canonicalize_name(item["name"]): item["version"] for item in json.loads(listed)}


def pins_of(project: Path) -> dict[str, str]:
    """The project's uv constraints whose markers hold here, by normalized name."""
    constraints = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]["constraint-dependencies"]
    pins: dict[str, str] = {}
    for constraint in constraints:
        requirement, _, marker = constraint.partition(";")
        if not marker or Marker(marker).evaluate():
            name, _, version = requirement.strip().partition("==")
            pins[canonicalize_name(name)] = version
    return pins


@pytest.mark.parametrize("answers", CLEAN_INSTALL, ids=variant_id)
def test_clean_install_passes(bake: Bake, servers: dict[str, Server], answers: Answers) -> None:
    """`make install` as a new user runs it (uv sync, which writes uv.lock), then the suite in that venv."""
    project = bake(**answers)
    install = subprocess.run(
        ["make", "install"],
        cwd=project,
        env={key: value for key, value in os.environ.items() if not key.startswith(("UV_", "VIRTUAL_ENV"))},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert (project / "uv.lock").is_file()
    python = project / ".venv" / "bin" / "python"
    installed = installed_versions(python)
    del installed[PROJECT_NAME]
    pins = pins_of(project)
    assert {name: version for name, version in installed.items() if pins.get(name) != version} == {}
    result = run_suite(python, project, suite_environment(answers, servers))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_a_missing_test_server_stops_the_suite_at_once_with_one_line(
    bake: Bake, record_property: Callable[[str, object], None]
) -> None:
    """A newcomer's `make test` with no database server running: one line, not hundreds of tracebacks."""
    project = bake()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TEST_", "PYTEST_"))}
    url = f"postgresql://app:app@127.0.0.1:{free_port()}/postgres"
    env["TEST_DATABASE_URL"] = url
    started = time.perf_counter()
    result = run_suite(Path(sys.executable), project, env)
    record_property(f"{FIGURE}seconds to stop", round(time.perf_counter() - started, 2))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-3000:] + result.stderr[-3000:]
    assert (result.stdout + result.stderr).strip().splitlines() == [
        f"ERROR: TEST_DATABASE_URL: no server answers at {url.replace(':app@', ':***@')} (Connection refused);"
        " start the dev services with `make services`, or set TEST_DATABASE_URL to a server that runs"
    ]
