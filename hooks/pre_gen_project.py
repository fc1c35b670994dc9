"""Refuse answers that would produce a broken project, before any file is written.

Each problem is one line naming the prompt and the fix; cookiecutter then removes the
half-made project directory because we exit with status 1.
"""

import json
import keyword
import re
import sys
from typing import Any

# Rendered by cookiecutter; JSON keeps every answer a plain string, bool or list.
ANSWERS = r"""{{ cookiecutter | jsonify }}"""

# Import names of packages a generated project may install: a package named like one of
# them would shadow it. Project folders and common test names are reserved too.
TAKEN_NAMES = frozenset(
    {
        "aiomysql", "aiosqlite", "alembic", "anyio", "argon2", "asyncpg", "bcrypt", "celery",
        "click", "coverage", "cryptography", "deptry", "email_validator", "fastapi", "flask",
        "flask_cors", "flask_openapi3", "gunicorn", "h11", "httpx", "jinja2", "jwt", "kombu",
        "limits", "mypy", "opentelemetry", "prometheus_client", "psycopg", "pwdlib", "pydantic",
        "pydantic_settings", "pymysql", "pytest", "redis", "rich", "ruff", "sentry_sdk",
        "sqlalchemy", "starlette", "structlog", "tenacity", "typer", "uvicorn", "werkzeug",
        "migrations", "src", "test", "tests",
    }
)  # fmt: skip
YES_NO_PROMPTS = ("use_redis", "use_celery", "use_auth")
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# The canonical public-version grammar from PEP 440 (epoch, release, pre, post, dev).
PEP440_PATTERN = re.compile(
    r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*"
    r"(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?"
    r"(?:[-_.]?dev[-_.]?[0-9]*)?",
    re.IGNORECASE,
)


def slug_problem(slug: str) -> str | None:
    if not SLUG_PATTERN.fullmatch(slug):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", slug.lower()).strip("_") or "my_service"
        if not suggestion[0].isalpha():
            suggestion = f"app_{suggestion}"
        return (
            f"project_slug: {slug!r} is not a lowercase Python identifier "
            f"(letters, digits, underscores, starting with a letter); try {suggestion!r}"
        )
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"project_slug: {slug!r} is a Python keyword; choose another name, e.g. '{slug}_service'"
    if slug in sys.stdlib_module_names:
        return f"project_slug: {slug!r} shadows the standard library module; choose e.g. '{slug}_service'"
    if slug in TAKEN_NAMES:
        return f"project_slug: {slug!r} shadows a package or folder the project uses; choose e.g. '{slug}_service'"
    return None


def problems(answers: dict[str, Any]) -> list[str]:
    found = []
    if not str(answers["project_name"]).strip():
        found.append("project_name: must not be empty; give the service a human-readable name")
    slug_error = slug_problem(str(answers["project_slug"]))
    if slug_error:
        found.append(slug_error)
    email = str(answers["author_email"])
    if not EMAIL_PATTERN.fullmatch(email):
        found.append(f"author_email: {email!r} is not an email address; use the form name@example.com")
    version = str(answers["version"])
    if not PEP440_PATTERN.fullmatch(version):
        found.append(f"version: {version!r} is not a PEP 440 version; use the form 0.1.0")
    found.extend(
        f"{name}: {answers[name]!r} is not a yes/no answer; use true or false"
        for name in YES_NO_PROMPTS
        if not isinstance(answers[name], bool)
    )
    if answers["use_celery"] is True and answers["use_redis"] is False:
        found.append("use_celery: Celery needs Redis as its broker; answer use_redis=true, or use_celery=false")
    if answers["deployment"] == "kubernetes" and answers["database"] == "sqlite":
        found.append(
            "deployment: kubernetes runs pods on many nodes, which cannot share one SQLite file; "
            "answer database=postgresql or mysql, or deployment=docker-compose or bare"
        )
    return found


def main() -> int:
    found = problems(json.loads(ANSWERS))
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
