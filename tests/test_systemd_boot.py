"""One real boot of the default bare project: a Debian machine with systemd as PID 1 in a podman
container (tests/systemd_machine), the project installed on it as its README says (`make
systemd-install` from the checkout, as root), Debian's PostgreSQL and Redis beside it with the
accounts .env.example names, then `systemctl start` of the target: every unit active, readiness
200 from the machine itself, and a task round trip through the worker unit.
"""

import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.container_engine import Engine, podman_cli
from tests.systemd_units import SLUG

MACHINE = Path(__file__).parent / "systemd_machine"
IMAGE = "localhost/backend-template-systemd-machine"
BOOT_TIMEOUT_SECONDS = 60
ACTIVE_TIMEOUT_SECONDS = 90
# A container lacks some of a machine's units (it has no udev, say): degraded is booted, too.
BOOTED = {"running", "degraded"}
UNITS = [f"{SLUG}-web.service", f"{SLUG}-worker.service", f"{SLUG}-beat.service"]


class Machine:
    """A booted container; commands run in it as root."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.env, self.name = env, name

    def run(self, *argv: str, check: bool = True) -> str:
        result = podman_cli(["exec", self.name, *argv], self.env, check=False)
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        assert result.returncode == 0 or not check, f"{' '.join(argv)}: {output[-3000:]}\n{self.journal()}"
        return output

    def journal(self) -> str:
        result = podman_cli(["exec", self.name, "journalctl", "--no-pager", "-n", "40"], self.env, check=False)
        return result.stdout.decode(errors="replace")[-4000:]

    def wait(self, what: str, done: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"{what} within {timeout} s\n{self.journal()}"
            time.sleep(1)


@pytest.fixture
def machine(container_engine: Engine) -> Iterator[Machine]:
    assert shutil.which("podman"), "systemd boots in a podman container: .ci/run installs podman"
    env = container_engine.podman_env
    podman_cli(["build", "--quiet", "--format", "docker", "--tag", IMAGE, str(MACHINE)], env)
    name = f"template-machine-{secrets.token_hex(4)}"
    podman_cli(["run", "--detach", "--name", name, "--systemd=always", IMAGE], env)
    try:
        yield Machine(env, name)
    finally:
        podman_cli(["rm", "--force", "--time", "10", name], env, check=False)


def test_the_bare_project_boots_under_systemd_and_serves(machine: Machine, bake: Bake) -> None:
    project = bake(deployment="bare")
    machine.wait(
        "systemd up",
        lambda: machine.run("systemctl", "is-system-running", check=False).strip() in BOOTED,
        BOOT_TIMEOUT_SECONDS,
    )
    podman_cli(["cp", f"{project}/.", f"{machine.name}:/srv/{SLUG}"], machine.env)
    machine.run("rm", "-rf", f"/srv/{SLUG}/.venv", f"/srv/{SLUG}/.env")  # a clone has neither
    machine.run("make", "-C", f"/srv/{SLUG}", "systemd-install")
    settings = machine.run("cat", f"/etc/{SLUG}/{SLUG}.env")
    assert "ENVIRONMENT=production" in settings.splitlines()
    # The accounts of .env.example's URLs, on the machine's own servers.
    for statement in ("CREATE ROLE app LOGIN PASSWORD 'app'", f"CREATE DATABASE {SLUG} OWNER app"):
        machine.run("runuser", "-u", "postgres", "--", "psql", "--quiet", "-c", statement)

    machine.run("systemctl", "start", f"{SLUG}.target")
    machine.wait(
        "every unit active",
        lambda: machine.run("systemctl", "is-active", *UNITS, check=False).split() == ["active"] * len(UNITS),
        ACTIVE_TIMEOUT_SECONDS,
    )
    assert machine.run("systemctl", "show", "--property=Result", f"{SLUG}-migrate.service").strip() == "Result=success"
    podman_cli(["cp", str(MACHINE / "client.py"), f"{machine.name}:/root/client.py"], machine.env)
    seen = json.loads(machine.run(f"/opt/{SLUG}/venv/bin/python", "/root/client.py"))
    assert seen == {"ready": 200, "register": 201, "import": 202, "task": "SUCCESS", "quantities": [5]}, (
        machine.journal()
    )
    # Each process runs as the service's account (/proc/PID belongs to its user), and logs JSON lines.
    for unit in UNITS:
        pid = machine.run("systemctl", "show", "--property=MainPID", "--value", unit).strip()
        assert machine.run("stat", "--format=%U", f"/proc/{pid}").strip() == SLUG, unit
    logged = machine.run("journalctl", "--no-pager", "-o", "cat", "-u", f"{SLUG}-web.service")
    assert any(line.startswith("{") and '"event"' in line for line in logged.splitlines()), logged[-2000:]
