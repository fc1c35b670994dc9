"""Shape the rendered project to the answers: apply the manifest, write `.env`, say what's next.

Offline, deterministic and idempotent: cruft re-runs this hook when it updates a project.
"""

import json
import secrets
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Rendered by cookiecutter; JSON keeps every answer a plain string, bool or list.
ANSWERS = r"""{{ cookiecutter | jsonify }}"""
MANIFEST = "template-manifest.toml"
SECRET_LINE = "SECRET_KEY="  # noqa: S105 - the variable name, not a secret


@dataclass(frozen=True)
class Plan:
    remove: list[str]
    move: dict[str, str]


def matches(when: dict[str, Any], answers: dict[str, Any]) -> bool:
    return all(answers[key] == value for key, value in when.items())


def plan(manifest: dict[str, Any], answers: dict[str, Any]) -> Plan:
    """Which owned paths to remove and which to rename, for these answers."""
    slug = answers["project_slug"]
    kept: dict[str, set[str]] = {}
    for entry in manifest["entry"]:
        owned = {path: path for path in entry.get("keep", [])} | entry.get("move", {})
        selected = matches(entry["when"], answers)
        for source, target in owned.items():
            targets = kept.setdefault(source.format(slug=slug), set())
            if selected:
                targets.add(target.format(slug=slug))
    for source, targets in kept.items():
        if len(targets) > 1:
            msg = f"{MANIFEST}: {source} is kept under several names: {sorted(targets)}"
            raise ValueError(msg)
    return Plan(
        remove=sorted(source for source, targets in kept.items() if not targets),
        move={source: target for source, targets in kept.items() for target in targets if target != source},
    )


def apply(plan: Plan, root: Path) -> None:
    """Remove, then rename; a path already handled (a re-run) is left alone."""
    for relative in plan.remove:
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for source, target in plan.move.items():
        if (root / source).exists() and not (root / target).exists():
            (root / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(root / source, root / target)
    for folder in {(root / path).parent for path in [*plan.remove, *plan.move]}:
        if folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def write_env(root: Path) -> None:
    """`.env` from `.env.example` with a fresh secret key; an existing `.env` is kept."""
    env = root / ".env"
    if env.exists():
        return
    lines = (root / ".env.example").read_text(encoding="utf-8").splitlines()
    secret = secrets.token_urlsafe(48)
    lines = [f"{SECRET_LINE}{secret}" if line.startswith(SECRET_LINE) else line for line in lines]
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    answers = json.loads(ANSWERS)
    root = Path.cwd()
    manifest_path = root / MANIFEST
    if manifest_path.exists():
        apply(plan(tomllib.loads(manifest_path.read_text(encoding="utf-8")), answers), root)
        manifest_path.unlink()
    write_env(root)
    slug = answers["project_slug"]
    print(
        f"\nCreated {root}\n\n"
        f"  cd {root.name}\n"
        "  make install   # virtualenv with the project and its dev tools\n"
        "  make test      # the test suite (TEST_DATABASE_URL picks the database server)\n"
        f"  .venv/bin/{slug} doctor\n"
        f"  .venv/bin/{slug} serve\n\n"
        ".env holds a fresh SECRET_KEY and is git-ignored; .env.example documents every setting.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
