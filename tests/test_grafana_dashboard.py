"""The Grafana dashboard and its provisioning, in every rendering the answers give (use_redis, use_celery, use_auth).

Offline: no Grafana installs here, so the dashboard is read through grafana-foundation-sdk's models
(which drop what they do not know), and every query is parsed as PromQL and checked against the
metrics its variant exposes.
"""

import itertools
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Bake
from tests.monitoring import (
    DASHBOARD,
    DASHBOARD_PROVIDERS,
    DATASOURCES,
    RATE_INTERVAL,
    UP,
    all_panels,
    dashboard_expressions,
    exposed_families,
    jobs,
    load_dashboard,
    load_yaml,
    sdk_losses,
    selectors,
)
from tests.variants import Answers, combinations, variant_id

SLUG = "my_service"
FEATURES = ["use_redis", "use_celery", "use_auth"]
PANEL_TYPES = {"row", "stat", "timeseries"}
GRID_WIDTH = 24
# The Grafana line whose models read the dashboard (pyproject.toml pins the SDK's build for it).
SDK_GRAFANA = "11.6"


def provisioned_datasource(project: Path) -> dict[str, Any]:
    """The one Prometheus datasource Grafana is provisioned with."""
    datasources = load_yaml(project / DATASOURCES)
    assert datasources["apiVersion"] == 1
    (datasource,) = datasources["datasources"]
    assert datasource["type"] == "prometheus"
    return {"type": datasource["type"], "uid": datasource["uid"]}


def overlaps(panels: list[dict[str, Any]]) -> list[str]:
    boxes = [(panel["title"], panel["gridPos"]) for panel in panels]
    found = [f"{title}: {box} outside the grid" for title, box in boxes if box["x"] + box["w"] > GRID_WIDTH]
    for (first, a), (second, b) in itertools.combinations(boxes, 2):
        apart = (
            a["x"] + a["w"] <= b["x"]
            or b["x"] + b["w"] <= a["x"]
            or a["y"] + a["h"] <= b["y"]
            or b["y"] + b["h"] <= a["y"]
        )
        if not apart:
            found.append(f"{first!r} {a} overlaps {second!r} {b}")
    return found


@pytest.mark.parametrize("answers", list(combinations(FEATURES)), ids=variant_id)
def test_dashboard_is_valid_json_the_sdk_keeps_whole(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    text = (project / DASHBOARD).read_text(encoding="utf-8")
    dashboard = load_dashboard(project)  # valid JSON, or this raises

    assert "__inputs" not in dashboard
    assert "${DS_" not in text
    assert dashboard["uid"] == SLUG
    assert dashboard["title"] == "My Service"
    assert dashboard["schemaVersion"] >= 39
    assert dashboard.get("templating", {}).get("list", []) == []
    sdk = version("grafana-foundation-sdk")
    assert sdk.partition("!")[2].startswith(f"{SDK_GRAFANA}."), f"SDK {sdk}: not the models of Grafana {SDK_GRAFANA}"
    losses = sdk_losses(dashboard)
    assert not losses, "\n".join(losses)

    panels = list(all_panels(dashboard))
    ids = [panel["id"] for panel in panels]
    assert [id_ for id_ in set(ids) if ids.count(id_) > 1] == []
    assert {panel["type"] for panel in panels} <= PANEL_TYPES
    overlapping = overlaps(dashboard["panels"])
    assert not overlapping, "\n".join(overlapping)
    datasource = provisioned_datasource(project)
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == datasource, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"] == datasource, panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


@pytest.mark.parametrize("answers", list(combinations(FEATURES)), ids=variant_id)
def test_every_query_parses_and_reads_only_what_the_variant_exposes(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    expressions = dashboard_expressions(project)
    assert expressions
    families = exposed_families(answers)
    job_names = jobs(SLUG, answers)
    job_of_series = {series: job_names[family.job] for family in families for series in family.series()}
    used: set[str] = set()
    problems = []
    for title, expression in expressions:
        runnable = expression.replace(RATE_INTERVAL, "1m")
        if "$" in runnable:
            problems.append(f"{title}: a Grafana variable other than {RATE_INTERVAL}: {expression}")
            continue
        try:
            found = selectors(runnable)
        except ValueError as error:
            problems.append(f"{title}: does not parse ({error}): {expression}")
            continue
        for selector in found:
            job = selector.equal.get("job")
            if selector.name == UP:
                if job not in job_names.values():
                    problems.append(f"{title}: up of job {job!r}, not one of {sorted(job_names.values())}")
            elif selector.name not in job_of_series:
                problems.append(f"{title}: {selector.name} is not exposed by this variant")
            elif job != job_of_series[selector.name]:
                problems.append(f"{title}: {selector.name} with job {job!r}, not {job_of_series[selector.name]!r}")
            used.add(str(selector.name))
    assert not problems, "\n".join(problems)
    shown_nowhere = [family.name for family in families if not used & set(family.series())]
    assert shown_nowhere == [], "exposed by this variant, on no panel"


@pytest.mark.parametrize(
    ("deployment", "prometheus"),
    [("docker-compose", "prometheus"), ("kubernetes", "prometheus.monitoring.svc"), ("bare", "localhost")],
)
def test_provisioning_parses_and_names_where_the_dashboards_are_mounted(
    bake: Bake, deployment: str, prometheus: str
) -> None:
    """The datasource points at Prometheus where Grafana finds it: compose.yaml's service, a cluster
    Service, or this host."""
    project = bake(deployment=deployment)
    assert provisioned_datasource(project) == {"type": "prometheus", "uid": "prometheus"}
    (datasource,) = load_yaml(project / DATASOURCES)["datasources"]
    assert datasource["isDefault"] is True
    assert datasource["url"] == f"http://{prometheus}:9090"

    text = (project / DASHBOARD_PROVIDERS).read_text(encoding="utf-8")
    providers = load_yaml(project / DASHBOARD_PROVIDERS)
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["foldersFromFilesStructure"] is False
    path = provider["options"]["path"]
    # The comment tells which folder of the project to mount at that path.
    assert f"{DASHBOARD.parent.as_posix()}:{path}" in text


def test_names_with_quotes_keep_the_dashboard_and_provisioning_valid(bake: Bake) -> None:
    name = 'Ünïcode\'s "Orders" <Service> & co'
    project = bake(project_name=name, project_slug="orders")
    dashboard = load_dashboard(project)
    assert dashboard["title"] == name
    assert dashboard["uid"] == "orders"
    assert load_yaml(project / DASHBOARD_PROVIDERS)["providers"][0]["folder"] == name
    assert all('job="orders' in expression for _, expression in dashboard_expressions(project))
