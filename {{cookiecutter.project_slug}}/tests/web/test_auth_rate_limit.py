"""Credential endpoints under their own, stricter limit (RATE_LIMIT__AUTH), against the real Redis."""

import httpx

from {{ cookiecutter.project_slug }}.settings import RateLimitSettings, Settings
from tests.accounts import LOGIN, ME, PASSWORD, REFRESH, REGISTER, log_in, new_email, sign_up
from tests.web.rate_limits import counted_as, limit_keys
from tests.web.types import ClientFactory

# Every test request comes from this peer (tests/web/conftest.py).
PEER = "127.0.0.1"


def limited(settings: Settings, auth: str) -> Settings:
    return settings.model_copy(update={"rate_limit": RateLimitSettings(auth=auth)})


def test_logins_are_limited_per_address_with_retry_after(settings: Settings, client_for: ClientFactory) -> None:
    strict = limited(settings, "3/minute")
    with client_for(strict) as client:
        email = new_email()
        assert client.post(REGISTER, json={"email": email, "password": PASSWORD}).status_code == 201
        answers = [client.post(LOGIN, json={"email": email, "password": PASSWORD}) for _ in range(3)]
    assert [response.status_code for response in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Limit"] == "3"
    assert counted_as(strict, f"auth:ip:{PEER}")


def test_guessing_passwords_is_limited_too(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "2/minute")) as client:
        guesses = [client.post(LOGIN, json={"email": new_email(), "password": f"guess {n}"}) for n in range(3)]
    assert [response.status_code for response in guesses] == [401, 401, 429]


def test_refresh_shares_the_auth_limit_and_other_routes_do_not(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(limited(settings, "4/minute")) as client:
        account = sign_up(client)  # register and login: 2 of 4
        renewed = client.post(REFRESH, json={"refresh_token": account.refresh_token})
        assert renewed.status_code == 200
        assert [client.get(ME, headers=account.headers).status_code for _ in range(5)] == [200] * 5
        assert client.post(REFRESH, json={"refresh_token": renewed.json()["refresh_token"]}).status_code == 200
        assert client.post(LOGIN, json={"email": account.email, "password": PASSWORD}).status_code == 429


def test_signed_in_requests_are_counted_per_user(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(settings) as client:
        account = sign_up(client)
        tokens = log_in(client, account.email)
        assert client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 200
        anonymous = client.get(ME)
    assert anonymous.status_code == 401
    assert counted_as(settings, f"default:user:{account.id}")
    assert counted_as(settings, f"default:ip:{PEER}")


def test_an_invalid_token_is_counted_by_address(settings: Settings, client_for: ClientFactory) -> None:
    with client_for(settings) as client:
        assert client.get(ME, headers={"Authorization": "Bearer forged"}).status_code == 401
    assert counted_as(settings, f"default:ip:{PEER}")
    assert not any(":user:" in key for key in limit_keys(settings))


def test_a_redis_outage_does_not_stop_logins(settings: Settings, client_for: ClientFactory, unused_port: int) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{unused_port}/0"})
    with client_for(down) as client:
        account = sign_up(client)
        response = client.get(ME, headers=account.headers)
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


def test_failed_requests_still_carry_the_limit_headers(client: httpx.Client) -> None:
    response = client.post(LOGIN, json={"email": new_email(), "password": "wrong password here"})
    assert response.status_code == 401
    assert "RateLimit-Remaining" in response.headers
