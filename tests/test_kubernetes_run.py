"""The default Kubernetes project's pods, run for real with `podman kube play` (no cluster can run
here): the image built from the generated Dockerfile and, from the rendered dev overlay, its
ConfigMap and Secret, the migration Job and the api and worker Deployments, each under its own
security context (user 10001, read-only root filesystem, /tmp from an emptyDir, no capabilities).
Then readiness 200, an account, and a task round trip through the worker.

What differs from a cluster, and why:
- kube play runs no Job: the Job's pod template runs as a Pod, and must exit 0 before the rest.
- There is no cluster network or Service DNS: the pods share this host's network, so each listens
  on loopback on a port of its own, and the Secret's server URLs are this run's PostgreSQL and Redis.
- podman 4.3 reads an envFrom Secret only from a podman secret holding its data as JSON (a Secret
  document in the stream is stored in a form it cannot read back), so the test creates it so.
"""

import base64
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import Bake
from tests.container_engine import Engine, podman_cli
from tests.kubernetes import NAME, SLUG, Object, of_kind, render, workloads
from tests.served_app import HOST, free_port, imported_through_the_worker, sign_up
from tests.servers import Server

IMAGE = f"localhost/{NAME}:0.1.0-dev"  # the dev overlay's tag; podman finds `my-service:…` under localhost/
READY_TIMEOUT_SECONDS = 90


class Pods:
    """Pods played from kube documents, and what they need, removed at the end."""

    def __init__(self, env: dict[str, str], work_dir: Path) -> None:
        self.env, self.work_dir = env, work_dir
        self.pods: list[str] = []
        self.secrets: list[str] = []

    def secret(self, name: str, data: dict[str, str]) -> None:
        source = self.work_dir / f"{name}.json"
        source.write_text(json.dumps(data), encoding="utf-8")
        podman_cli(["secret", "create", name, str(source)], self.env)
        self.secrets.append(name)

    def play(self, name: str, documents: list[Object]) -> None:
        path = self.work_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
        played = podman_cli(["kube", "play", str(path)], self.env, check=False)
        self.pods += [f"{item['metadata']['name']}-pod-0" for item in documents if item["kind"] == "Deployment"]
        self.pods += [item["metadata"]["name"] for item in documents if item["kind"] == "Pod"]
        assert played.returncode == 0, played.stderr.decode(errors="replace")

    def logs(self) -> str:
        """The last lines of every container of the played pods, for a failure's message."""
        names = [
            name
            for pod in self.pods
            for name in podman_cli(
                ["ps", "-a", "--format", "{{.Names}}", "--filter", f"pod={pod}"], self.env
            ).stdout.split()
            if not name.endswith(b"-infra")
        ]
        tails = [podman_cli(["logs", "--tail", "15", name.decode()], self.env, check=False) for name in names]
        return "\n".join(
            f"--- {name.decode()}\n{tail.stdout.decode()}{tail.stderr.decode()}"
            for name, tail in zip(names, tails, strict=True)
        )

    def remove(self) -> None:
        for pod in self.pods:
            podman_cli(["pod", "rm", "--force", pod], self.env, check=False)
        for name in self.secrets:
            podman_cli(["secret", "rm", name], self.env, check=False)
        # kube play makes an emptyDir a named volume, after the volume's name.
        podman_cli(["volume", "rm", "--force", "tmp"], self.env, check=False)


@pytest.fixture
def pods(container_engine: Engine, tmp_path: Path) -> Iterator[Pods]:
    assert shutil.which("podman"), "podman plays the pods: .ci/run installs it"
    env = container_engine.podman_env
    played = Pods(env, tmp_path)
    try:
        yield played
    finally:
        played.remove()
        podman_cli(["rmi", "--force", IMAGE], env, check=False)


def on_this_host(item: Object, ports: dict[str, int]) -> Object:
    """A Deployment or Pod on the host's network: its ports become loopback ports of its own."""
    spec = item["spec"]["template"]["spec"] if item["kind"] == "Deployment" else item["spec"]
    spec["hostNetwork"] = True
    (container,) = spec["containers"]
    # With the host's network, podman refuses port declarations: the probes name the number instead.
    declared = {port["name"]: ports[port["name"]] for port in container.pop("ports", [])}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if "httpGet" in container.get(probe, {}):
            container[probe]["httpGet"]["port"] = declared[container[probe]["httpGet"]["port"]]
    return item


def test_the_dev_overlay_pods_run_and_serve(pods: Pods, bake: Bake, servers: dict[str, Server]) -> None:
    project = bake(deployment="kubernetes")
    podman_cli(["build", "--quiet", "--format", "docker", "--tag", IMAGE, str(project)], pods.env)
    objects = render(project, "dev")
    own = workloads(objects)
    (config,) = of_kind(objects, "ConfigMap").values()
    ((secret_name, secret),) = of_kind(objects, "Secret").items()
    urls = {
        "DATABASE_URL": servers["postgresql"].create_database(f"k8s_{secrets.token_hex(4)}"),
        "REDIS_URL": servers["redis"].url,
    }
    assert set(urls) <= set(secret["data"]), "the Secret names the servers"
    pods.secret(
        secret_name, secret["data"] | {key: base64.b64encode(url.encode()).decode() for key, url in urls.items()}
    )

    job = own[f"{NAME}-migrate"]
    migrate = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{NAME}-migrate"},
        "spec": job["spec"]["template"]["spec"],
    }
    pods.play("migrate", [config, on_this_host(migrate, {})])
    exited = podman_cli(["wait", f"{NAME}-migrate-migrate"], pods.env, check=False)
    assert exited.stdout.decode().strip() == "0", pods.logs()

    api_port, metrics_port = free_port(), free_port()
    api = on_this_host(own[f"{NAME}-api"], {"http": api_port})
    (api_container,) = api["spec"]["template"]["spec"]["containers"]
    api_container["command"] = [SLUG, "serve", "--host", HOST, "--port", str(api_port), "--no-reload"]
    worker = on_this_host(own[f"{NAME}-worker"], {"metrics": metrics_port})
    (worker_container,) = worker["spec"]["template"]["spec"]["containers"]
    worker_container["env"] = [
        {"name": "CELERY__METRICS_HOST", "value": HOST},
        {"name": "CELERY__METRICS_PORT", "value": str(metrics_port)},
    ]
    pods.play("app", [config, api, worker])

    with httpx.Client(base_url=f"http://{HOST}:{api_port}", timeout=10) as client:
        ready = wait_for_ready(client, pods)
        assert ready["checks"]["database"]["migrations"] == "current", ready
        sign_up(client)
        name = f"item-{secrets.token_hex(4)}"
        imported_through_the_worker(client, name, 3, pods.logs)
        # The worker's own metrics, on the port its container was given.
        scraped = httpx.get(f"http://{HOST}:{metrics_port}/metrics", timeout=10).text
        assert re.search(r"^celery_task_succeeded_total\{.*\} [1-9]", scraped, re.MULTILINE), scraped[-2000:]


def wait_for_ready(client: httpx.Client, pods: Pods) -> dict[str, Any]:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        try:
            answer = client.get("/health/ready")
            if answer.status_code == 200:
                ready: dict[str, Any] = answer.json()
                return ready
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"/health/ready never answered 200\n{pods.logs()}"
        time.sleep(0.5)
