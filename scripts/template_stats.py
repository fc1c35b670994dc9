"""Print figures about a template checkout's structure, to report a refactoring's before and after.

    .venv/bin/python scripts/template_stats.py [TEMPLATE_DIR]   # default: this repository

Ifs in functions go by indentation, as Jinja defeats `ast`: a `def` opens a body that the next code
line (not blank, Jinja, comment, nor inside a multi-line string or signature) at its indentation or less
closes. An if counts when a body is open and its line (for a Jinja line, the next code line) is deeper.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from cookiecutter.main import cookiecutter

TEMPLATE = "{{cookiecutter.project_slug}}"
MANIFEST = "template-manifest.toml"
DOMAIN_ORDER = ["item", "user", "auth"]
DOMAIN_LAYER = 2
# `resources` composes core for the adapters (web, cli, worker), so it sits just below them.
LAYERS = {"settings": 0, "core": 1, "resources": 3, "web": 3, "worker": 3, "cli": 4, "__main__": 4, "migrations": 4}
TOP_FILES = 10
MAX_IFS = 3
JINJA_IF = re.compile(r"\{%[-+]?\s*if\b")
DEF_LINE = re.compile(r"\s*(async\s+)?def\s")
MARKER = re.compile(r"[_.](async|sync|fastapi|flask)(?=\.|$)")  # in one path segment
ASYNC_MARKER = re.compile(r"(?<=[_.])async(?=[./]|$)")
FASTAPI_MARKER = re.compile(r"(?<=[_.])fastapi(?=\.[^/]*$)")  # in the file name only


class Line(NamedTuple):
    text: str
    closes: bool  # a code line, whose indentation can close a def's body
    in_signature: bool  # a continuation line of a def's signature, not of its body


class Edge(NamedTuple):
    importer: str
    imported: str
    line: int
    type_only: bool


def template_texts(root: Path) -> dict[str, str]:
    """Every file of the template folder, by its path relative to that folder."""
    folder = root / TEMPLATE
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8", errors="replace") for p in paths}


def python_texts(texts: dict[str, str]) -> dict[str, str]:
    return {path: text for path, text in texts.items() if path.endswith(".py")}


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def is_jinja(line: str) -> bool:
    return line.lstrip().startswith(("{%", "{#"))


def classified(text: str) -> list[Line]:
    lines = []
    in_string, signature = False, 0  # signature: parentheses a def's signature still has open
    for line in text.splitlines():
        code = bool(line.strip()) and not is_jinja(line) and not line.lstrip().startswith("#")
        lines.append(Line(line, code and not in_string and not signature, signature > 0))
        if signature or (DEF_LINE.match(line) and not in_string):
            signature = max(0, signature + line.count("(") - line.count(")"))
        in_string ^= (line.count('"""') + line.count("'''")) % 2 == 1
    return lines


def if_lines_in_functions(text: str) -> list[int]:
    """Line number of each Jinja if inside a def's body (see the module docstring)."""
    lines = classified(text)
    found: list[int] = []
    open_defs: list[int] = []  # indentation of each def whose body is open, outermost first
    for number, line in enumerate(lines, start=1):
        if line.closes:
            open_defs = [indent for indent in open_defs if indent < indentation(line.text)]
        depth = indentation(line.text)
        if is_jinja(line.text):
            depth = next((indentation(later.text) for later in lines[number:] if later.closes), -1)
        if open_defs and open_defs[0] < depth and not line.in_signature:
            found += [number] * len(JINJA_IF.findall(line.text))
        if line.closes and DEF_LINE.match(line.text):
            open_defs.append(indentation(line.text))
    return found


def without_one_marker(path: str) -> set[str]:
    """The path with one flavour marker (an `_async` folder, a `_sync` suffix, a `.flask` tag) removed."""
    parts = path.split("/")
    found = {"/".join(parts[:i] + parts[i + 1 :]) for i, part in enumerate(parts) if part in {"_async", "_sync"}}
    for i, part in enumerate(parts):
        for match in MARKER.finditer(part):
            found.add("/".join([*parts[:i], part[: match.start()] + part[match.end() :], *parts[i + 1 :]]))
    return found


def twin_of(path: str, paths: set[str]) -> str | None:
    """The sync twin of an async file (the Flask one of a FastAPI file, in tests), if there is one."""
    markers = [(ASYNC_MARKER, "sync")] + ([(FASTAPI_MARKER, "flask")] if path.startswith("tests/") else [])
    for pattern, flavour in markers:
        for match in pattern.finditer(path):
            if (twin := path[: match.start()] + flavour + path[match.end() :]) in paths:
                return twin
    return None


def is_generated(text: str) -> bool:
    return text.startswith("{#") and "generated" in text[: text.find("#}")].lower()


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1, as the post-generation hook prints from a subprocess."""
    saved = os.dup(1)
    with Path(os.devnull).open("w", encoding="utf-8") as null:
        os.dup2(null.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def baked_project(root: Path, into: Path) -> Path:
    """The project baked with the defaults, away from the user's cookiecutter config and replay."""
    config = into / "config.yaml"
    dirs = {"cookiecutters_dir": into / "cookiecutters", "replay_dir": into / "replay"}
    config.write_text("".join(f"{key}: {json.dumps(str(value))}\n" for key, value in dirs.items()), encoding="utf-8")
    with quiet_stdout():
        return Path(str(cookiecutter(str(root), no_input=True, output_dir=str(into), config_file=str(config))))


def module_names(package: Path) -> dict[str, Path]:
    """The dotted name of each module of the package (a package's being its `__init__`'s)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports(nodes: Iterable[ast.AST], type_only: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, however nested, and whether it is under `if TYPE_CHECKING:`."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        elif isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            yield from imports(node.body, type_only=True)
            yield from imports(node.orelse, type_only)
        else:
            yield from imports(ast.iter_child_nodes(node), type_only)


def package_edges(modules: dict[str, Path], slug: str) -> list[Edge]:
    """The package's absolute imports of itself, each resolved to the longest module prefix of the name."""
    edges = set()
    for importer, path in modules.items():
        for node, type_only in imports([ast.parse(path.read_text(encoding="utf-8"))]):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                names = [f"{node.module}.{alias.name}" for alias in node.names if node.module and not node.level]
            for parts in (name.split(".") for name in names if name.split(".")[0] == slug):
                while len(parts) > 1 and ".".join(parts) not in modules:
                    parts.pop()
                edges.add(Edge(importer, ".".join(parts), node.lineno, type_only))
    return sorted(edges, key=lambda edge: (edge.importer, edge.line, edge.imported))


def rank(module: str, packages: set[str]) -> tuple[int, int] | None:
    """(layer, domain rank, 0 outside domains) of a module; None when it is in no known layer."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0, 0
    if parts[1] == "core" and parts[2:] and ".".join(parts[:3]) in packages:
        domain = parts[2]
        return DOMAIN_LAYER, DOMAIN_ORDER.index(domain) if domain in DOMAIN_ORDER else len(DOMAIN_ORDER)
    layer = LAYERS.get(parts[1])
    return None if layer is None else (layer, 0)


def asyncio_runs(src: Path) -> list[tuple[str, int]]:
    sites = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "run" and ast.unparse(func.value) == "asyncio":
                sites.append((path.relative_to(src.parent).as_posix(), func.lineno))
    return sorted(sites)


def print_ranked(counts: dict[str, int], limit: int | None = None) -> None:
    for path, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]:
        print(f"  {count:5}  {path}")


def jinja_summary(texts: dict[str, str]) -> str:
    """Print section 1; return its part of the summary line, as the other *_summary functions do."""
    counts = {path: text.count("{%") for path, text in texts.items() if "{%" in text}
    print(f"\n== 1. Jinja statements ({{%) per file ==\ntotal: {sum(counts.values())} in {len(counts)} files")
    print_ranked(counts, TOP_FILES)
    return f"{{% {sum(counts.values())} in {len(counts)} files"


def if_count_summary(texts: dict[str, str]) -> str:
    counts = {path: len(JINJA_IF.findall(text)) for path, text in python_texts(texts).items()}
    many = {path: count for path, count in counts.items() if count > MAX_IFS}
    print(f"\n== 2. Python files with more than {MAX_IFS} {{% if ==\nfiles: {len(many)}")
    print_ranked(many)
    return f"{len(many)} files with >{MAX_IFS} ifs"


def ifs_in_functions_summary(texts: dict[str, str]) -> str:
    found = {path: lines for path, text in python_texts(texts).items() if (lines := if_lines_in_functions(text))}
    print("\n== 3. {% if inside function bodies ==")
    totals = []
    for where, under_src in (("under src/", True), ("elsewhere", False)):
        files = {path: lines for path, lines in found.items() if path.startswith("src/") == under_src}
        totals.append(f"{sum(map(len, files.values()))} {where}")
        print(f"{totals[-1]}, in {len(files)} files")
        for path, lines in sorted(files.items(), key=lambda item: (-len(item[1]), item[0])):
            print(f"  {len(lines):5}  {path}  (lines {', '.join(map(str, sorted(set(lines))))})")
    return f"ifs in functions {', '.join(totals)}"


def manifest_summary(root: Path) -> str:
    path = root / TEMPLATE / MANIFEST
    print(f"\n== 4. {MANIFEST} ==")
    if not path.exists():
        print("none")
        return "manifest none"
    text = path.read_text(encoding="utf-8")
    moves = [move for entry in tomllib.loads(text).get("entry", []) for move in entry.get("move", {}).items()]
    twins = sum(target in without_one_marker(source) for source, target in moves)
    print(f"lines: {len(text.splitlines())}\nmoves: {len(moves)}\nmoves that only rename a twin: {twins}")
    return f"manifest {len(text.splitlines())} lines, {len(moves)} moves ({twins} twin renames)"


def twin_summary(texts: dict[str, str]) -> str:
    pairs = {path: twin for path in texts if (twin := twin_of(path, set(texts)))}
    kept = {path: twin for path, twin in pairs.items() if not is_generated(texts[twin])}
    lines = {path: len(text.splitlines()) for path, text in texts.items()}
    print("\n== 5. Twin pairs (async | sync; fastapi | flask in tests) ==")
    for path, twin in sorted(pairs.items()):
        print(f"  {'hand-kept' if path in kept else 'generated'}  {path} ({lines[path]}) | {twin} ({lines[twin]})")
    sides = sum(lines[path] for path in kept), sum(lines[twin] for twin in kept.values())
    print(f"pairs: {len(pairs)}, hand-kept: {len(kept)}, generated: {len(pairs) - len(kept)}")
    print(f"lines of the hand-kept pairs: {sides[0]} async/fastapi side, {sides[1]} sync/flask side")
    return f"twin pairs {len(pairs)} ({len(kept)} hand-kept, {sides[0]} + {sides[1]} lines)"


def layering_summary(project: Path) -> str:
    slug = project.name
    modules = module_names(project / "src" / slug)
    packages = {name.rpartition(".")[0] for name in modules} | {
        n for n, p in modules.items() if p.name == "__init__.py"
    }
    print(f"\n== 6. Imports that run back up the layers (default bake: {slug}) ==")
    upward, unranked = [], set()
    for edge in package_edges(modules, slug):
        ranks = rank(edge.importer, packages), rank(edge.imported, packages)
        unranked |= {name for name, found in zip(edge[:2], ranks, strict=True) if found is None}
        if ranks[0] is not None and ranks[1] is not None and ranks[0] < ranks[1]:
            upward.append(edge)
            print(f"  {edge.importer} -> {edge.imported} (line {edge.line}){' (type only)' * edge.type_only}")
    type_only = sum(edge.type_only for edge in upward)
    print(f"total: {len(upward)} ({type_only} type only)")
    if unranked:
        print(f"in no layer, not judged: {', '.join(sorted(unranked))}")
    sites = asyncio_runs(project / "src")
    print(f"asyncio.run( call sites under src/: {len(sites)}")
    for path, line in sites:
        print(f"  {path}:{line}")
    return f"upward imports {len(upward)} ({type_only} type only); asyncio.run {len(sites)}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Print figures about a template checkout's structure.")
    parser.add_argument("template_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    root: Path = parser.parse_args().template_dir.resolve()
    texts = template_texts(root)
    # Sections 1-3 count what people edit: generated twins repeat their sources' Jinja.
    sources = {path: text for path, text in texts.items() if not is_generated(text)}
    print(f"template: {root / TEMPLATE} ({len(texts) - len(sources)} generated files left out of sections 1-3)")
    summary = [jinja_summary(sources), if_count_summary(sources), ifs_in_functions_summary(sources)]
    summary += [manifest_summary(root), twin_summary(texts)]
    with tempfile.TemporaryDirectory() as tmp:
        summary.append(layering_summary(baked_project(root, Path(tmp))))
    print(f"\nsummary: {'; '.join(summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
