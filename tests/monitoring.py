"""A baked project's Grafana dashboard and provisioning, and the metrics each variant exposes.

`dashboard_expressions` gives every query of the dashboard, so a test can run them against a real
Prometheus; the rest is what tests/test_grafana_dashboard.py checks offline.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import promql_parser
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel

DASHBOARD = Path("monitoring/grafana/dashboards/service.json")
DATASOURCES = Path("monitoring/grafana/provisioning/datasources/prometheus.yml")
DASHBOARD_PROVIDERS = Path("monitoring/grafana/provisioning/dashboards/dashboards.yml")
# The only Grafana variable the queries use; Grafana makes it at least four scrape intervals.
RATE_INTERVAL = "$__rate_interval"
# Panel types whose options the SDK reads into models of their own (register_default_plugins).
MODELLED_PANELS = {"stat", "timeseries"}

Job = Literal["service", "worker"]


@dataclass(frozen=True)
class Family:
    """A metric family as Prometheus shows it: its name, kind, the answer that adds it, the job that exposes it."""

    name: str
    kind: Literal["counter", "gauge", "histogram"]
    feature: str | None = None
    job: Job = "service"

    def series(self) -> list[str]:
        if self.kind == "histogram":
            return [f"{self.name}_bucket", f"{self.name}_count", f"{self.name}_sum"]
        return [self.name]


# What the service (`{slug}`) and the Celery worker (`{slug}-worker`) expose; README's Monitoring lists them.
FAMILIES = [
    Family("http_server_request_duration_seconds", "histogram"),
    Family("http_server_active_requests", "gauge"),
    Family("readiness_check_up", "gauge"),
    Family("readiness_check_duration_seconds", "histogram"),
    Family("db_client_connection_count", "gauge"),
    Family("db_client_connection_overflow", "gauge"),
    Family("db_client_connection_max", "gauge"),
    Family("db_client_connection_wait_time_seconds", "histogram"),
    Family("circuit_breaker_open", "gauge", "use_redis"),
    Family("circuit_breaker_transitions_total", "counter", "use_redis"),
    Family("cache_operations_total", "counter", "use_redis"),
    Family("rate_limit_decisions_total", "counter", "use_redis"),
    Family("auth_logins_total", "counter", "use_auth"),
    Family("auth_refreshes_total", "counter", "use_auth"),
    Family("celery_task_sent_total", "counter", "use_celery"),
    Family("celery_task_started_total", "counter", "use_celery", "worker"),
    Family("celery_task_succeeded_total", "counter", "use_celery", "worker"),
    Family("celery_task_failed_total", "counter", "use_celery", "worker"),
    Family("celery_task_retried_total", "counter", "use_celery", "worker"),
    Family("celery_task_runtime_seconds", "histogram", "use_celery", "worker"),
    Family("celery_task_queue_wait_seconds", "histogram", "use_celery", "worker"),
    Family("celery_queue_length", "gauge", "use_celery", "worker"),
]
# Prometheus's own series of every scrape target.
UP = "up"


def exposed_families(answers: Mapping[str, Any]) -> list[Family]:
    """The families a project baked with these answers exposes (a missing feature answer counts as on, the default)."""
    return [family for family in FAMILIES if family.feature is None or answers.get(family.feature, True)]


def jobs(slug: str, answers: Mapping[str, Any]) -> dict[Job, str]:
    """The Prometheus job of each process the dashboard reads."""
    names: dict[Job, str] = {"service": slug}
    if answers.get("use_celery", True):
        names["worker"] = f"{slug}-worker"
    return names


def load_dashboard(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((project / DASHBOARD).read_text(encoding="utf-8"))
    return loaded


def all_panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels a (collapsed) row holds."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_expressions(project: Path, rate_interval: str | None = None) -> list[tuple[str, str]]:
    """(panel title, PromQL expression) for every query of the project's dashboard, panels in rows included.

    The expressions are as written, with Grafana's `$__rate_interval`; pass `rate_interval` (e.g. "1m")
    to get them as Prometheus runs them.
    """
    found = []
    for panel in all_panels(load_dashboard(project)):
        for target in panel.get("targets", []):
            expression = target["expr"]
            if rate_interval is not None:
                expression = expression.replace(RATE_INTERVAL, rate_interval)
            found.append((panel["title"], expression))
    return found


@dataclass(frozen=True)
class Selector:
    """A series selector of an expression: the metric name and its equality matchers."""

    name: str | None
    equal: dict[str, str]


def selectors(expression: str) -> list[Selector]:
    """Parse a PromQL expression (ValueError if it does not) and return its series selectors."""
    found: list[Selector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = node.matchers.matchers
            equal = {matcher.name: matcher.value for matcher in matchers if matcher.op == promql_parser.MatchOp.Equal}
            found.append(Selector(node.name or equal.get("__name__"), equal))

    promql_parser.walk(promql_parser.parse(expression), pre_visit=visit)
    return found


def sdk_round_trip(dashboard: Mapping[str, Any]) -> tuple[Dashboard, dict[str, Any]]:
    """The dashboard read into grafana-foundation-sdk's models, and those models written back as JSON."""
    register_default_plugins()  # panel options, field configs and Prometheus queries get their own models
    model = Dashboard.from_json(dict(dashboard))
    written: dict[str, Any] = json.loads(json.dumps(model, cls=JSONEncoder))
    return model, written


def sdk_losses(dashboard: Mapping[str, Any]) -> list[str]:
    """What grafana-foundation-sdk's models do not keep: keys they do not know (dropped when read), changed
    values, and queries they could not read as Prometheus queries (kept as unknown, so unchecked).
    Keys the models add with their defaults are no loss.
    """
    model, written = sdk_round_trip(dashboard)
    losses = list(_differences(dashboard, written, "dashboard"))
    for panel in model.panels or []:
        children = panel.panels if isinstance(panel, RowPanel) else [panel]
        for child in children:
            losses.extend(
                f"panel {child.title!r}: query {index} is not read as a Prometheus query ({type(query).__name__})"
                for index, query in enumerate(child.targets or [])
                if not isinstance(query, prometheus.Dataquery)
            )
            if isinstance(child, Panel) and child.type_val in MODELLED_PANELS and isinstance(child.options, dict):
                losses.append(f"panel {child.title!r}: options not read by the {child.type_val} panel's model")
    return losses


def _differences(original: Any, written: Any, path: str) -> Iterator[str]:
    if isinstance(original, Mapping):
        if not isinstance(written, Mapping):
            yield f"{path}: written back as {written!r}"
            return
        for key, value in original.items():
            if key not in written:
                yield f"{path}.{key}: unknown to the model, dropped"
            else:
                yield from _differences(value, written[key], f"{path}.{key}")
    elif isinstance(original, list):
        if not isinstance(written, list) or len(written) != len(original):
            yield f"{path}: written back as {written!r}"
            return
        for index, (item, again) in enumerate(zip(original, written, strict=True)):
            yield from _differences(item, again, f"{path}[{index}]")
    elif original != written or isinstance(original, bool) != isinstance(written, bool):
        yield f"{path}: {original!r} written back as {written!r}"


def load_yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded
