"""compose.services.yaml, the servers a generated project needs for development and tests (`make services`).

Offline here (no engine runs): Docker Compose's own `config` and the Compose-spec schema accept
it, and its ports and accounts are exactly what DATABASE_URL in .env.example and the test suite's
TEST_DATABASE_URL / TEST_REDIS_URL defaults expect, so `make services && make test` needs nothing else.
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest

from tests.conftest import Bake
from tests.monitoring import load_yaml
from tests.validators import failures
from tests.variants import Answers, combinations, variant_id

COMPOSE = "compose.services.yaml"
VARIANTS = [answers | {"use_celery": False} for answers in combinations(["database", "use_redis"])]


def default_of(project: Path, relative: str, variable: str) -> SplitResult:
    """The URL a test module falls back on when `variable` is not set."""
    text = (project / relative).read_text(encoding="utf-8")
    found = re.search(rf'os\.environ\.get\("{variable}", "([^"]+)"\)', text)
    assert found is not None, f"{relative}: no default for {variable}"
    return urlsplit(found[1])


def env_example(project: Path, variable: str) -> SplitResult:
    found = re.search(rf"^{variable}=(\S+)$", (project / ".env.example").read_text(encoding="utf-8"), re.MULTILINE)
    assert found is not None, f".env.example: no {variable}"
    return urlsplit(found[1])


def published_port(service: dict[str, Any]) -> int:
    """The one port published, which must be on loopback only."""
    (published,) = service["ports"]
    host, port, _ = published.split(":")
    assert host == "127.0.0.1", published
    return int(port)


def account(url: SplitResult) -> tuple[str | None, str | None, str | None, int | None]:
    return url.username, url.password, url.hostname, url.port


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_dev_services_are_valid_and_match_the_urls_that_expect_them(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    needs_servers = answers["database"] != "sqlite" or answers["use_redis"]
    assert (project / COMPOSE).exists() == needs_servers
    assert ("services:" in (project / "Makefile").read_text()) == needs_servers
    if not needs_servers:
        return
    checks = [
        ["docker-compose", "-f", COMPOSE, "config", "--quiet"],
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE],
    ]
    assert failures(checks, project) == []
    services = load_yaml(project / COMPOSE)["services"]
    expected_services = {"postgresql": {"postgres"}, "mysql": {"mariadb"}, "sqlite": set()}[answers["database"]]
    assert set(services) == expected_services | ({"redis"} if answers["use_redis"] else set())
    assert all("healthcheck" in service for service in services.values())

    if answers["database"] == "postgresql":
        server = services["postgres"]
        user, password = server["environment"]["POSTGRES_USER"], server["environment"]["POSTGRES_PASSWORD"]
        test_account = dev_account = (user, password, "localhost", published_port(server))
        dev_database = server["environment"]["POSTGRES_DB"]
    elif answers["database"] == "mysql":
        server = services["mariadb"]
        environment = server["environment"]
        port = published_port(server)
        test_account = ("root", environment["MARIADB_ROOT_PASSWORD"], "localhost", port)
        dev_account = (environment["MARIADB_USER"], environment["MARIADB_PASSWORD"], "localhost", port)
        dev_database = environment["MARIADB_DATABASE"]
    if answers["database"] != "sqlite":
        assert account(default_of(project, "tests/server_database.py", "TEST_DATABASE_URL")) == test_account
        assert account(env_example(project, "DATABASE_URL")) == dev_account
        assert env_example(project, "DATABASE_URL").path == f"/{dev_database}"
    if answers["use_redis"]:
        redis = ("localhost", published_port(services["redis"]))
        assert account(default_of(project, "tests/redis_fixtures.py", "TEST_REDIS_URL"))[2:] == redis
        assert account(env_example(project, "REDIS_URL"))[2:] == redis
