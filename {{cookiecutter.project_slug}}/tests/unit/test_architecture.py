"""The layers: core/ and settings never import a web framework, and no import runs back up the layers."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "{{ cookiecutter.project_slug }}"
WEB_FRAMEWORKS = {"fastapi", "starlette", "uvicorn", "flask", "flask_cors", "flask_openapi3", "werkzeug", "gunicorn"}
FRAMEWORK_FREE = sorted([*PACKAGE.joinpath("core").rglob("*.py"), PACKAGE / "settings.py"])
# Lowest first: a module imports from its own layer or the ones below. Each domain of core may use
# the domains listed before it; core's own modules (db, cache, ...) use none.
LAYERS = [
    ("settings", ""),
    ("core",),
    ("core.item",),
    ("core.user",),
    ("core.auth",),
    ("resources",),
    ("web", "cli", "worker", "migrations", "__main__"),
]
MODULES = sorted(PACKAGE.rglob("*.py"))


def layer(module: str) -> int:
    """The layer of a module named relative to the package (`core.db`, `web.app`)."""
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    return max(matches)[1]


def module_name(path: Path) -> str:
    """`core/db.py` -> "core.db"; a package by its own name, the top one as ""."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix("__init__").rstrip(".")


def package_imports(path: Path) -> set[str]:
    """The package's modules that `path` imports, anywhere in it (functions and type checks too)."""
    prefix = "{{ cookiecutter.project_slug }}."
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {name.removeprefix(prefix) for name in names if name.startswith(prefix)}
    return found


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", FRAMEWORK_FREE, ids=lambda path: path.relative_to(PACKAGE).as_posix())
def test_module_imports_no_web_framework(path: Path) -> None:
    assert imported_roots(path) & WEB_FRAMEWORKS == set()


def test_the_check_sees_the_web_layer() -> None:
    """Guards the guard: the same check does find the framework in web/app.py."""
    assert imported_roots(PACKAGE / "web" / "app.py") & WEB_FRAMEWORKS


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.relative_to(PACKAGE).as_posix())
def test_no_import_runs_back_up_the_layers(path: Path) -> None:
    own = layer(module_name(path))
    assert {module for module in package_imports(path) if layer(module) > own} == set()


def test_the_layers_rank_adapters_above_core() -> None:
    """Guards the guard: web/ and the CLI sit above resources, which sits above core."""
    assert layer("web.app") > layer("resources") > layer("core.item.service") > layer("core.db") > layer("settings")
    assert "resources" in package_imports(PACKAGE / "web" / "app.py")
