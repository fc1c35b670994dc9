"""Issuing and verifying tokens with each algorithm, and refusing unusable keys (no I/O beyond tmp files)."""

import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import SecretStr, ValidationError

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.auth.tokens import TokenClaims, TokenCodec, TokenType, fingerprint
from {{ cookiecutter.project_slug }}.core.models import utcnow
from {{ cookiecutter.project_slug }}.settings import AuthSettings, SettingsError

SECRET = SecretStr("s" * 48)
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def key_file(tmp_path: Path, key: PrivateKey, name: str = "key.pem") -> Path:
    path = tmp_path / name
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def codec(algorithm: str = "HS256", private_key_file: Path | None = None, secret: SecretStr = SECRET) -> TokenCodec:
    settings = AuthSettings.model_validate({"algorithm": algorithm, "private_key_file": private_key_file})
    return TokenCodec(settings, secret)


@pytest.fixture(params=["HS256", "RS256", "EdDSA"])
def any_codec(request: pytest.FixtureRequest, tmp_path: Path) -> TokenCodec:
    algorithm: str = request.param
    if algorithm == "HS256":
        return codec()
    key: PrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ed25519.Ed25519PrivateKey.generate()
    )
    return codec(algorithm, key_file(tmp_path, key))


def test_tokens_round_trip_with_their_type(any_codec: TokenCodec) -> None:
    now = utcnow()
    access = any_codec.issue_access(user_id=7, session_id=3, roles=("editor", "admin"), now=now)
    refresh = any_codec.issue_refresh(user_id=7, session_id=3, now=now)
    assert jwt.get_unverified_header(access.token)["alg"] == any_codec.algorithm
    assert any_codec.decode(access.token, TokenType.ACCESS) == TokenClaims(7, 3, ("admin", "editor"))
    assert any_codec.decode(refresh.token, TokenType.REFRESH) == TokenClaims(7, 3)
    assert access.expires_at - now == timedelta(minutes=15)
    assert refresh.expires_at - now == timedelta(days=14)
    with pytest.raises(InvalidToken, match="access token"):
        any_codec.decode(refresh.token, TokenType.ACCESS)
    with pytest.raises(InvalidToken, match="refresh token"):
        any_codec.decode(access.token, TokenType.REFRESH)


def test_each_token_is_unique_and_stored_only_as_a_digest() -> None:
    now = utcnow()
    first, second = (codec().issue_refresh(user_id=1, session_id=1, now=now).token for _ in range(2))
    assert first != second, "a random jti in each"
    assert len(fingerprint(first)) == 64
    assert fingerprint(first) != fingerprint(second)
    assert first not in fingerprint(first)


def test_a_token_from_another_key_or_algorithm_is_invalid(tmp_path: Path) -> None:
    token = codec(secret=SecretStr("t" * 48)).issue_access(user_id=1, session_id=1, roles=(), now=utcnow()).token
    with pytest.raises(InvalidToken, match="invalid"):
        codec().decode(token, TokenType.ACCESS)
    rsa_codec = codec("RS256", key_file(tmp_path, rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(InvalidToken, match="invalid"):
        rsa_codec.decode(codec().issue_access(user_id=1, session_id=1, roles=(), now=utcnow()).token, TokenType.ACCESS)


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "bearer", ""])
def test_a_header_that_is_not_bearer_is_invalid(header: str) -> None:
    with pytest.raises(InvalidToken, match="Authorization: Bearer"):
        codec().read_bearer(header)


def test_the_bearer_scheme_is_case_insensitive() -> None:
    token = codec().issue_access(user_id=2, session_id=5, roles=(), now=utcnow()).token
    assert codec().read_bearer(f"bearer {token}") == TokenClaims(2, 5)


def test_a_verified_token_is_reused_until_it_expires() -> None:
    tokens = TokenCodec(AuthSettings(access_token_minutes=1, leeway_seconds=0), SECRET)
    # Issued 58 seconds ago (rounded down to the second): one to two seconds of its minute left.
    token = tokens.issue_access(user_id=4, session_id=2, roles=(), now=utcnow() - timedelta(seconds=58)).token
    header = f"Bearer {token}"
    assert tokens.read_bearer(header) == TokenClaims(4, 2)
    assert tokens.read_bearer(header) == TokenClaims(4, 2), "from the verified tokens"
    time.sleep(2.5)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.read_bearer(header)


def test_a_short_hmac_secret_is_refused_at_startup() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY cannot sign HS256 tokens"):
        codec(secret=SecretStr("too-short"))


def test_an_asymmetric_algorithm_needs_a_key_file() -> None:
    with pytest.raises(ValidationError, match="AUTH__PRIVATE_KEY_FILE must name a PEM private key"):
        AuthSettings.model_validate({"algorithm": "RS256"})
    with pytest.raises(ValidationError, match="is not a file"):
        AuthSettings.model_validate({"algorithm": "RS256", "private_key_file": "/no/such/key.pem"})


def test_a_key_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    ed_key = key_file(tmp_path, ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(SettingsError, match="must hold an RSA private key"):
        codec("RS256", ed_key)
    ec_key = key_file(tmp_path, ec.generate_private_key(ec.SECP256R1()), "ec.pem")
    with pytest.raises(SettingsError, match="must hold an Ed25519 private key"):
        codec("EdDSA", ec_key)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(SettingsError, match="AUTH__PRIVATE_KEY_FILE"):
        codec("RS256", garbage)


def test_a_public_key_file_is_refused(tmp_path: Path) -> None:
    public = tmp_path / "public.pem"
    public.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(SettingsError, match="holds a public key"):
        codec("RS256", public)


def test_a_short_rsa_key_is_refused(tmp_path: Path) -> None:
    weak = key_file(tmp_path, rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - the point
    with pytest.raises(SettingsError, match="cannot sign RS256 tokens"):
        codec("RS256", weak)
