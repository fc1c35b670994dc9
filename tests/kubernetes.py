"""A baked project's Kubernetes manifests as kustomize renders them, and lookups over the objects."""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SLUG = "my_service"
NAME = "my-service"  # the objects' names and the app.kubernetes.io/name label

Object = dict[str, Any]


def render(project: Path, overlay: str) -> list[Object]:
    """`kubectl kustomize` of an overlay, kept as rendered-OVERLAY.yaml in the project for the validators."""
    result = subprocess.run(
        ["kubectl", "kustomize", f"deploy/k8s/overlays/{overlay}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay}: {result.stderr}"
    (project / f"rendered-{overlay}.yaml").write_text(result.stdout, encoding="utf-8")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def of_kind(objects: list[Object], kind: str) -> dict[str, Object]:
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def workloads(objects: list[Object]) -> dict[str, Object]:
    """The service's own Deployments and its Job (not the dev overlay's throwaway servers)."""
    return {
        name: item
        for kind in ("Deployment", "Job")
        for name, item in of_kind(objects, kind).items()
        if item["metadata"]["labels"].get("app.kubernetes.io/name") == NAME
    }


def pod_labels(objects: list[Object]) -> Iterator[dict[str, str]]:
    for kind in ("Deployment", "Job"):
        for item in of_kind(objects, kind).values():
            yield item["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())
