"""The generated projects' own test suites, against real PostgreSQL, MariaDB and Redis."""

import os
import re
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIGURE, Bake
from tests.servers import Server
from tests.variants import Answers, pairwise_variants, variant_id

# Installed from each variant's own pyproject.toml into an empty venv, to catch missing dependencies.
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


@pytest.mark.parametrize("answers", CLEAN_INSTALL, ids=variant_id)
def test_clean_install_passes(bake: Bake, servers: dict[str, Server], answers: Answers, tmp_path: Path) -> None:
    project = bake(**answers)
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{project}[dev]"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    result = run_suite(python, project, suite_environment(answers, servers))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
