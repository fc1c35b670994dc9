"""monitoring/prometheus: the configuration and alert rules are valid, and the rules pass their unit tests."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PROMETHEUS = "monitoring/prometheus"


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not on PATH: install Prometheus (apt-get install prometheus) to run these")
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", f"{PROMETHEUS}/prometheus.yml"],
        ["check", "rules", f"{PROMETHEUS}/alerts.yml"],
        ["test", "rules", f"{PROMETHEUS}/alerts.test.yml"],
    ],
    ids=["check-config", "check-rules", "test-rules"],
)
def test_promtool_accepts(promtool: str, command: list[str]) -> None:
    """promtool passes the file; its output is the failure message."""
    result = subprocess.run(  # noqa: S603 - promtool from PATH, fixed arguments
        [promtool, *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
