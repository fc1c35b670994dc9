"""Logins must not tell which emails have accounts: not by status, body, or time.

Run at a real Argon2id cost (OWASP's minimum), where skipping the hash for an unknown email
would make its answer several times faster than a wrong password's.
"""

import statistics
import time

import httpx
import pytest

from {{ cookiecutter.project_slug }}.settings import Settings
from tests.accounts import LOGIN, new_email, sign_up
from tests.web.types import ClientFactory

ROUNDS = 15
WRONG = "not the password at all"
# Of the slower median: the gap a missing dummy hash would open is close to 100%.
TOLERANCE = 0.35


@pytest.fixture
def settings(settings: Settings) -> Settings:
    auth = settings.auth.model_copy(update={"argon2_memory_kib": 19_456, "argon2_time_cost": 2})
    return settings.model_copy(update={"auth": auth})


def timed(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.post(LOGIN, json={"email": email, "password": WRONG})
    return time.perf_counter() - started, response


def test_unknown_email_and_wrong_password_take_the_same_time(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(settings) as client:
        account = sign_up(client)
        timed(client, account.email)  # warm-up: first-call costs are not the point
        known: list[float] = []
        unknown: list[float] = []
        for _ in range(ROUNDS):
            # Interleaved, so that drift in machine load hits both alike.
            seconds, wrong_password = timed(client, account.email)
            known.append(seconds)
            seconds, no_account = timed(client, new_email())
            unknown.append(seconds)
            assert wrong_password.status_code == no_account.status_code == 401
            assert wrong_password.json()["detail"] == no_account.json()["detail"]
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    gap = abs(known_median - unknown_median) / max(known_median, unknown_median)
    assert gap < TOLERANCE, f"wrong password {known_median * 1000:.1f} ms, unknown email {unknown_median * 1000:.1f} ms"
