"""Forged, expired, misdirected and misused tokens: each is a 401 problem, and nothing else.

Tokens are built here with PyJWT and the app's own key where the attack needs a valid signature,
so that only the one property under test is wrong.
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from {{ cookiecutter.project_slug }}.settings import AuthSettings, Settings
from tests.accounts import ME, REFRESH, USERS, Account, bearer, log_in, sign_up
from tests.web.types import ClientFactory

# Claims the app requires in every access token.
ACCESS_CLAIMS = ("sub", "sid", "type", "iss", "aud", "iat", "nbf", "exp", "jti", "roles")
HOUR = 3600
DROP = object()
OTHER_SECRET = "another-secret-key-of-32-bytes-or-more"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(account: Account, settings: Settings, **changes: Any) -> dict[str, Any]:
    """A valid access token's claims for `account`, with `changes` applied.

    A change may be DROP (removes the claim) or a function of the current time.
    """
    now = int(time.time())
    session_id = jwt.decode(account.access_token, options={"verify_signature": False})["sid"]
    claims = {
        "sub": str(account.id),
        "sid": session_id,
        "type": "access",
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "iat": now,
        "nbf": now,
        "exp": now + HOUR,
        "jti": "forged",
        "roles": [],
    }
    for name, value in changes.items():
        claims[name] = value(now) if callable(value) else value
    return {name: value for name, value in claims.items() if value is not DROP}


def signed(settings: Settings, claims: dict[str, Any]) -> str:
    """Signed with the app's own key: the signature is valid, the claims are the attack."""
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")


def unsigned(claims: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hmac_signed(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def with_roles(token: str, roles: list[str]) -> str:
    """The same token with its payload's roles rewritten and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = roles
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def assert_refused(response: httpx.Response, token: str = "") -> dict[str, Any]:
    """401, problem+json, a Bearer challenge naming invalid_token; the token never echoed back."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (401, "invalid_token")
    if token:
        assert token not in response.text
    return body


# Properly signed with the app's key: only the named claims are wrong. Each with what the 401 says.
BAD_CLAIMS: dict[str, tuple[dict[str, Any], str]] = {
    "expired": ({"exp": lambda now: now - HOUR}, "expired"),
    "not-yet-valid": ({"nbf": lambda now: now + HOUR}, "not valid yet"),
    "issued-in-the-future": ({"iat": lambda now: now + HOUR}, "not valid yet"),
    "wrong-audience": ({"aud": "other-api"}, "for another service"),
    "wrong-issuer": ({"iss": "evil"}, "by another service"),
    "refresh-type": ({"type": "refresh"}, "access token"),
    "sub-not-a-number": ({"sub": "admin"}, "invalid"),
    "roles-not-a-list": ({"roles": "admin"}, "invalid"),
    "unknown-session": ({"sid": "999999999"}, "session has ended"),
    "unknown-user": ({"sub": "999999999"}, "session has ended"),
    **{f"missing-{claim}": ({claim: DROP}, "lacks a required claim") for claim in ACCESS_CLAIMS},
}
# Tokens whose signature is the attack.
FORGERIES: dict[str, Callable[[Account, Settings], str]] = {
    "alg-none": lambda account, settings: unsigned(claims_of(account, settings)),
    "wrong-key": lambda account, settings: jwt.encode(claims_of(account, settings), OTHER_SECRET, "HS256"),
    "rs256-with-a-foreign-key": lambda account, settings: jwt.encode(claims_of(account, settings), rsa_key(), "RS256"),
    "tampered-roles": lambda account, _: with_roles(account.access_token, ["admin"]),
    "refresh-token-as-access": lambda account, _: account.refresh_token,
    "garbage": lambda _, __: "not.a.token",
}


@pytest.mark.parametrize("attack", list(BAD_CLAIMS))
def test_a_token_with_bad_claims_is_refused(client: httpx.Client, settings: Settings, attack: str) -> None:
    account = sign_up(client)
    changes, says = BAD_CLAIMS[attack]
    token = signed(settings, claims_of(account, settings, **changes))
    body = assert_refused(client.get(ME, headers=bearer(token)), token)
    assert says in body["detail"], body["detail"]
    assert client.get(ME, headers=account.headers).status_code == 200, "the real token still works"


@pytest.mark.parametrize("attack", list(FORGERIES))
def test_a_forged_token_is_refused(client: httpx.Client, settings: Settings, attack: str) -> None:
    account = sign_up(client)
    token = FORGERIES[attack](account, settings)
    assert_refused(client.get(ME, headers=bearer(token)), token)
    assert_refused(client.get(USERS, headers=bearer(token)), token)
    assert client.get(ME, headers=account.headers).status_code == 200, "the real token still works"


@pytest.mark.parametrize("scheme", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "Token abc"])
def test_an_authorization_header_that_is_not_bearer_is_refused(client: httpx.Client, scheme: str) -> None:
    assert_refused(client.get(ME, headers={"Authorization": scheme}))


def test_a_token_of_another_users_session_is_refused(client: httpx.Client, settings: Settings) -> None:
    victim, attacker = sign_up(client), sign_up(client)
    victims_session = claims_of(victim, settings)["sid"]
    token = signed(settings, claims_of(attacker, settings, sid=victims_session))
    assert_refused(client.get(ME, headers=bearer(token)))


def test_an_access_token_is_not_a_refresh_token(client: httpx.Client) -> None:
    account = sign_up(client)
    body = assert_refused(client.post(REFRESH, json={"refresh_token": account.access_token}))
    assert "refresh token" in body["detail"]


def test_a_refresh_token_of_another_service_is_refused(client: httpx.Client, settings: Settings) -> None:
    account = sign_up(client)
    claims = claims_of(account, settings, type="refresh", aud="other-api", roles=DROP)
    assert_refused(client.post(REFRESH, json={"refresh_token": signed(settings, claims)}))


def test_an_oversized_token_is_refused_before_parsing(client: httpx.Client) -> None:
    response = client.post(REFRESH, json={"refresh_token": "x" * 5000})
    assert response.status_code == 422


@pytest.fixture
def rs256(settings: Settings, tmp_path: Path) -> tuple[Settings, rsa.RSAPrivateKey]:
    key = rsa_key()
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(pem(key))
    auth = settings.auth.model_copy(update={"algorithm": "RS256", "private_key_file": key_file})
    return settings.model_copy(update={"auth": AuthSettings.model_validate(auth.model_dump())}), key


def test_rs256_tokens_work_and_the_public_key_is_no_hmac_secret(
    rs256: tuple[Settings, rsa.RSAPrivateKey], client_for: ClientFactory
) -> None:
    settings, key = rs256
    with client_for(settings) as client:
        account = sign_up(client)
        assert jwt.get_unverified_header(account.access_token)["alg"] == "RS256"
        assert client.get(ME, headers=account.headers).status_code == 200
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # The classic confusion: HS256 "signed" with the public key, which attackers can get.
        token = hmac_signed(claims_of(account, settings), public_pem)
        assert_refused(client.get(ME, headers=bearer(token)))
        assert_refused(client.get(ME, headers=bearer(signed(settings, claims_of(account, settings)))))


def test_eddsa_tokens_work(settings: Settings, client_for: ClientFactory, tmp_path: Path) -> None:
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(pem(ed25519.Ed25519PrivateKey.generate()))
    auth = AuthSettings.model_validate(
        settings.auth.model_dump() | {"algorithm": "EdDSA", "private_key_file": key_file}
    )
    with client_for(settings.model_copy(update={"auth": auth})) as client:
        account = sign_up(client)
        assert jwt.get_unverified_header(account.access_token)["alg"] == "EdDSA"
        assert client.get(ME, headers=account.headers).status_code == 200
        renewed = client.post(REFRESH, json={"refresh_token": account.refresh_token})
        assert renewed.status_code == 200, renewed.text
        assert client.get(ME, headers=bearer(log_in(client, account.email)["access_token"])).status_code == 200
