"""The Kubernetes manifests (deployment=kubernetes), checked offline on every code-shaping combination
that may deploy there: `kubectl kustomize` renders both overlays, `kubernetes-validate --strict`
accepts every object for a pinned Kubernetes version, and the rendered objects hang together:
selectors select, probes ask the real health endpoints, settings come from the ConfigMap (never a
secret) and the Secret, and the pods run locked down.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Bake
from tests.kubernetes import NAME, SLUG, Object, of_kind, pod_labels, render, selects, workloads
from tests.monitoring import load_yaml
from tests.validators import failures
from tests.variants import Answers, code_variants, is_valid, variant_id

# The newest Kubernetes the machine's kubectl speaks; kubernetes-validate bundles its schemas.
KUBERNETES_VERSION = "1.32.0"
OVERLAYS = {"dev": f"{NAME}-dev", "prod": NAME}
PROBE = Path(__file__).parent / "settings_probe.py"
VARIANTS = [
    answers | {"deployment": "kubernetes"}
    for answers in code_variants()
    if is_valid(answers | {"deployment": "kubernetes"})
]
DATABASE_PORTS = {"postgresql": 5432, "mysql": 3306}
TMP = "/tmp"  # noqa: S108 - the pods' one writable path, not a file this test writes


def settings_probe(project: Path, environment: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """What the project's settings read, and whether they load from `environment` alone (no .env)."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(project / "src"), **environment}
    result = subprocess.run(
        [sys.executable, str(PROBE), SLUG], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    probed: dict[str, Any] = json.loads(result.stdout)
    return probed


def env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_kubernetes_overlays_render_validate_and_hang_together(bake: Bake, answers: Answers, tmp_path: Path) -> None:
    project = bake(**answers)
    assert not (project / "compose.yaml").exists()
    assert "deploy/k8s/overlays/dev/secrets.env" in (project / ".gitignore").read_text().splitlines()
    rendered = {overlay: render(project, overlay) for overlay in OVERLAYS}
    validate = ["kubernetes-validate", "--strict", "--quiet", "-k", KUBERNETES_VERSION]
    assert failures([[*validate, f"rendered-{overlay}.yaml"] for overlay in OVERLAYS], project) == []
    probed = settings_probe(project, {}, tmp_path)
    for overlay, objects in rendered.items():
        assert all(item["metadata"].get("namespace", OVERLAYS[overlay]) == OVERLAYS[overlay] for item in objects)
        check_workloads(objects, answers, overlay)
        check_api(objects)
        check_network_policies(objects, answers)
        config = check_settings(project, objects, overlay, probed, tmp_path)
        check_pods_read(objects, config)
    check_scrape_targets(project, rendered["prod"])
    # Not in the base (the Prometheus operator's kinds), but they must still select the pods.
    for monitor in yaml.safe_load_all((project / "deploy/k8s/base/monitors.yaml").read_text()):
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert any(selects(selector, labels) for labels in pod_labels(rendered["prod"])), monitor["metadata"]["name"]


def check_workloads(objects: list[Object], answers: Answers, overlay: str) -> None:
    """Each process of the service, locked down, with its own probes, resources and a pinned image."""
    own = workloads(objects)
    components = {"api", "migrate"} | ({"worker", "beat"} if answers["use_celery"] else set())
    assert {item["metadata"]["labels"]["app.kubernetes.io/component"] for item in own.values()} == components
    for name, item in own.items():
        template = item["spec"]["template"]
        if item["kind"] == "Deployment":
            assert selects(item["spec"]["selector"]["matchLabels"], template["metadata"]["labels"]), name
        pod = template["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["serviceAccountName"] in of_kind(objects, "ServiceAccount"), name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        (container,) = pod["containers"]
        locked = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
        assert container["securityContext"] == locked, name
        assert [mount["mountPath"] for mount in container["volumeMounts"]] == [TMP], "writable: /tmp alone"
        _, _, tag = container["image"].rpartition(":")
        assert tag not in {"", "latest"}, f"{name}: {container['image']}"
        if overlay == "prod":
            assert tag == "0.1.0", f"{name}: the release's version"
        resources = container["resources"]
        assert "cpu" in resources["requests"], name
        assert "cpu" not in resources["limits"], f"{name}: a CPU limit throttles"
        assert resources["requests"]["memory"] == resources["limits"]["memory"], name
    if answers["use_celery"]:
        beat = own[f"{NAME}-beat"]
        assert beat["spec"]["replicas"] == 1, "two beats send every periodic task twice"
        assert beat["spec"]["strategy"] == {"type": "Recreate"}
        for component in ("worker", "beat"):
            (container,) = own[f"{NAME}-{component}"]["spec"]["template"]["spec"]["containers"]
            assert container["livenessProbe"]["exec"]["command"] == [SLUG, "heartbeat", component]
    (job,) = (item for item in own.values() if item["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [SLUG, "db", "upgrade"]


def check_api(objects: list[Object]) -> None:
    """Probes on the real health paths, a drain before SIGTERM, and the objects that point at the API."""
    api = workloads(objects)[f"{NAME}-api"]
    labels = api["spec"]["template"]["metadata"]["labels"]
    (container,) = api["spec"]["template"]["spec"]["containers"]
    assert {port["name"]: port["containerPort"] for port in container["ports"]} == {"http": 8000}
    probes = {"startupProbe": "/health/live", "livenessProbe": "/health/live", "readinessProbe": "/health/ready"}
    for probe, path in probes.items():
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    assert "replicas" not in api["spec"], "the HorizontalPodAutoscaler owns the API's replicas"
    (autoscaler,) = of_kind(objects, "HorizontalPodAutoscaler").values()
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{NAME}-api"}
    assert autoscaler["spec"]["scaleTargetRef"] == target
    (budget,) = of_kind(objects, "PodDisruptionBudget").values()
    assert selects(budget["spec"]["selector"]["matchLabels"], labels)
    services = of_kind(objects, "Service")
    assert selects(services[f"{NAME}-api"]["spec"]["selector"], labels)
    for name, service in services.items():
        assert any(selects(service["spec"]["selector"], pod) for pod in pod_labels(objects)), f"{name} selects no pod"


def check_network_policies(objects: list[Object], answers: Answers) -> None:
    """No connection in but to the API (and the worker's metrics); out only to DNS and the servers."""
    policies = of_kind(objects, "NetworkPolicy")
    everything = policies[NAME]["spec"]
    assert everything["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in everything
    own_pods = [labels for labels in pod_labels(objects) if labels.get("app.kubernetes.io/name") == NAME]
    assert all(selects(everything["podSelector"]["matchLabels"], labels) for labels in own_pods)
    assert not any(
        selects(everything["podSelector"]["matchLabels"], labels)
        for labels in pod_labels(objects)
        if labels not in own_pods
    ), "the dev overlay's servers take connections"
    egress = {(port["port"], port["protocol"]) for rule in everything["egress"] for port in rule["ports"]}
    expected = {(53, "UDP"), (53, "TCP"), (DATABASE_PORTS[answers["database"]], "TCP")}
    assert egress == expected | ({(6379, "TCP")} if answers["use_redis"] else set())
    ingress = {
        name: [port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]]
        for name, policy in policies.items()
        if "ingress" in policy["spec"]
    }
    worker = {f"{NAME}-worker": ["metrics"]} if answers["use_celery"] else {}
    assert ingress == {f"{NAME}-api": ["http"]} | worker


def check_settings(
    project: Path, objects: list[Object], overlay: str, probed: dict[str, Any], tmp_path: Path
) -> Object:
    """The ConfigMap holds settings the app reads and no secret; with the Secret's keys, they load."""
    (config,) = of_kind(objects, "ConfigMap").values()
    secret_keys = env_file(project / "deploy/k8s/overlays/dev/secrets.env.example")
    assert set(config["data"]) <= set(probed["settings"]), "ConfigMap keys the app does not read"
    assert "SECRET_KEY" in probed["secrets"]
    assert not set(config["data"]) & {*probed["secrets"], *secret_keys}, "a secret in the ConfigMap"
    assert set(secret_keys) <= set(probed["settings"]), "Secret keys the app does not read"
    if overlay == "dev":
        secret = env_file(project / "deploy/k8s/overlays/dev/secrets.env")
    else:  # From the cluster's secret store, with the example's keys.
        secret = secret_keys | {"SECRET_KEY": secrets.token_urlsafe(48)}
    loaded = settings_probe(project, config["data"] | secret, tmp_path)
    assert loaded["error"] is None, f"{overlay}: {loaded['error']}"
    return config


def check_pods_read(objects: list[Object], config: Object) -> None:
    """Every pod of the service reads the ConfigMap, then the Secret (the dev overlay's, or one by that name)."""
    generated = list(of_kind(objects, "Secret"))
    secret = generated[0] if generated else f"{NAME}-secrets"
    for name, item in workloads(objects).items():
        (container,) = item["spec"]["template"]["spec"]["containers"]
        sources = [next(iter(source.values()))["name"] for source in container["envFrom"]]
        assert sources == [config["metadata"]["name"], secret], name


def check_scrape_targets(project: Path, prod: list[Object]) -> None:
    """monitoring/prometheus/prometheus.yml scrapes every pod through the prod overlay's headless Services."""
    services = of_kind(prod, "Service")
    for job in load_yaml(project / "monitoring/prometheus/prometheus.yml")["scrape_configs"]:
        (discovery,) = job["dns_sd_configs"]
        (dns_name,) = discovery["names"]
        service_name, namespace, _ = dns_name.split(".")
        assert namespace == OVERLAYS["prod"]
        service = services[service_name]
        assert service["spec"]["clusterIP"] == "None", (
            f"{service_name}: one DNS record per pod needs a headless Service"
        )
        assert [port["port"] for port in service["spec"]["ports"]] == [discovery["port"]]
