"""A baked project's systemd units (deploy/systemd), installed into a throwaway root for
`systemd-analyze`, which checks units against the machine's own systemd."""

import configparser
import shutil
import subprocess
from pathlib import Path

SLUG = "my_service"
UNITS = Path("deploy/systemd")
# What `verify` resolves the units' dependencies against (sysinit.target, network-online.target, ...).
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
EXECUTABLE = Path(f"opt/{SLUG}/venv/bin/{SLUG}")  # install.sh's virtualenv


def unit_names(project: Path) -> list[str]:
    return sorted(path.name for path in (project / UNITS).iterdir() if path.suffix in {".service", ".target"})


def install_root(project: Path, root: Path) -> Path:
    """A root as install.sh leaves one: the units and their drop-in in /etc/systemd/system, and the
    service's executable (a stub: `verify` only checks that it exists)."""
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in unit_names(project):
        shutil.copy(project / UNITS / name, units)
    shutil.copytree(project / UNITS / f"{SLUG}-.service.d", units / f"{SLUG}-.service.d")
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / EXECUTABLE).parent.mkdir(parents=True)
    (root / EXECUTABLE).write_text("#!/bin/sh\n", encoding="utf-8")
    (root / EXECUTABLE).chmod(0o755)
    return root


def analyze(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", f"--root={root}", *arguments], capture_output=True, text=True, timeout=120, check=False
    )


def read_unit(path: Path) -> configparser.ConfigParser:
    """A unit file's sections and keys; a key given twice keeps its last value (systemd adds some up)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser
