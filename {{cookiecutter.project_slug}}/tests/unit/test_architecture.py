"""core/ and settings never import a web framework: only web/ knows which one runs."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "{{ cookiecutter.project_slug }}"
WEB_FRAMEWORKS = {"fastapi", "starlette", "uvicorn", "flask", "flask_cors", "flask_openapi3", "werkzeug", "gunicorn"}
FRAMEWORK_FREE = sorted([*PACKAGE.joinpath("core").rglob("*.py"), PACKAGE / "settings.py"])


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
