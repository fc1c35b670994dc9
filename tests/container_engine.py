"""A container engine for the real runs of generated deployment files, reached through the Docker API.

Where a Docker engine answers, that is used, and images come from their registries. Otherwise (our CI
machines: no engine, no registry) podman serves the Docker API on a socket of this run, and the base
images the generated files name are built locally from Debian, under those names, so that the files
run unmodified. ../shared/containers-here.md has the recipe and why each workaround is needed.
"""

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

STAND_INS = Path(__file__).parent / "stand_ins"
# The official images the generated compose files and Dockerfile name, by the stand-in for each.
STAND_IN_TAGS = {
    "python": "docker.io/library/python:3.11-slim",
    "postgres": "docker.io/library/postgres:15",
    "redis": "docker.io/library/redis:7",
    "prometheus": "docker.io/prom/prometheus:v2.53.0",
}
DEBIAN_IMAGE = "localhost/debian:bookworm"
# Certificate authorities this host adds to Debian's, for the stand-ins that COPY host-ca/.
HOST_CA = Path("/usr/local/share/ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# crun cannot raise rlimits here (root lacks CAP_SYS_RESOURCE), and refuses the hybrid cgroups.
PODMAN_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
"""
HEALTH_INTERVAL_SECONDS = 2
SOCKET_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Engine:
    """What `docker-compose` needs to reach the engine, and which engine it is."""

    name: str
    env: Mapping[str, str]

    @property
    def podman_env(self) -> dict[str, str]:
        """For the podman CLI itself (kube play, a systemd machine): the settings, not the Docker API socket."""
        return {key: value for key, value in self.env.items() if key != "DOCKER_HOST"}

    def run(self, argv: list[str], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a client command against this engine; its output is kept for the caller's message."""
        env = os.environ | dict(self.env)
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@contextmanager
def container_engine(work_dir: Path) -> Iterator[Engine]:
    """Docker if its engine answers, otherwise podman with local stand-in base images."""
    if docker_answers():
        yield Engine("docker", {})
        return
    with podman(work_dir) as engine:
        yield engine


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@contextmanager
def podman(work_dir: Path) -> Iterator[Engine]:
    """podman's Docker-compatible API on a socket of this run, with a health-check runner beside it."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    assert not missing, f"neither a Docker engine nor {', '.join(missing)}: .ci/run installs podman, runc, debootstrap"
    conf = work_dir / "containers.conf"
    conf.write_text(PODMAN_CONF, encoding="utf-8")
    env = {"CONTAINERS_CONF": str(conf)}
    build_stand_ins(env, work_dir)
    socket = work_dir / "podman.sock"
    log = (work_dir / "podman-service.log").open("wb")
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env=os.environ | env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stop = threading.Event()
    checker = threading.Thread(target=run_health_checks, args=(env, stop), daemon=True)
    try:
        wait_for_socket(socket, service)
        checker.start()
        yield Engine("podman", env | {"DOCKER_HOST": f"unix://{socket}"})
    finally:
        stop.set()
        if checker.is_alive():
            checker.join()
        service.terminate()
        service.wait(timeout=30)
        log.close()


def build_stand_ins(env: Mapping[str, str], work_dir: Path) -> None:
    """The Debian base (imported once, then kept), then each stand-in; podman's layer cache makes a
    rebuild of an unchanged one take a second, and a changed Containerfile is picked up.
    """
    if podman_cli(["image", "exists", DEBIAN_IMAGE], env, check=False).returncode != 0:
        import_debian(env, work_dir)
    for name, tag in STAND_IN_TAGS.items():
        context = work_dir / f"stand-in-{name}"
        shutil.copytree(STAND_INS / name, context, dirs_exist_ok=True)
        if "host-ca/" in (context / "Containerfile").read_text(encoding="utf-8"):
            (context / "host-ca").mkdir(exist_ok=True)
            for certificate in HOST_CA.glob("*.crt"):
                shutil.copy(certificate, context / "host-ca")
        podman_cli(["build", "--quiet", "--format", "docker", "--tag", tag, str(context)], env)


def import_debian(env: Mapping[str, str], work_dir: Path) -> None:
    root = work_dir / "debian-root"
    subprocess.run(
        ["debootstrap", "--variant=minbase", "bookworm", str(root), debian_mirror()],
        check=True,
        capture_output=True,
        timeout=600,
    )
    with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
        podman_cli(["import", "-", DEBIAN_IMAGE], env, stdin=tar.stdout)
    shutil.rmtree(root)


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (the one its network lets through)."""
    for sources in sorted(Path("/etc/apt").glob("sources.list.d/*.sources")):
        for uri in re.findall(r"^URIs:\s*(\S+)", sources.read_text(encoding="utf-8"), re.MULTILINE):
            if uri.rstrip("/").endswith("/debian"):
                return str(uri)
    return DEFAULT_MIRROR


def podman_cli(
    argv: list[str], env: Mapping[str, str], *, check: bool = True, stdin: IO[bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        ["podman", *argv], env=os.environ | dict(env), stdin=stdin, capture_output=True, timeout=900, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(argv)}: {result.stderr.decode(errors='replace')[-3000:]}")
    return result


def run_health_checks(env: Mapping[str, str], stop: threading.Event) -> None:
    """podman runs HEALTHCHECKs from systemd timers, and PID 1 here is not systemd: run them instead."""
    while not stop.wait(HEALTH_INTERVAL_SECONDS):
        for container in podman_cli(["ps", "--quiet"], env, check=False).stdout.split():
            # A container without a health check answers with an error, which is fine.
            podman_cli(["healthcheck", "run", container.decode()], env, check=False)


def wait_for_socket(socket: Path, service: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SOCKET_TIMEOUT_SECONDS
    while not socket.exists():
        assert service.poll() is None, f"podman system service exited with {service.returncode}"
        assert time.monotonic() < deadline, f"podman system service made no socket in {SOCKET_TIMEOUT_SECONDS} s"
        time.sleep(0.1)
