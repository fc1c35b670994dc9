"""Write the sync twin of every async module: the async code is the one source, Flask's flavour is derived.

    scripts/generate_sync.py          rewrite every `NAME.sync.py` from its `NAME.async.py`
    scripts/generate_sync.py --check  fail, naming the file to edit, if any twin differs

The rules work on lines, not on Python tokens, because the sources carry Jinja. A difference the
rules cannot derive is written in the async source as a Jinja comment, which renders to nothing:

    CODE  {#- async only #}           at the end of a line: the sync twin leaves the line out
    {#- sync: CODE #}                 on a line of its own: a line only the sync twin has
    {#- sync block: HEADER #}         on lines of their own: the sync twin indents the lines
    ...                               in between under HEADER
    {#- end sync block #}

A comment on a line of its own swallows the line break before it, so it must follow a line of code.

The result is sorted and formatted with ruff, with its Jinja masked. Pairs whose concurrency really
differs are written by hand on both sides and listed in HAND_WRITTEN.
"""

import argparse
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
PACKAGE = "src/{{cookiecutter.project_slug}}"
RUFF = Path(sys.executable).parent / "ruff"

# Both sides by hand, and why the sync side cannot be derived.
HAND_WRITTEN = {
    f"{PACKAGE}/core/dialect.postgresql.async.py": "asyncpg and psycopg take other connect arguments and errors",
    f"{PACKAGE}/core/health.async.py": "checks overlap as tasks with wait_for; sync runs them in threads it abandons",
    "tests/unit/test_health.async.py": "a hanging check is a sleeping task here, a blocked thread there",
    "tests/integration/test_cache_concurrency.async.py": "concurrent callers are tasks here, threads there",
    f"{PACKAGE}/worker/runtime.async.py": "each worker process keeps an event loop here; plain calls there",
}

HEADER = "{{# Generated from {source} by scripts/generate_sync.py: edit that file, then run the script. -#}}"
SLUG = "{{ cookiecutter.project_slug }}"
# As long as the default slug (my_service), so that ruff wraps lines as it will in the default bake.
SLUG_STANDIN = "__slug____"

SYNC_LINE = re.compile(r"(?P<indent>\s*)\{#- sync: (?P<code>.*) #\}")
ASYNC_ONLY = re.compile(r".*\S\s*\{#- async only #\}")
BLOCK_START = re.compile(r"(?P<indent>\s*)\{#- sync block: (?P<header>.*) #\}")
BLOCK_END = re.compile(r"\s*\{#- end sync block #\}")

# Each async name and its sync counterpart, as (module, name).
IMPORTS = {
    ("sqlalchemy", "AsyncAdaptedQueuePool"): ("sqlalchemy", "QueuePool"),
    ("sqlalchemy.ext.asyncio", "AsyncConnection"): ("sqlalchemy", "Connection"),
    ("sqlalchemy.ext.asyncio", "AsyncEngine"): ("sqlalchemy", "Engine"),
    ("sqlalchemy.ext.asyncio", "AsyncSession"): ("sqlalchemy.orm", "Session"),
    ("sqlalchemy.ext.asyncio", "async_sessionmaker"): ("sqlalchemy.orm", "sessionmaker"),
    # Called as sqlalchemy.create_engine: the module's own create_engine may take the name.
    ("sqlalchemy.ext.asyncio", "create_async_engine"): ("sqlalchemy", ""),
}
REPLACEMENTS = [
    (re.compile(r"\basync (def|with|for) "), r"\1 "),
    (re.compile(r"\bawait "), ""),
    (re.compile(r"\b(\w+)\.run_sync\((\w+)\)"), r"\2(\1)"),
    (re.compile(r"\basyncio\.run\((.*)\)$"), r"\1"),
    (re.compile(r"\basyncio\.to_thread\(([\w.]+), "), r"\1("),
    (re.compile(r"\basyncio\.to_thread\(([\w.]+)\)"), r"\1()"),
    (re.compile(r"\basyncio\.sleep\("), "time.sleep("),
    (re.compile(r"\basyncio\.(Lock|Event)\(\)"), r"\1()"),
    (re.compile(r"\.aclose\(\)"), ".close()"),
    (re.compile(r"\.sync_engine\b"), ""),
    (re.compile(r"\bredis\.asyncio\b"), "redis"),
    (re.compile(r"\blimits\.aio\b"), "limits"),
    (re.compile(r"\bAbstractAsyncContextManager\b"), "AbstractContextManager"),
    (re.compile(r"\basynccontextmanager\b"), "contextmanager"),
    (re.compile(r"\bAsyncIterator\b"), "Iterator"),
    (re.compile(r"\bAsyncConnection\b"), "Connection"),
    (re.compile(r"\bAsyncAdaptedQueuePool\b"), "QueuePool"),
    (re.compile(r"\bAsyncEngine\b"), "Engine"),
    (re.compile(r"\bAsyncSession\b"), "Session"),
    (re.compile(r"\basync_sessionmaker\b"), "sessionmaker"),
    (re.compile(r"\bcreate_async_engine\("), "sqlalchemy.create_engine("),
    (re.compile(r"\ban async engine\b"), "a sync engine"),
    (re.compile(r"\b([Aa])n async function\b"), r"\1 function"),
]
# Imports a rewritten line may need, by the text that needs them.
NEEDED_IMPORTS = {
    "time.sleep(": "import time",
    "sqlalchemy.create_engine(": "import sqlalchemy",
    "Lock()": "from threading import Lock",
    "Event()": "from threading import Event",
    "ThreadPoolExecutor(": "from concurrent.futures import ThreadPoolExecutor",
}
# pytest-anyio's settings mean nothing to sync tests.
ANYIO_MARK = "pytestmark = pytest.mark.anyio\n"
ANYIO_BACKEND = '@pytest.fixture\ndef anyio_backend() -> str:\n    return "asyncio"\n'


def apply_directives(lines: list[str], source: str) -> list[str]:
    """The sync lines the directives ask for; other lines pass through unchanged."""
    output: list[str] = []
    indent = ""
    for number, line in enumerate(lines):
        own_line = SYNC_LINE.fullmatch(line) or BLOCK_START.fullmatch(line) or BLOCK_END.fullmatch(line)
        if own_line and (number == 0 or not lines[number - 1].strip()):
            msg = f"{source}:{number + 1}: a directive on its own line must follow a line of code"
            raise SystemExit(msg)
        if ASYNC_ONLY.fullmatch(line):
            continue
        if sync := SYNC_LINE.fullmatch(line):
            output.append(indent + sync["indent"] + sync["code"])
        elif block := BLOCK_START.fullmatch(line):
            output.append(block["indent"] + block["header"])
            indent = "    "
        elif BLOCK_END.fullmatch(line):
            indent = ""
        else:
            output.append(indent + line if line else line)
    return output


def drop_await_parens(line: str) -> str:
    """`(await call(...)).attribute` -> `call(...).attribute`: the parentheses only held the await."""
    start = line.find("(await ")
    while start != -1:
        end = closing_bracket(line, start)
        inner = line[start + len("(await ") : end]
        grouping = start == 0 or not (line[start - 1].isalnum() or line[start - 1] in "_)]")
        if grouping and end and not re.search(r"\s", strip_brackets(inner)):
            line = line[:start] + "await " + inner + line[end + 1 :]
        start = line.find("(await ", start + 1)
    return line


def closing_bracket(line: str, start: int) -> int:
    """The index of the bracket that closes the one at `start` (0 if it is not closed on the line)."""
    depth = 0
    for index in range(start, len(line)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(line[index], 0)
        if depth == 0:
            return index
    return 0


def strip_brackets(text: str) -> str:
    """`a(b, c).d` -> `a.d`: what is left outside any brackets."""
    while (stripped := re.sub(r"\([^()\[\]]*\)|\[[^()\[\]]*\]", "", text)) != text:
        text = stripped
    return text


def drop_awaitable(line: str) -> str:
    """`Awaitable[T]` -> `T`, brackets matched."""
    while (start := line.find("Awaitable[")) != -1:
        end = closing_bracket(line, start + len("Awaitable"))
        line = line[:start] + line[start + len("Awaitable[") : end] + line[end + 1 :]
    return line


def rewrite_import(line: str) -> list[str]:
    """`from sqlalchemy.ext.asyncio import A, B` -> the sync modules' imports of their twins."""
    match = re.fullmatch(r"from ([\w.]+) import (.+)", line)
    if match is None or not any(module == match[1] for module, _ in IMPORTS):
        return [line]
    by_module: dict[str, list[str]] = {}
    for name in (name.strip() for name in match[2].split(",")):
        module, twin = IMPORTS.get((match[1], name), (match[1], name))
        names = by_module.setdefault(module, [])
        # Two async names may share a twin (AsyncAdaptedQueuePool and QueuePool): import it once.
        names.extend([twin] if twin and twin not in names else [])
    return [f"from {module} import {', '.join(names)}" for module, names in sorted(by_module.items()) if names]


def rewrite(line: str) -> list[str]:
    if "{%" in line or "{#" in line:
        return [line]
    lines = rewrite_import(drop_awaitable(drop_await_parens(line)))
    for pattern, replacement in REPLACEMENTS:
        lines = [pattern.sub(replacement, line) for line in lines]
    return lines


def used_names(text: str) -> set[str]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith(("import ", "from ")))
    return set(re.findall(r"\b\w+\b", body))


def prune_imports(lines: list[str], before: set[str]) -> list[str]:
    """Leave out the names the rewrite stopped using (`asyncio`, `Awaitable`, ...)."""
    after = used_names("\n".join(lines))
    gone = before - after
    output = []
    for line in lines:
        if line.startswith("import ") and line.removeprefix("import ") in gone:
            continue
        match = re.fullmatch(r"from ([\w.]+) import (.+)", line)
        if match and not match[2].startswith("("):
            names = [name.strip() for name in match[2].split(",")]
            kept = [name for name in names if name not in gone]
            if not kept:
                continue
            line = f"from {match[1]} import {', '.join(kept)}"  # noqa: PLW2901 - the same import, pruned
        output.append(line)
    return output


def add_needed_imports(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    missing = [statement for needle, statement in NEEDED_IMPORTS.items() if needle in text and statement not in lines]
    # After the module docstring; ruff's import sorting puts them in place.
    first_import = next(index for index, line in enumerate(lines) if line.startswith(("import ", "from ")))
    return lines[:first_import] + missing + lines[first_import:]


# A coroutine defined only to be handed to asyncio.run: its body is the sync function's body.
EVENT_LOOP_RUNNER = re.compile(
    r"\n*(?P<indent>[ ]*)async def (?P<name>\w+)\(\) -> [^\n]+:\n"
    r"(?P<body>(?:(?P=indent)    [^\n]*\n|\n)+?)"
    r"\n*(?P=indent)return asyncio\.run\((?P=name)\(\)\)\n"
)


def inline_event_loop_runners(text: str) -> str:
    def inline(match: re.Match[str]) -> str:
        body = match["body"].rstrip("\n").split("\n")
        return "\n" + "\n".join(line.removeprefix("    ") for line in body) + "\n"

    return EVENT_LOOP_RUNNER.sub(inline, text)


def drop_anyio(text: str) -> str:
    for boilerplate in (ANYIO_BACKEND, ANYIO_MARK):
        text = re.sub(rf"\n*{re.escape(boilerplate)}\n*", "\n\n\n", text)
    return text


def masked(text: str) -> tuple[str, dict[str, str]]:
    """Jinja lines become comments ruff leaves alone, the package name a stand-in of its length."""
    jinja: dict[str, str] = {}
    lines = []
    for line in text.replace(SLUG, SLUG_STANDIN).splitlines():
        if "{%" in line or "{#" in line or "{{" in line:
            key = f"# jinja-line-{len(jinja)}"
            jinja[key] = line.replace(SLUG_STANDIN, SLUG)
            line = line[: len(line) - len(line.lstrip())] + key  # noqa: PLW2901 - the same line, masked
        lines.append(line)
    return "\n".join(lines) + "\n", jinja


def blank_lines_around(lines: list[str], keys: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Blank lines before and after each masked Jinja line."""
    return {
        line.strip(): (blank_run(lines, index, -1), blank_run(lines, index, 1))
        for index, line in enumerate(lines)
        if line.strip() in keys
    }


def blank_run(lines: list[str], index: int, step: int) -> int:
    count = 0
    index += step
    while 0 <= index < len(lines) and not lines[index].strip():
        count += 1
        index += step
    return count


def unmasked(text: str, jinja: dict[str, str], around: dict[str, tuple[int, int]]) -> str:
    """Jinja back in place, with the blank lines it had (ruff spaces comments as if they were code)."""
    output: list[str] = []
    blanks_after: int | None = None  # set right after a Jinja line: the blank lines that follow it
    for line in text.splitlines():
        key = line.strip()
        if not key:
            if blanks_after is None:
                output.append(line)
            continue
        if key in jinja:
            while output and not output[-1]:
                output.pop()
            before, after = around[key]
            output.extend([""] * before)
            output.append(jinja[key])
            blanks_after = after
            continue
        if blanks_after is not None:
            output.extend([""] * blanks_after)
            blanks_after = None
        output.append(line)
    return "\n".join(output).replace(SLUG_STANDIN, SLUG) + "\n"


def ruff(arguments: list[str], text: str, source: str) -> str:
    settings = ["--line-length", "120", "--target-version", "py311"]
    first_party = f'lint.isort.known-first-party = ["{SLUG_STANDIN}", "tests"]'
    result = subprocess.run(
        [str(RUFF), *arguments, *settings, "--config", first_party, "--stdin-filename", source, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"ruff {arguments[0]} failed on the sync twin of {source}:\n{result.stderr}"
        raise SystemExit(msg)
    return result.stdout


def formatted(text: str, source: str) -> str:
    code, jinja = masked(text)
    around = blank_lines_around(code.splitlines(), jinja)
    # Sorted imports; and `with a:` around `with b:`, which were an await apart, become `with a, b:`.
    code = ruff(["check", "--select", "I,SIM117", "--fix", "--unsafe-fixes", "--exit-zero", "--quiet"], code, source)
    return unmasked(ruff(["format", "--quiet"], code, source), jinja, around)


def sync_twin(source: Path) -> str:
    text = source.read_text(encoding="utf-8")
    lines = apply_directives(inline_event_loop_runners(text).splitlines(), source.name)
    lines = [new for line in lines for new in rewrite(line)]
    lines = add_needed_imports(prune_imports(lines, used_names(text)))
    relative = source.relative_to(TEMPLATE).as_posix()
    header = HEADER.format(source=source.name)
    return header + "\n" + formatted(drop_anyio("\n".join(lines) + "\n"), relative)


def twin_of(source: str) -> str:
    return source.removesuffix(".async.py") + ".sync.py"


def twins() -> Iterator[tuple[Path, Path]]:
    for source in sorted(TEMPLATE.rglob("*.async.py")):
        relative = source.relative_to(TEMPLATE).as_posix()
        if relative not in HAND_WRITTEN:
            yield source, TEMPLATE / twin_of(relative)


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report twins that differ; write nothing")
    check = parser.parse_args(arguments).check
    report: Callable[[str], None] = print
    stale = [TEMPLATE / twin_of(source) for source in HAND_WRITTEN if not (TEMPLATE / twin_of(source)).exists()]
    for missing in stale:
        report(f"{missing.relative_to(ROOT)} is listed as hand-written but does not exist")
    for source, target in twins():
        expected = sync_twin(source)
        if target.exists() and target.read_text(encoding="utf-8") == expected:
            continue
        stale.append(target)
        if check:
            report(f"{target.relative_to(ROOT)} differs from what {source.name} generates: edit {source.name}")
        else:
            target.write_text(expected, encoding="utf-8")
            report(f"wrote {target.relative_to(ROOT)}")
    return 1 if stale and (check or any(not path.exists() for path in stale)) else 0


if __name__ == "__main__":
    sys.exit(main())
