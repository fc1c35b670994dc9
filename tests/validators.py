"""The offline validators the template's own venv holds (hadolint, docker-compose, check-jsonschema,
actionlint), run on a baked project's files."""

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def failures(commands: list[list[str]], project: Path) -> list[str]:
    """The output of each of `commands` (run in `project`, the first word from the venv) that failed."""
    found = []
    for tool, *arguments in commands:
        result = subprocess.run(
            [str(BIN / tool), *arguments], cwd=project, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            found.append(f"{tool} {' '.join(arguments)}:\n{result.stdout}{result.stderr}")
    return found
