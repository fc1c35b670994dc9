"""Fixtures for the template's own suite: baking variants and real database servers."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_cookies.plugin import Cookies, Result

from tests.container_engine import Engine
from tests.container_engine import container_engine as start_container_engine
from tests.servers import Server, server_directory, start_mariadb, start_postgresql, start_redis
from tests.variants import check_known

Bake = Callable[..., Path]
# Passed tests per summary label; under xdist the controller sees every worker's reports.
_passes: dict[str, int] = {}

# Test functions whose passes the closing summary counts, by what they show about a variant.
SUMMARY = {
    "test_variant_bakes_cleanly": "baked",
    "test_variant_lints": "linted (ruff check + format, yamllint)",
    "test_variant_type_checks": "type-checked (mypy --strict + deptry)",
    "test_generated_suite_passes": "tested against real servers",
    "test_clean_install_passes": "installed clean into a fresh venv",
    "test_cruft_update_from_earlier_commit_matches_a_fresh_project": "updated with cruft from an earlier commit",
    "test_image_and_compose_files_pass_their_linters_and_read_only_real_settings": (
        "with container files checked offline (hadolint, compose config, Compose schema)"
    ),
    "test_kubernetes_overlays_render_validate_and_hang_together": (
        "with Kubernetes manifests checked offline (kustomize, kubernetes-validate --strict, object checks)"
    ),
    "test_the_dev_overlay_pods_run_and_serve": (
        "with Kubernetes pods run by podman kube play (migration, api, worker: readiness, a task round trip)"
    ),
    "test_systemd_units_verify_score_and_wire_up": (
        "with systemd units checked offline (systemd-analyze verify and security, wiring)"
    ),
    "test_the_bare_project_boots_under_systemd_and_serves": (
        "booted under systemd (make systemd-install, units active, readiness, a task round trip)"
    ),
    "test_github_workflows_and_dependabot_are_valid_pinned_and_test_on_the_dev_services": (
        "with GitHub CI checked offline (schemas, actionlint, pins)"
    ),
    "test_gitlab_pipeline_and_renovate_are_valid_and_test_on_the_dev_services": (
        "with GitLab CI checked offline (schemas)"
    ),
    "test_the_default_stack_comes_up_healthy_serves_a_client_and_is_scraped": (
        "run in containers (image built, compose up --wait, HTTP round trip, Prometheus scrape, down -v)"
    ),
}
# A test reports a measurement with record_property(FIGURE + "seconds to 503", 0.02); the summary
# prints them by test id (user_properties travel with the reports, so this works under xdist).
FIGURE = "figure:"
_figures: dict[str, list[str]] = {}


@pytest.fixture
def bake(cookies: Cookies) -> Bake:
    """Bake with these answers (names checked against cookiecutter.json); return the project path."""

    def run(**answers: Any) -> Path:
        check_known(answers)
        result: Result = cookies.bake(extra_context=answers)
        assert result.exception is None, f"{answers}: {result.exception!r}"
        assert result.exit_code == 0
        assert result.project_path is not None
        return Path(result.project_path)

    return run


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, Server]]:
    """PostgreSQL, MariaDB and Redis on loopback for this session; a missing binary is an error."""
    started: dict[str, Server] = {}
    with server_directory() as base:
        try:
            started["postgresql"] = start_postgresql(base)
            started["mysql"] = start_mariadb(base)
            started["redis"] = start_redis(base)
            yield started
        finally:
            for server in started.values():
                server.stop()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    properties = report.user_properties
    if figures := [f"{name.removeprefix(FIGURE)} = {value}" for name, value in properties if name.startswith(FIGURE)]:
        _figures[report.nodeid.split("::")[-1]] = figures
    if not report.passed:
        return
    name = report.nodeid.split("::")[-1].split("[")[0]
    if name in SUMMARY:
        _passes[SUMMARY[name]] = _passes.get(SUMMARY[name], 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    terminalreporter.section("variants")
    for label in SUMMARY.values():
        terminalreporter.write_line(f"{_passes.get(label, 0):4d} variants {label}")
    for test, figures in sorted(_figures.items()):
        terminalreporter.write_line(f"{test}: {', '.join(figures)}")


@pytest.fixture(scope="session")
def container_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Docker where its engine answers, otherwise podman with local stand-in images (tests/container_engine.py)."""
    with start_container_engine(tmp_path_factory.mktemp("containers")) as engine:
        yield engine
