"""A baked project's compose.yaml as one compose project on a container engine (tests/container_engine.py).

The generated files run unmodified: an override file only moves the API to a free port, publishes
Prometheus (monitoring profile) on another, and tells Compose to use the local images of the
database, Redis and Prometheus (on podman, the stand-ins).
"""

import json
import secrets
from pathlib import Path

from tests.container_engine import Engine
from tests.served_app import free_port
from tests.validators import BIN

UP_TIMEOUT_SECONDS = 600
DOWN_TIMEOUT_SECONDS = 300
OVERRIDE = """\
services:
  api:
    ports: !override
      - "127.0.0.1:{port}:8000"
  postgres:
    pull_policy: never
  redis:
    pull_policy: never
  prometheus:
    pull_policy: never
    ports:
      - "127.0.0.1:{prometheus_port}:9090"
"""


class Stack:
    """One compose project of a baked project's files, under a name of its own."""

    def __init__(self, engine: Engine, project: Path) -> None:
        self.engine = engine
        self.project = project
        port = prometheus_port = free_port()
        while prometheus_port == port:
            prometheus_port = free_port()
        override = OVERRIDE.format(port=port, prometheus_port=prometheus_port)
        (project / "compose.test.yaml").write_text(override, encoding="utf-8")
        self.name = f"template-run-{secrets.token_hex(4)}"
        self.base_url = f"http://127.0.0.1:{port}"
        self.prometheus_url = f"http://127.0.0.1:{prometheus_port}"

    def compose(self, *arguments: str, timeout: float = UP_TIMEOUT_SECONDS) -> str:
        """Run `docker-compose` on the stack; a failure raises with its output and the services' logs."""
        files = ["--file", "compose.yaml", "--file", "compose.test.yaml"]
        argv = [str(BIN / "docker-compose"), "--project-name", self.name, *files, *arguments]
        result = self.engine.run(argv, cwd=self.project, timeout=timeout)
        if result.returncode != 0:
            msg = (
                f"docker-compose {' '.join(arguments)}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}\n{self.logs()}"
            )
            raise AssertionError(msg)
        return result.stdout

    def up(self) -> None:
        """Build the image and start every service, returning once all are healthy (or done, for `migrate`)."""
        self.compose("up", "--detach", "--build", "--wait", "--wait-timeout", str(UP_TIMEOUT_SECONDS))

    def up_prometheus(self) -> None:
        """Start the monitoring profile's Prometheus (Grafana has no stand-in: no engine-less Grafana exists)."""
        self.compose("--profile", "monitoring", "up", "--detach", "--wait", "prometheus")

    def logs(self) -> str:
        argv = [str(BIN / "docker-compose"), "--project-name", self.name, "logs", "--no-color", "--tail", "30"]
        return self.engine.run(argv, cwd=self.project, timeout=60).stdout[-6000:]

    def image(self) -> str:
        """The app image's name, from the generated compose.yaml."""
        image: str = json.loads(self.compose("config", "--format", "json"))["services"]["api"]["image"]
        return image

    def remove(self) -> None:
        """Stop and remove the containers, the volumes and the app image; the base images stay cached."""
        image = self.image()
        self.compose("--profile", "monitoring", "down", "--volumes", "--remove-orphans", timeout=DOWN_TIMEOUT_SECONDS)
        self.engine.run([self.engine.name, "rmi", image], cwd=self.project, timeout=DOWN_TIMEOUT_SECONDS)
