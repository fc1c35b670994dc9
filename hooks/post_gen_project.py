"""Shape the rendered project to the answers: variants by file name, then the features' paths.

`template-manifest.toml` says which tags name variants and which paths each feature owns.
Offline, deterministic and idempotent: cruft re-runs this hook when it updates a project.
"""

import json
import secrets
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

# Rendered by cookiecutter; JSON keeps every answer a plain string, bool or list.
ANSWERS = r"""{{ cookiecutter | jsonify }}"""
MANIFEST = "template-manifest.toml"
SECRET_LINE = "SECRET_KEY="  # noqa: S105 - the variable name, not a secret


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
        manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        variants = manifest["variants"]
        apply_variants(root, known_tags(variants), selected_tags(variants, answers))
        for relative in unwanted_paths(manifest["feature"], answers):
            remove(root / relative)
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
