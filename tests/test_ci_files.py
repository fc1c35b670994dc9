"""The generated CI pipelines (ci=github, ci=gitlab) and their dependency bots, checked offline in every
rendering that the database, use_redis and deployment answers give: the platforms' JSON schemas,
actionlint on GitHub workflows, actions pinned by commit, and test services that are the dev services.
"""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Bake
from tests.monitoring import load_yaml
from tests.validators import failures
from tests.variants import Answers, combinations, variant_id

RENDERINGS = [
    answers | {"use_celery": answers["use_redis"]} for answers in combinations(["database", "use_redis", "deployment"])
]
WORKFLOWS = [".github/workflows/ci.yml", ".github/workflows/template-update.yml"]
# The deployment modes whose CI lints the Dockerfile, checks the mode's files and builds the image.
IMAGE_BUILT = {"docker-compose", "kubernetes"}
KUBERNETES_CHECKS = ["hadolint Dockerfile", "kubectl kustomize", "kubernetes-validate --strict", "docker build"]
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*$")


def dev_services(project: Path) -> dict[str, dict[str, Any]]:
    """compose.services.yaml's servers by image: their environment."""
    if not (project / "compose.services.yaml").exists():
        return {}
    services = load_yaml(project / "compose.services.yaml")["services"]
    return {service["image"]: service.get("environment", {}) for service in services.values()}


@pytest.mark.parametrize("answers", RENDERINGS, ids=variant_id)
def test_github_workflows_and_dependabot_are_valid_pinned_and_test_on_the_dev_services(
    bake: Bake, answers: Answers
) -> None:
    project = bake(**answers, ci="github")
    schema = ["check-jsonschema", "--builtin-schema"]
    assert not (project / ".gitlab-ci.yml").exists()
    assert (
        failures(
            [
                [*schema, "vendor.github-workflows", *WORKFLOWS],
                [*schema, "vendor.dependabot", ".github/dependabot.yml"],
                ["actionlint", *WORKFLOWS],
            ],
            project,
        )
        == []
    )
    for workflow in WORKFLOWS:
        uses = [line for line in (project / workflow).read_text().splitlines() if "uses:" in line]
        assert uses, workflow
        assert [line for line in uses if not PINNED.match(line)] == [], "actions pinned by commit, version in a comment"
        document = load_yaml(project / workflow)
        assert document["permissions"], "least privilege, written out"
        assert all("timeout-minutes" in job for job in document["jobs"].values())
    jobs = load_yaml(project / WORKFLOWS[0])["jobs"]
    services = jobs["test"].get("services", {})
    assert {service["image"]: service.get("env", {}) for service in services.values()} == dev_services(project)
    assert ("deployment" in jobs) == (answers["deployment"] in IMAGE_BUILT)
    if answers["deployment"] == "kubernetes":
        script = "\n".join(step.get("run", "") for step in jobs["deployment"]["steps"])
        assert all(check in script for check in KUBERNETES_CHECKS), script
    ecosystems = {update["package-ecosystem"] for update in load_yaml(project / ".github/dependabot.yml")["updates"]}
    assert ecosystems == {"uv", "github-actions"} | ({"docker"} if answers["deployment"] in IMAGE_BUILT else set())


@pytest.mark.parametrize("answers", RENDERINGS, ids=variant_id)
def test_gitlab_pipeline_and_renovate_are_valid_and_test_on_the_dev_services(bake: Bake, answers: Answers) -> None:
    project = bake(**answers, ci="gitlab")
    schema = ["check-jsonschema", "--builtin-schema"]
    assert not (project / ".github").exists()
    assert (
        failures(
            [[*schema, "vendor.gitlab-ci", ".gitlab-ci.yml"], [*schema, "vendor.renovate", "renovate.json"]], project
        )
        == []
    )
    pipeline = load_yaml(project / ".gitlab-ci.yml")
    images = {service["name"] for service in pipeline["test"].get("services", [])}
    assert images == set(dev_services(project))
    variables = pipeline["test"]["variables"]
    for environment in dev_services(project).values():
        assert environment.items() <= variables.items()
    assert ("deployment" in pipeline) == (answers["deployment"] in IMAGE_BUILT)
    if answers["deployment"] == "kubernetes":
        script = "\n".join(pipeline["deployment"]["script"])
        assert all(check in script for check in KUBERNETES_CHECKS), script


def test_no_ci_means_no_pipeline_files(bake: Bake) -> None:
    project = bake(ci="none")
    assert not any((project / name).exists() for name in (".github", ".gitlab-ci.yml", "renovate.json"))
