"""Every combination of answers bakes into a clean project that lints and type-checks."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.variants import CONTEXT, TEMPLATE, Answers, all_variants, code_variants, variant_id

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
MANIFEST = "template-manifest.toml"
SLUG = "my_service"
LEFTOVER = re.compile(r"\{\{|\{%|\{#|cookiecutter", re.IGNORECASE)
BIN = Path(sys.executable).parent
DEFAULTS = {name: value[0] if isinstance(value, list) else value for name, value in CONTEXT.items()}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


def files_of(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def expected_files(answers: Answers) -> set[str]:
    """The template's files shaped by the manifest, worked out here independently of the hook."""
    answers = DEFAULTS | answers
    manifest = tomllib.loads((PROJECT / MANIFEST).read_text())
    destinations: dict[str, list[str]] = {}
    for entry in manifest["entry"]:
        selected = all(answers[key] == value for key, value in entry["when"].items())
        owned = {path: path for path in entry.get("keep", [])} | entry.get("move", {})
        for source, target in owned.items():
            kept = [target.format(slug=SLUG)] if selected else []
            destinations.setdefault(source.format(slug=SLUG), []).extend(kept)
    expected = {".env"}
    for path in files_of(PROJECT) - {MANIFEST}:
        # Innermost owner first; a folder around it that moves takes it along, one that goes takes it too.
        path = path.replace("{{cookiecutter.project_slug}}", SLUG)  # noqa: PLW2901
        owners = sorted((source for source in destinations if path == source or path.startswith(f"{source}/")), key=len)
        shaped: str | None = path
        for owner in reversed(owners):
            if shaped is None or not destinations[owner]:
                shaped = None
            elif shaped == owner or shaped.startswith(f"{owner}/"):
                shaped = destinations[owner][0] + shaped[len(owner) :]
        if shaped is not None:
            expected.add(shaped)
    return expected


def text_problems(root: Path) -> list[str]:
    problems = []
    for relative in sorted(files_of(root)):
        text = (root / relative).read_text(encoding="utf-8")
        if LEFTOVER.search(text):
            problems.append(f"{relative}: template syntax or 'cookiecutter' left: {LEFTOVER.search(text)}")
        if any(line != line.rstrip() for line in text.splitlines()):
            problems.append(f"{relative}: trailing whitespace")
        if relative.endswith(".py") and "\t" in text:
            problems.append(f"{relative}: tab in Python")
        if text.endswith("\n\n") or (text and not text.endswith("\n")):
            problems.append(f"{relative}: must end with exactly one newline")
        if relative.endswith(".py") and "\n\n\n\n" in text:
            problems.append(f"{relative}: more than two blank lines in a row")
    return problems


@pytest.mark.parametrize("answers", all_variants(), ids=variant_id)
def test_variant_bakes_cleanly(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    assert files_of(project) == expected_files(answers)
    assert text_problems(project) == []


@pytest.mark.parametrize("answers", all_variants(), ids=variant_id)
def test_variant_lints(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    check = run([str(BIN / "ruff"), "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run([str(BIN / "ruff"), "format", "--check", "--diff", "--no-cache", "."], project)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


@pytest.mark.parametrize("answers", code_variants(), ids=variant_id)
def test_variant_type_checks(bake: Bake, answers: Answers, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = bake(**answers)
    # One mypy cache per xdist worker: third-party modules are analysed once, not per variant.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cache = tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}"
    mypy = run([str(BIN / "mypy"), "--cache-dir", str(cache)], project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    deptry = run([str(BIN / "deptry"), "src"], project)
    assert deptry.returncode == 0, deptry.stdout + deptry.stderr


def test_manifest_names_real_paths_and_every_entry_can_apply() -> None:
    """Unowned files ship in every variant, so a file is unused only if its owners never apply."""
    manifest = tomllib.loads((PROJECT / MANIFEST).read_text())
    variants = [DEFAULTS | answers for answers in all_variants()]
    for entry in manifest["entry"]:
        assert set(entry["when"]) <= set(CONTEXT), entry["when"]
        assert any(all(answers[key] == value for key, value in entry["when"].items()) for answers in variants)
        for path in [*entry.get("keep", []), *entry.get("move", {})]:
            assert (PROJECT / path.replace("{slug}", "{{cookiecutter.project_slug}}")).exists(), path
