"""A project created with cruft from an earlier commit updates to the working tree cleanly.

Updated, it holds exactly what a project created from the working tree holds, so it passes what that
project passes: tests/test_generated.py runs the suites of these answers.
"""

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIGURE
from tests.test_prompts import CRUFT
from tests.variants import TEMPLATE, Answers, variant_id

# The last commit before the template-structure rework (issue 12); move it forward once no project
# with an older layout needs proving.
EARLIER_COMMIT = "ffa2b71bcec4c4adb6d08ae063a71c15261c871f"
# Answers the earlier template knows.
UPDATED = [
    {"framework": "fastapi", "database": "postgresql", "use_redis": True, "use_auth": True},
    {"framework": "flask", "database": "mysql", "use_redis": True, "use_auth": True},
]
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def run(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)


def git(cwd: Path, *args: str) -> str:
    result = run([*GIT, *args], cwd)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


def commit_working_tree(clone: Path) -> str:
    """Clone this repository and commit the working tree on top (cruft updates to commits only)."""
    git(TEMPLATE, "clone", "--quiet", str(TEMPLATE), str(clone))
    listed = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    present = {name for name in listed if name and (TEMPLATE / name).is_file()}
    for name in set(git(clone, "ls-files", "-z").split("\0")) - present - {""}:
        (clone / name).unlink()
    for name in present:
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / name, clone / name)
    git(clone, "add", "-A")
    git(clone, "commit", "--quiet", "--allow-empty", "-m", "working tree")  # a clean tree has nothing to add
    return git(clone, "rev-parse", "HEAD").strip()


# Differ between any two projects: the generated secret, cruft's record of the commit, git's own files.
UNCOMPARED = {".env", ".cruft.json"}


def tree(project: Path) -> dict[str, bytes]:
    """Every file of `project` by its relative path, but for those that always differ."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts and path.name not in UNCOMPARED
    }


@pytest.mark.parametrize("answers", UPDATED, ids=variant_id)
def test_cruft_update_from_earlier_commit_matches_a_fresh_project(
    answers: Answers, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    if run(["git", "cat-file", "-e", f"{EARLIER_COMMIT}^{{commit}}"], TEMPLATE).returncode != 0:
        pytest.fail(f"{EARLIER_COMMIT} is not in {TEMPLATE}: this test needs a full clone (git fetch --unshallow)")
    template = tmp_path / "template"
    new_commit = commit_working_tree(template)

    out = tmp_path / "out"
    create = [str(CRUFT), "create", str(template), "--checkout", EARLIER_COMMIT, "--no-input"]
    created = run([*create, "--output-dir", str(out), "--extra-context", json.dumps(answers)], tmp_path, timeout=300)
    assert created.returncode == 0, created.stdout[-3000:] + created.stderr[-3000:]
    project = out / "my_service"
    state = json.loads((project / ".cruft.json").read_text())
    assert answers.items() <= state["context"]["cookiecutter"].items()
    # The step the README asks of projects made before [tool.cruft] skip shipped in pyproject.toml.
    (project / ".cruft.json").write_text(json.dumps(state | {"skip": [".env"]}, indent=2) + "\n")
    git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "created from the earlier commit")

    updated = run([str(CRUFT), "update", "--checkout", new_commit, "--skip-apply-ask"], project, timeout=300)
    output = updated.stdout[-3000:] + updated.stderr[-3000:]
    assert updated.returncode == 0, output
    files = [path for path in project.rglob("*") if ".git" not in path.relative_to(project).parts and path.is_file()]
    assert [path for path in files if path.suffix in {".rej", ".orig"}] == [], output
    assert [path for path in files if b"<<<<<<<" in path.read_bytes()] == [], output
    assert git(project, "diff", "--name-only", "--diff-filter=U") == "", output
    # cruft exits 0 even when git apply fails; it only prints git's error.
    assert "error:" not in updated.stderr, output
    cruft_state = json.loads((project / ".cruft.json").read_text())
    assert cruft_state["commit"] == new_commit, output
    assert answers.items() <= cruft_state["context"]["cookiecutter"].items()
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    # .cruft.json always changes (its commit); 0 other files means both commits render the same.
    changed = [line for line in status if not line.endswith(".cruft.json")]
    record_property(FIGURE + "files changed by the update", len(changed))

    fresh_out = tmp_path / "fresh"
    fresh_create = [str(CRUFT), "create", str(template), "--checkout", new_commit, "--no-input"]
    context = json.dumps(state["context"]["cookiecutter"])
    fresh = run([*fresh_create, "--output-dir", str(fresh_out), "--extra-context", context], tmp_path, timeout=300)
    assert fresh.returncode == 0, fresh.stdout[-3000:] + fresh.stderr[-3000:]
    assert tree(project) == tree(fresh_out / "my_service"), "the update left the project unlike a fresh one"
