"""The container image and docker-compose files (deployment=docker-compose), checked offline on every
code-shaping combination: hadolint without a warning, Docker Compose's own `config` and the
Compose-spec schema, and nothing in them that the app does not read.
"""

import re

import pytest

from tests.conftest import Bake
from tests.monitoring import load_yaml
from tests.validators import failures
from tests.variants import Answers, code_variants, variant_id

SLUG = "my_service"
VARIANTS = [answers | {"deployment": "docker-compose"} for answers in code_variants()]
SETTING = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_image_and_compose_files_pass_their_linters_and_read_only_real_settings(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    # As a clone has it (in CI, say): .env is git-ignored.
    (project / ".env").unlink()
    checks = [
        ["hadolint", "Dockerfile"],
        ["docker-compose", "config", "--quiet"],
        ["docker-compose", "--profile", "monitoring", "config", "--quiet"],
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
    ]
    assert failures(checks, project) == []

    compose = load_yaml(project / "compose.yaml")
    services = compose["services"]
    settings = set(SETTING.findall((project / ".env.example").read_text(encoding="utf-8")))
    app_services = [name for name, service in services.items() if service.get("image", "").startswith("my-service:")]
    assert set(app_services) == {"migrate", "api"} | ({"worker", "beat"} if answers["use_celery"] else set())
    for name in app_services:
        unknown = set(services[name]["environment"]) - settings
        assert unknown == set(), f"{name}: not settings the app reads: {sorted(unknown)}"
    # Only the API is published (Grafana too, in the monitoring profile), and only on localhost.
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert published == {"api": ["127.0.0.1:8000:8000"], "grafana": ["127.0.0.1:3000:3000"]}
    assert all("healthcheck" in services[name] for name in ("worker", "beat") if name in services)
    targets = [
        target
        for job in load_yaml(project / "monitoring/prometheus/prometheus.yml")["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    ]
    assert {target.split(":")[0] for target in targets} <= set(services), targets
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER \d+:\d+$", dockerfile, re.MULTILINE), "a numeric non-root user"
    # The build context is what .dockerignore lets in: never .env, whose secrets would land in a layer.
    allowed = [line for line in (project / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    assert (project / ".dockerignore").read_text().splitlines()[1] == "*"
    assert not any(".env" in line for line in allowed), allowed


def test_bare_projects_have_no_container_files(bake: Bake) -> None:
    project = bake(deployment="bare")
    assert not any((project / name).exists() for name in ("Dockerfile", ".dockerignore", "compose.yaml"))
    targets = load_yaml(project / "monitoring/prometheus/prometheus.yml")["scrape_configs"][0]["static_configs"]
    assert targets == [{"targets": ["localhost:8000"]}]
