"""Auth: `GET /api/v1/users/me` with an access token under load, and what a login costs.

Bakes use_redis=true, use_auth=true against a throwaway PostgreSQL and Redis, registers one user
and logs in through the API, then loads `GET /api/v1/users/me` with its access token (one database
read per request) with the rate limiter off, and on with a limit never reached. It then times
logins (Argon2id at the production cost) and token reads one at a time over one connection, to
show the hash is paid at login only.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import re
import secrets
import statistics
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING

import psycopg

from tests.served_app import HOST

from .api import (
    READY_PATH,
    REQUEST_TIMEOUT_S,
    UNREACHED_LIMIT,
    LatencySample,
    check_limiter,
    expect,
    get_ok,
    json_object,
    reconnections,
    request,
    send,
    timed_calls,
)
from .config import SKIP_REASON_CHARS, BenchmarkError, progress
from .deploy import deploy, served, with_postgres_and_redis
from .report import Row, rate_row
from .wrk import run_wrk, warmup

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tests.servers import Server

    from .config import Config, Framework, Target

REGISTER_PATH = "/api/v1/auth/register"
LOGIN_PATH = "/api/v1/auth/login"
ME_PATH = "/api/v1/users/me"
# The password is token_urlsafe, which has no ".", so it never contains the local part (policy).
AUTH_EMAIL = "auth.benchmark@example.com"
PASSWORD_BYTES = 24
LOGIN_WARMUP = 2
TIMED_LOGINS = 10
READ_WARMUP = 20
TIMED_READS = 200
DEFAULT_ACCESS_TOKEN_MINUTES = 15
ACCESS_TOKEN_MARGIN_MINUTES = 5  # checks, warm-ups and the timed logins after the loads
MAX_ACCESS_TOKEN_MINUTES = 24 * 60
# The parameters of a stored hash, e.g. $argon2id$v=19$m=65536,t=3,p=4$salt$hash.
ARGON2ID_HASH = re.compile(r"\$argon2id\$v=\d+\$(m=\d+,t=\d+,p=\d+)\$")
# The best-known full-stack FastAPI template's GET /users/me on a comparable 2-core machine.
REFERENCE_ME_RPS = 690
ME_GOAL_FACTOR = 2.5
AUTH_RATE_GOALS = {"fastapi": ME_GOAL_FACTOR * REFERENCE_ME_RPS}


@dataclass(frozen=True, eq=False)  # hashed by identity: the setups are the constants AUTH_SETUPS
class LimiterSetup:
    """One way of serving GET /users/me of the auth bake: the rate limiter's settings."""

    name: str
    key: str
    env: dict[str, str]
    rate_limited: bool


@dataclass(frozen=True)
class AuthResults:
    """The loads of GET /users/me per setup, and logins and reads timed one at a time."""

    password_cost: str
    loads: dict[LimiterSetup, list[tuple[float, float]]]
    login: LatencySample
    me: LatencySample


LIMITER_OFF = LimiterSetup("limiter off", "off", {"RATE_LIMIT__ENABLED": "false"}, rate_limited=False)
LIMITER_ON = LimiterSetup(
    "limiter on, never reached",
    "on",
    {
        "RATE_LIMIT__ENABLED": "true",
        "RATE_LIMIT__DEFAULT": f"{UNREACHED_LIMIT}/minute",
        "RATE_LIMIT__AUTH": f"{UNREACHED_LIMIT}/minute",
    },
    rate_limited=True,
)
AUTH_SETUPS = (LIMITER_OFF, LIMITER_ON)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(port: int, credentials: Mapping[str, str]) -> None:
    """Check the server is ready, then register the user; a bake without auth routes fails here, saying so."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        expect(request(connection, "GET", READY_PATH), HTTPStatus.OK, f"GET {READY_PATH}")
        response, content = send(connection, "POST", REGISTER_PATH, dict(credentials))
    finally:
        connection.close()
    if response.status in {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}:
        msg = f"POST {REGISTER_PATH}: status {response.status}: the bake has no auth routes"
        raise BenchmarkError(msg)
    user = expect(
        (response.status, json_object("POST", REGISTER_PATH, content)), HTTPStatus.CREATED, f"POST {REGISTER_PATH}"
    )
    if user.get("email") != credentials["email"]:
        msg = f"POST {REGISTER_PATH}: expected the user {credentials['email']}: {str(user)[:SKIP_REASON_CHARS]}"
        raise BenchmarkError(msg)


def log_in(connection: http.client.HTTPConnection, credentials: Mapping[str, str]) -> str:
    """Log in; return the access token."""
    tokens = expect(request(connection, "POST", LOGIN_PATH, dict(credentials)), HTTPStatus.OK, f"POST {LOGIN_PATH}")
    token = tokens.get("access_token")
    if not isinstance(token, str) or str(tokens.get("token_type")).lower() != "bearer":
        msg = f"POST {LOGIN_PATH}: expected a bearer access_token, got the keys {sorted(tokens)}"
        raise BenchmarkError(msg)
    return token


def authorize(port: int, credentials: Mapping[str, str], setup: LimiterSetup) -> str:
    """Log in and read GET /users/me with the token once; return the token.

    Fails unless the read answers 200 with the user's email and rate limit headers as the setup sets:
    a run that loads anything else is misconfigured.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        token = log_in(connection, credentials)
        response, content = send(connection, "GET", ME_PATH, headers=bearer(token))
    finally:
        connection.close()
    user = json_object("GET", ME_PATH, content)
    if response.status != HTTPStatus.OK or user.get("email") != credentials["email"]:
        msg = (
            f"{setup.name}: GET {ME_PATH} with the token: status {response.status}, expected 200 "
            f"with {credentials['email']}: {str(user)[:SKIP_REASON_CHARS]}"
        )
        raise BenchmarkError(msg)
    check_limiter(response, setup.name, rate_limited=setup.rate_limited)
    return token


def password_cost(database_url: str, email: str) -> str:
    """The Argon2id parameters of the user's stored hash, e.g. m=65536,t=3,p=4; fail for any other hash."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute('SELECT password_hash FROM "user" WHERE email = %s', (email,)).fetchone()
    match = None if row is None else ARGON2ID_HASH.match(str(row[0]))
    if match is None:
        msg = f"the password of {email} is not stored as an Argon2id hash"
        raise BenchmarkError(msg)
    return match.group(1)


def access_token_minutes(config: Config) -> int:
    """The template's default, unless a long run needs the token to outlive all its loads."""
    load_s = len(AUTH_SETUPS) * (warmup(config).duration_s + config.runs * config.duration_s)
    needed = math.ceil(load_s / 60) + ACCESS_TOKEN_MARGIN_MINUTES
    return min(max(DEFAULT_ACCESS_TOKEN_MINUTES, needed), MAX_ACCESS_TOKEN_MINUTES)


def auth_targets(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> dict[LimiterSetup, Target]:
    """Bake and migrate the auth variant once; return each setup's target, with Redis keys of its own."""
    database = f"bench_auth_{framework.name}"
    answers = {**framework.answers, "use_redis": True, "use_auth": True}
    env = {"REDIS_URL": redis_server.url, "AUTH__ACCESS_TOKEN_MINUTES": str(access_token_minutes(config))}
    base = deploy(answers, postgres, database, config, workdir, env=env)
    return {
        setup: replace(
            base,
            kind=setup.key,
            env={**base.env, **setup.env, "REDIS__KEY_PREFIX": f"{database}_{setup.key}", **config.app_env},
        )
        for setup in AUTH_SETUPS
    }


def login_latency(port: int, credentials: Mapping[str, str], token: str) -> tuple[LatencySample, LatencySample]:
    """Time logins, then GET /users/me with the token, one at a time over one connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        login = timed_calls(connection, lambda: log_in(connection, credentials), LOGIN_WARMUP, TIMED_LOGINS)
        me = timed_calls(connection, lambda: get_ok(connection, ME_PATH, bearer(token)), READ_WARMUP, TIMED_READS)
    finally:
        connection.close()
    return login, me


def benchmark_auth(
    framework: Framework, postgres: Server, redis_server: Server, config: Config, workdir: Path
) -> AuthResults:
    """Serve both setups at once, register and check; load them in turn, `runs` times; then time logins."""
    progress(
        f"auth {framework.name}: PostgreSQL + Redis, {config.runs} x ({', '.join(s.key for s in AUTH_SETUPS)}) "
        f"GET {ME_PATH}, wrk -t1 -c{config.connections} -d{config.duration_s}s; "
        f"then {TIMED_LOGINS} logins and {TIMED_READS} reads one at a time"
    )
    targets = auth_targets(framework, postgres, redis_server, config, workdir)
    credentials = {"email": AUTH_EMAIL, "password": secrets.token_urlsafe(PASSWORD_BYTES)}
    loads: dict[LimiterSetup, list[tuple[float, float]]] = {setup: [] for setup in AUTH_SETUPS}
    with contextlib.ExitStack() as servers:
        ports = {
            setup: servers.enter_context(served(target, workdir / f"server-{setup.key}")).port
            for setup, target in targets.items()
        }
        register(ports[LIMITER_OFF], credentials)  # the setups share the bake's database
        cost = password_cost(targets[LIMITER_OFF].env["DATABASE_URL"], AUTH_EMAIL)
        tokens = {setup: authorize(port, credentials, setup) for setup, port in ports.items()}
        for setup, port in ports.items():
            run_wrk(port, warmup(config), ME_PATH, headers=bearer(tokens[setup]))
        for run in range(1, config.runs + 1):
            for setup, port in ports.items():
                requests_per_s, p99_ms = run_wrk(port, config, ME_PATH, headers=bearer(tokens[setup]))
                loads[setup].append((requests_per_s, p99_ms))
                progress(f"  {setup.name} run {run}/{config.runs}: {requests_per_s:,.0f} req/s, p99 {p99_ms:.1f} ms")
        login, me = login_latency(ports[LIMITER_OFF], credentials, tokens[LIMITER_OFF])
        progress(f"  login median {login.median_ms:.1f} ms ({cost}), {ME_PATH} median {me.median_ms:.2f} ms")
    return AuthResults(cost, loads, login, me)


def auth_part(config: Config, workdir: Path) -> list[Row]:
    return with_postgres_and_redis(config, workdir, "auth", benchmark_auth, auth_rows)


def auth_rows(name: str, results: AuthResults) -> list[Row]:
    """Per setup: median rate and p99 of GET /users/me; the limiter's cost; then login against a read."""
    figures = {
        setup: (statistics.median(rate for rate, _ in loads), statistics.median(p99 for _, p99 in loads))
        for setup, loads in results.loads.items()
    }
    rows = []
    for setup, (rate, p99) in figures.items():
        figure = f"auth {name} GET /users/me, {setup.name}: req/s | p99, median of {len(results.loads[setup])}"
        goal = AUTH_RATE_GOALS.get(name) if setup is LIMITER_OFF else None
        rows.append(rate_row(figure, rate, p99, goal, f"{ME_GOAL_FACTOR}x {REFERENCE_ME_RPS}"))
    (off_rate, off_p99), (on_rate, on_p99) = figures[LIMITER_OFF], figures[LIMITER_ON]
    rows.append(
        Row(
            f"auth {name} limiter cost, on - off: req/s | p99",
            f"{(on_rate / off_rate - 1) * 100:+.0f}% | {on_p99 - off_p99:+.1f} ms",
        )
    )
    login, me = results.login, results.me
    rows += [
        Row(
            f"auth {name} login (Argon2id, production cost) median of {login.requests}",
            f"{login.median_ms:.1f} ms, {login.median_ms / me.median_ms:.0f}x a read "
            f"({results.password_cost}){reconnections([login])}",
        ),
        Row(f"auth {name} /users/me median of {me.requests}", f"{me.median_ms:.2f} ms{reconnections([me])}"),
    ]
    return rows
