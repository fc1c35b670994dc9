"""Bad answers stop generation with one clear line; good ones bake the same bytes every time."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.conftest import Bake
from tests.variants import TEMPLATE, check_known

# cruft lives in its own venv (scripts/test makes it): aiomysql's wheel installs a top-level
# `examples` package that replaces the one cruft imports.
CRUFT = TEMPLATE / ".venv-cruft" / "bin" / "cruft"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param(
            {"project_slug": "My-Service"},
            "project_slug: 'My-Service' is not a lowercase Python identifier",
            id="slug-not-identifier",
        ),
        pytest.param({"project_slug": "9lives"}, "try 'app_9lives'", id="slug-starts-with-digit"),
        pytest.param({"project_slug": "class"}, "project_slug: 'class' is a Python keyword", id="slug-keyword"),
        pytest.param({"project_slug": "json"}, "project_slug: 'json' shadows the standard library", id="slug-stdlib"),
        pytest.param({"project_slug": "redis"}, "project_slug: 'redis' shadows a package", id="slug-dependency"),
        pytest.param({"project_slug": "test"}, "project_slug: 'test' shadows", id="slug-test"),
        pytest.param(
            {"author_email": "not-an-email"}, "author_email: 'not-an-email' is not an email address", id="email"
        ),
        pytest.param({"version": "1.0-beta.final"}, "version: '1.0-beta.final' is not a PEP 440 version", id="version"),
        pytest.param(
            {"project_name": "  ", "project_slug": "blank"}, "project_name: must not be empty", id="empty-name"
        ),
        pytest.param(
            {"use_redis": False, "use_celery": True},
            "use_celery: Celery needs Redis as its broker; answer use_redis=true, or use_celery=false",
            id="celery-without-redis",
        ),
        pytest.param(
            {"deployment": "kubernetes", "database": "sqlite"},
            "deployment: kubernetes runs pods on many nodes, which cannot share one SQLite file",
            id="sqlite-on-kubernetes",
        ),
    ],
)
def test_invalid_answer_fails_with_one_line_and_leaves_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, str], message: str
) -> None:
    check_known(answers)
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(tmp_path))
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, errors
    assert message in errors[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("prompt", ["use_redis", "use_celery", "use_auth"])
def test_a_yes_no_prompt_refuses_other_answers_and_leaves_nothing(tmp_path: Path, prompt: str) -> None:
    with pytest.raises(ValueError, match=f"maybe provided for variable {prompt} could not be converted to a boolean"):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context={prompt: "maybe"}, output_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_every_problem_is_reported_at_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    answers = {"project_slug": "json", "author_email": "x", "version": "one"}
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(tmp_path))
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    assert [error.split(":")[1].strip() for error in errors] == ["project_slug", "author_email", "version"]


def test_unknown_extra_context_is_caught_by_our_helper(bake: Bake) -> None:
    with pytest.raises(KeyError, match="use_reddis"):
        bake(use_reddis=False)


def test_same_answers_bake_identical_bytes(bake: Bake, tmp_path: Path) -> None:
    first = bake(framework="flask", database="mysql")
    copy = tmp_path / "first"
    shutil.copytree(first, copy)
    second = bake(framework="flask", database="mysql")
    comparison = filecmp.dircmp(copy, second, ignore=[".env"])
    assert _differences(comparison) == []
    assert (copy / ".env").read_text() != (second / ".env").read_text()  # a fresh secret each time


def _differences(comparison: filecmp.dircmp[str]) -> list[str]:
    found = [*comparison.left_only, *comparison.right_only, *comparison.diff_files, *comparison.funny_files]
    for sub in comparison.subdirs.values():
        found.extend(_differences(sub))
    return found


def test_post_gen_hook_is_idempotent(bake: Bake) -> None:
    """cruft re-runs hooks: a second run over the result changes nothing and keeps the secret."""
    project = bake()
    before = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    hook = (TEMPLATE / "hooks" / "post_gen_project.py").read_text()
    answers = '{"project_slug": "my_service"}'
    script = project.parent / "rerun_hook.py"
    script.write_text(hook.replace('r"""{{ cookiecutter | jsonify }}"""', repr(answers)))
    result = subprocess.run([sys.executable, str(script)], cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    after = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    assert after == before


def test_cruft_creates_the_same_files(bake: Bake, tmp_path: Path) -> None:
    """cruft clones the template from git, so commit a snapshot of the working tree first."""
    snapshot = tmp_path / "template"
    shutil.copytree(TEMPLATE, snapshot, ignore=shutil.ignore_patterns(".git", ".venv*", ".*_cache", "__pycache__"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run([*git, *command], cwd=snapshot, check=True, capture_output=True)
    out = tmp_path / "out"
    created = subprocess.run(
        [str(CRUFT), "create", str(snapshot), "--no-input", "--output-dir", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = bake()
    comparison = filecmp.dircmp(project, out / "my_service", ignore=[".env", ".cruft.json"])
    assert _differences(comparison) == []
    assert (out / "my_service" / ".cruft.json").exists()
