"""Every combination of answers bakes into a clean project that lints (ruff, yamllint) and type-checks."""

import functools
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Bake
from tests.variants import CONTEXT, OPTIONS, PAIRWISE, TEMPLATE, Answers, all_variants, type_check_variants, variant_id

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
MANIFEST = "template-manifest.toml"
TESTED_VERSIONS = "tested-versions.txt"  # read by the hook into pyproject.toml, then removed like the manifest
SLUG = "my_service"
# Prometheus's own alert templates (`{{ $value }}`, `{{ $labels.job }}`) and GitHub's expressions
# (`${{ github.ref }}`) are meant to be there.
LEFTOVER = re.compile(r"(?<!\$)\{\{(?! \$)|\{%|\{#|cookiecutter", re.IGNORECASE)
BIN = Path(sys.executable).parent
DEFAULTS = {name: value[0] if isinstance(value, list) else value for name, value in CONTEXT.items()}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


def files_of(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


@functools.cache
def manifest() -> dict[str, Any]:
    return tomllib.loads((PROJECT / MANIFEST).read_text())


@functools.cache
def tag_values() -> dict[str, str]:
    """Each variant tag and the answer that selects it (a flavour tag, the framework that runs it)."""
    variants = manifest()["variants"]
    tags = {tag: name for name, values in variants.items() if name != "flavour" for tag in values}
    return tags | dict.fromkeys(variants["flavour"].values(), "framework")


@functools.cache
def tag_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A name that carries tags (stem, tags, extension), and one tag within them."""
    alternatives = "|".join(re.escape(tag) for tag in sorted(tag_values(), key=len, reverse=True))
    named = re.compile(rf"(?P<stem>.+?)(?P<tags>(?:\.(?:{alternatives}))+)(?P<extension>\.[^.]+)?")
    return named, re.compile(rf"\.({alternatives})")


def shaped_name(part: str, answers: Answers) -> str | None:
    """A path component under the naming rule: its plain name if kept, None if its variant is not selected."""
    named_pattern, tag_pattern = tag_patterns()
    named = named_pattern.fullmatch(part)
    if named is None:
        return part
    flavour = manifest()["variants"]["flavour"][answers["framework"]]
    selected = {answers[name] for name in set(tag_values().values())} | {flavour}
    found = set(tag_pattern.findall(named["tags"]))
    return named["stem"] + (named["extension"] or "") if found <= selected else None


def expected_files(answers: Answers) -> set[str]:
    """The template's files shaped by the naming rule and the manifest, worked out here independently of the hook."""
    answers = DEFAULTS | answers
    owners: dict[str, bool] = {}
    for feature in manifest()["feature"]:
        applies = all(
            answers[key] in value if isinstance(value, list) else answers[key] == value
            for key, value in feature["when"].items()
        )
        for path in feature["paths"]:
            owners[path.format(slug=SLUG)] = owners.get(path.format(slug=SLUG), False) or applies
    expected = {".env"} | ({"deploy/k8s/overlays/dev/secrets.env"} if answers["deployment"] == "kubernetes" else set())
    for path in files_of(PROJECT) - {MANIFEST, TESTED_VERSIONS}:
        parts = [shaped_name(part, answers) for part in path.replace("{{cookiecutter.project_slug}}", SLUG).split("/")]
        if None in parts:
            continue
        shaped = "/".join(part for part in parts if part is not None)
        # A path goes with the innermost feature-owned folder or file around it.
        owned = [owner for owner in owners if shaped == owner or shaped.startswith(f"{owner}/")]
        if all(owners[owner] for owner in owned):
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
    # Every YAML file (compose, CI, monitoring, pre-commit), under the project's own .yamllint.yaml.
    yaml = run([str(BIN / "yamllint"), "--strict", "--format", "parsable", "."], project)
    assert yaml.returncode == 0, yaml.stdout + yaml.stderr


@pytest.mark.parametrize("answers", type_check_variants(), ids=variant_id)
def test_variant_type_checks(bake: Bake, answers: Answers, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = bake(**answers)
    # One mypy cache per xdist worker: third-party modules are analysed once, not per variant.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cache = tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}"
    mypy = run([str(BIN / "mypy"), "--cache-dir", str(cache)], project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    deptry = run([str(BIN / "deptry"), "src"], project)
    assert deptry.returncode == 0, deptry.stdout + deptry.stderr


def test_manifest_names_real_paths_and_every_feature_can_apply() -> None:
    """Paths listed nowhere ship in every variant, so a path is unused only if its features never apply."""
    variants = [DEFAULTS | answers for answers in all_variants()]
    baked_paths = set().union(*(expected_files(answers) for answers in variants))
    for feature in manifest()["feature"]:
        assert set(feature["when"]) <= set(CONTEXT), feature["when"]
        assert any(
            all(
                answers[key] in value if isinstance(value, list) else answers[key] == value
                for key, value in feature["when"].items()
            )
            for answers in variants
        ), feature["when"]
        for path in feature["paths"]:
            final = path.format(slug=SLUG)
            assert any(baked == final or baked.startswith(f"{final}/") for baked in baked_paths), path


def test_variant_tags_are_the_choices_of_cookiecutter_json() -> None:
    variants = manifest()["variants"]
    assert {name: values for name, values in variants.items() if name != "flavour"} == {
        name: value for name, value in CONTEXT.items() if isinstance(value, list)
    }
    assert set(variants["flavour"]) == set(CONTEXT["framework"])


def test_every_variant_file_is_used_by_some_answers() -> None:
    tagged = {
        path for path in files_of(PROJECT) if any(shaped_name(part, DEFAULTS) != part for part in path.split("/"))
    }
    used = {
        path
        for answers in all_variants()
        for path in tagged
        if None not in [shaped_name(part, DEFAULTS | answers) for part in path.split("/")]
    }
    assert tagged - used == set()


def test_every_pairwise_answer_is_baked_with_every_value_of_every_other_answer() -> None:
    """all_variants crosses the CI platform and the license with the rest pairwise, not exhaustively."""
    variants = all_variants()
    unmet = [
        (name, value, other, value_of_other)
        for name in PAIRWISE
        for value in OPTIONS[name]
        for other, values in OPTIONS.items()
        if other != name
        for value_of_other in values
        if not any(answers[name] == value and answers[other] == value_of_other for answers in variants)
    ]
    assert unmet == []
