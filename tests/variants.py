"""The option space of cookiecutter.json: every combination, the code-shaping ones, a pairwise cover."""

import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).parents[1]
CONTEXT: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# Answers that change what a project contains, each with every value it can take.
OPTIONS: dict[str, list[Any]] = {
    name: value if isinstance(value, list) else [True, False]
    for name, value in CONTEXT.items()
    if not name.startswith("_") and isinstance(value, list | bool)
}
# Options that change no Python: the deployment files, the CI pipeline, the license (LICENSE, package metadata).
PACKAGING = ["deployment", "ci", "open_source_license"]
# Crossed pairwise with the rest (all_variants): their files vary far less with the other answers.
PAIRWISE = ["ci", "open_source_license"]
# Options that change Python code.
CODE_SHAPING = [name for name in OPTIONS if name not in PACKAGING]

Answers = dict[str, Any]


def is_valid(answers: Mapping[str, Any]) -> bool:
    """Whether hooks/pre_gen_project.py accepts these answers (tests/test_prompts.py shows the refusals)."""
    celery_without_redis = answers.get("use_celery", False) and answers.get("use_redis") is False
    sqlite_on_kubernetes = answers.get("deployment") == "kubernetes" and answers.get("database") == "sqlite"
    return not (celery_without_redis or sqlite_on_kubernetes)


# Variants the generated-suite tests always include: each framework on each database, with auth.
REQUIRED: list[Answers] = [
    {"framework": framework, "database": database, "use_auth": True}
    for framework in OPTIONS["framework"]
    for database in OPTIONS["database"]
]


def check_known(answers: Mapping[str, Any]) -> None:
    """Cookiecutter ignores unknown keys silently; a typo here would test the default instead."""
    unknown = set(answers) - set(CONTEXT)
    if unknown:
        msg = f"not prompts in cookiecutter.json: {sorted(unknown)}"
        raise KeyError(msg)


def variant_id(answers: Mapping[str, Any]) -> str:
    """Readable test id, e.g. `fastapi-postgresql-redis-MIT`."""
    parts = []
    for name, value in answers.items():
        if isinstance(value, bool):
            parts.append(name.removeprefix("use_") if value else f"no-{name.removeprefix('use_')}")
        else:
            parts.append(str(value))
    return "-".join(parts)


def combinations(names: list[str]) -> Iterator[Answers]:
    """Every valid combination of the values of `names`."""
    for values in itertools.product(*(OPTIONS[name] for name in names)):
        answers = dict(zip(names, values, strict=True))
        if is_valid(answers):
            yield answers


def all_variants() -> list[Answers]:
    """Every code-shaping combination with every deployment (its files follow the code's services), each
    with the CI platform and license that meet most pairs of answer values not met yet: every value of
    those two is baked with every value of every other answer (pairwise, DESIGN.md §6).
    """
    unmet = {
        ((name, value), (other, value_of_other))
        for name in PAIRWISE
        for value in OPTIONS[name]
        for other in OPTIONS
        if other != name
        for value_of_other in OPTIONS[other]
    }
    chosen: list[Answers] = []

    def met(answers: Answers) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
        return {((name, answers[name]), item) for name in PAIRWISE for item in answers.items() if item[0] != name}

    def gain(answers: Answers) -> tuple[int, int]:
        # Ties go to the values baked least so far.
        baked = sum(variant[name] == answers[name] for variant in chosen for name in PAIRWISE)
        return len(met(answers) & unmet), -baked

    for answers in combinations([*CODE_SHAPING, "deployment"]):
        candidates = [
            answers | dict(zip(PAIRWISE, values, strict=True))
            for values in itertools.product(*(OPTIONS[name] for name in PAIRWISE))
        ]
        best = max(candidates, key=gain)
        unmet.difference_update(met(best))
        chosen.append(best)
    return chosen


def code_variants() -> list[Answers]:
    return list(combinations(CODE_SHAPING))


def _tuples(answers: Answers, strength: int) -> set[tuple[tuple[str, Any], ...]]:
    return set(itertools.combinations(sorted(answers.items(), key=lambda item: item[0]), strength))


def covering_variants(strength: int, required: list[Answers] | None = None) -> list[Answers]:
    """A small set of code-shaping answers in which every `strength` option values appear together
    at least once (greedy, deterministic), starting with one variant for each of `required`.
    """
    candidates = code_variants()
    uncovered = set().union(*(_tuples(answers, strength) for answers in candidates))
    chosen: list[Answers] = []

    def take(pool: list[Answers]) -> None:
        best = max(pool, key=lambda answers: len(_tuples(answers, strength) & uncovered))
        chosen.append(best)
        uncovered.difference_update(_tuples(best, strength))

    for partial in required or []:
        take([answers for answers in candidates if partial.items() <= answers.items()])
    while uncovered:
        take(candidates)
    return chosen


def pairwise_variants() -> list[Answers]:
    """Every pair of code-shaping values at least once, starting from REQUIRED (every framework x
    database pair runs the largest suite, with auth on). The license changes no code, so the
    variants take the licenses in turn: each is baked with its project's own suite too.
    """
    licenses = itertools.cycle(OPTIONS["open_source_license"])
    return [{**answers, "open_source_license": next(licenses)} for answers in covering_variants(2, REQUIRED)]


def type_check_variants() -> list[Answers]:
    """Every triple of code-shaping values at least once (DESIGN.md §6: all of them no longer fit the
    30-minute budget); every variant still bakes and lints.
    """
    return covering_variants(3)
