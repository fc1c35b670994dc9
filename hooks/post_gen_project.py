"""Shape the rendered project to the answers: variants by file name, then the features' paths.

`template-manifest.toml` says which tags name variants and which paths each feature owns;
`tested-versions.txt` is the version of every package the template's suite tested, of which the
project keeps those it installs. Offline, deterministic and idempotent: cruft re-runs this hook
when it updates a project.
"""

import json
import re
import secrets
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

# Rendered by cookiecutter; JSON keeps every answer a plain string, bool or list.
ANSWERS = r"""{{ cookiecutter | jsonify }}"""
MANIFEST = "template-manifest.toml"
TESTED_VERSIONS = "tested-versions.txt"
# Filled with the tested versions of what this project installs (uv reads them at its first lock).
CONSTRAINTS_LINE = "constraint-dependencies = []"
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SECRET_LINE = "SECRET_KEY="  # noqa: S105 - the variable name, not a secret
# Git-ignored files made from their .example: the settings, and the Kubernetes dev overlay's Secret.
SECRETS_FILES = (".env", "deploy/k8s/overlays/dev/secrets.env")


def known_tags(variants: dict[str, Any]) -> set[str]:
    flavours = variants["flavour"]
    return {tag for name, tags in variants.items() if name != "flavour" for tag in tags} | set(flavours.values())


def selected_tags(variants: dict[str, Any], answers: dict[str, Any]) -> set[str]:
    chosen = {answers[name] for name in variants if name != "flavour"}
    return chosen | {variants["flavour"][answers["framework"]]}


def split_tags(name: str, known: set[str]) -> tuple[str, set[str]]:
    """`db.async.py` -> ("db.py", {"async"}); `LICENSE.MIT` -> ("LICENSE", {"MIT"}); others unchanged."""
    # NAME.TAG first (a tag may hold a dot: Apache-2.0), then NAME.TAG.EXT.
    readings = [(name, "")] + ([tuple(name.rsplit(".", 1))] if "." in name else [])
    for whole, extension in readings:
        stem, tags = strip_tags(whole, known)
        if tags and stem:
            return (f"{stem}.{extension}" if extension else stem), tags
    return name, set()


def strip_tags(stem: str, known: set[str]) -> tuple[str, set[str]]:
    tags: set[str] = set()
    # Longest first, so that a tag ending in another tag is read whole.
    while tag := next((t for t in sorted(known, key=len, reverse=True) if stem.endswith(f".{t}")), None):
        tags.add(tag)
        stem = stem.removesuffix(f".{tag}")
    return stem, tags


def apply_variants(folder: Path, known: set[str], selected: set[str]) -> None:
    """Keep each variant whose tags are all selected under its plain name; remove the others."""
    for path in sorted(folder.iterdir()):
        name, tags = split_tags(path.name, known)
        if tags and not tags <= selected:
            remove(path)
            continue
        if tags:
            target = path.with_name(name)
            if target.exists():
                msg = f"{path.relative_to(Path.cwd())} and {target.name} both apply to these answers"
                raise ValueError(msg)
            path = path.rename(target)  # noqa: PLW2901 - the same entry under its new name
        if path.is_dir():
            apply_variants(path, known, selected)


def matches(when: dict[str, Any], answers: dict[str, Any]) -> bool:
    return all(
        answers[key] in value if isinstance(value, list) else answers[key] == value for key, value in when.items()
    )


def unwanted_paths(features: list[dict[str, Any]], answers: dict[str, Any]) -> list[str]:
    """Paths owned by features, none of which applies to these answers."""
    slug = answers["project_slug"]
    wanted: dict[str, bool] = {}
    for feature in features:
        applies = matches(feature["when"], answers)
        for path in feature["paths"]:
            key = path.format(slug=slug)
            wanted[key] = wanted.get(key, False) or applies
    return sorted(path for path, keep in wanted.items() if not keep)


def remove(path: Path) -> None:
    """Remove a file or folder, and the folders it leaves empty."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    for folder in path.parents:
        if folder == Path.cwd() or not folder.is_dir() or any(folder.iterdir()):
            break
        folder.rmdir()


def normalized(name: str) -> str:
    """A package name as indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    found = REQUIREMENT_NAME.match(requirement)
    if found is None:
        msg = f"not a requirement: {requirement!r}"
        raise ValueError(msg)
    return normalized(found[0])


def read_tested_versions(text: str) -> dict[str, tuple[list[str], set[str]]]:
    """`uv pip compile` output: each package's pins (one per marker) and the packages that require it."""
    packages: dict[str, tuple[list[str], set[str]]] = {}
    current: set[str] = set()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            pins, current = packages.setdefault(requirement_name(line), ([], set()))
            pins.append(line.strip())
        # `# via a`, or `# via` then `#   a` per line; "(pyproject.toml)" marks a direct requirement.
        elif (parent := line.strip().removeprefix("#").removeprefix(" via").strip()) and not parent.endswith(")"):
            current.add(normalized(parent))
    return packages


def tested_constraints(pyproject: dict[str, Any], tested: dict[str, tuple[list[str], set[str]]]) -> list[str]:
    """The tested pins of everything the project installs: its requirements and theirs, transitively."""
    requirements = pyproject["project"]["dependencies"] + pyproject.get("dependency-groups", {}).get("dev", [])
    installed = {requirement_name(requirement) for requirement in requirements}
    missing = installed - set(tested)
    if missing:
        msg = f"{TESTED_VERSIONS} has no version of {sorted(missing)}: run scripts/lock"
        raise ValueError(msg)
    # A package is installed when something installed requires it (extras make this a little more).
    while grown := {name for name, (_, parents) in tested.items() if name not in installed and parents & installed}:
        installed |= grown
    return [pin for name in sorted(installed) for pin in tested[name][0]]


def pin_tested_versions(root: Path) -> None:
    """Write the tested versions this project needs into pyproject.toml's uv constraints."""
    tested_path = root / TESTED_VERSIONS
    if not tested_path.exists():
        return
    pyproject_path = root / "pyproject.toml"
    text = pyproject_path.read_text(encoding="utf-8")
    pins = tested_constraints(tomllib.loads(text), read_tested_versions(tested_path.read_text(encoding="utf-8")))
    listed = "".join(f"\n  {json.dumps(pin)}," for pin in pins)
    pyproject_path.write_text(text.replace(CONSTRAINTS_LINE, f"constraint-dependencies = [{listed}\n]"), "utf-8")
    tested_path.unlink()


def write_secrets(target: Path) -> None:
    """`target` from `target`.example with a fresh secret key; an existing one is kept."""
    example = target.with_name(f"{target.name}.example")
    if target.exists() or not example.exists():
        return
    lines = example.read_text(encoding="utf-8").splitlines()
    secret = secrets.token_urlsafe(48)
    lines = [f"{SECRET_LINE}{secret}" if line.startswith(SECRET_LINE) else line for line in lines]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    answers = json.loads(ANSWERS)
    root = Path.cwd()
    manifest_path = root / MANIFEST
    if manifest_path.exists():
        manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        variants = manifest["variants"]
        apply_variants(root, known_tags(variants), selected_tags(variants, answers))
        for relative in unwanted_paths(manifest["feature"], answers):
            remove(root / relative)
        manifest_path.unlink()
    pin_tested_versions(root)
    for secrets_file in SECRETS_FILES:
        write_secrets(root / secrets_file)
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
