"""Signed tokens (PyJWT): short-lived access tokens and the refresh tokens that renew them.

Every token carries sub, sid (its session), type, iss, aud, iat, nbf, exp and jti; access tokens
also carry the user's roles. Decoding accepts only the configured algorithm, so neither an
unsigned token (alg "none") nor one signed with the public key as an HMAC secret gets through.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jwt
from pydantic import SecretStr

from {{ cookiecutter.project_slug }}.core.auth.errors import InvalidToken
from {{ cookiecutter.project_slug }}.core.models import MAX_ID, utcnow
from {{ cookiecutter.project_slug }}.settings import AuthSettings, SettingsError

# Access tokens whose signature and claims were verified, by their text: a client sends the same
# token with every request until it expires, and only the time needs checking again.
VERIFIED_ACCESS_TOKENS = 4096
# Required in every token; access tokens also carry "roles".
COMMON_CLAIMS = ("sub", "sid", "type", "iss", "aud", "iat", "nbf", "exp", "jti")
MISSING_CLAIM = "The token lacks a required claim."
# The message for each way a well-signed token can still be wrong; anything else is "invalid".
DECODE_ERRORS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "The token has expired."),
    (jwt.ImmatureSignatureError, "The token is not valid yet."),
    (jwt.InvalidAudienceError, "The token was issued for another service."),
    (jwt.InvalidIssuerError, "The token was issued by another service."),
    (jwt.MissingRequiredClaimError, MISSING_CLAIM),
)


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


WRONG_TYPE = {
    TokenType.ACCESS: "This needs an access token, not a refresh token.",
    TokenType.REFRESH: "This needs a refresh token, not an access token.",
}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says; the database has the last word on roles and activity."""

    user_id: int
    session_id: int
    roles: tuple[str, ...] = ()


def fingerprint(token: str) -> str:
    """The SHA-256 of a token, as stored: a database leak gives no usable refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _load_key_pair(settings: AuthSettings) -> tuple[Any, Any]:
    """The private key from AUTH__PRIVATE_KEY_FILE and its public half, checked against the algorithm."""
    assert settings.private_key_file is not None  # noqa: S101 - settings require it for asymmetric algorithms
    algorithm = jwt.get_algorithm_by_name(settings.algorithm)
    try:
        private_key = algorithm.prepare_key(settings.private_key_file.read_bytes())
    except (OSError, jwt.InvalidKeyError, ValueError) as exc:
        kind = "an RSA" if settings.algorithm == "RS256" else "an Ed25519"
        msg = f"AUTH__PRIVATE_KEY_FILE must hold {kind} private key in PEM form for {settings.algorithm} ({exc})"
        raise SettingsError(msg) from None
    if not hasattr(private_key, "public_key"):
        msg = "AUTH__PRIVATE_KEY_FILE holds a public key; the service signs tokens, so it needs the private key"
        raise SettingsError(msg)
    return private_key, private_key.public_key()


def _positive_id(value: object) -> int:
    if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise InvalidToken
    return int(value)


class TokenCodec:
    """Issues and verifies this service's tokens with the keys the settings name."""

    def __init__(self, settings: AuthSettings, secret_key: SecretStr) -> None:
        self.algorithm = settings.algorithm
        self.issuer = settings.issuer
        self.audience = settings.audience
        self.leeway = settings.leeway_seconds
        self.access_ttl = timedelta(minutes=settings.access_token_minutes)
        self.refresh_ttl = timedelta(days=settings.refresh_token_days)
        # Keys below the algorithm's minimum (32 bytes for HS256, 2048 bits for RSA) are refused.
        self._jwt = jwt.PyJWT(options={"enforce_minimum_key_length": True})
        if settings.algorithm == "HS256":
            self._signing_key: Any = secret_key.get_secret_value().encode()
            self._verifying_key: Any = self._signing_key
        else:
            self._signing_key, self._verifying_key = _load_key_pair(settings)
        self._check_keys()
        self._verified_access = lru_cache(maxsize=VERIFIED_ACCESS_TOKENS)(self._verify_access)

    def _check_keys(self) -> None:
        """Sign and verify once, so that an unusable key stops the service at startup, not at first login."""
        try:
            self.decode(self._encode(TokenType.ACCESS, 1, 1, utcnow(), {"roles": []}), TokenType.ACCESS)
        except (jwt.InvalidKeyError, InvalidToken) as exc:
            variable = "SECRET_KEY" if self.algorithm == "HS256" else "AUTH__PRIVATE_KEY_FILE"
            raise SettingsError(f"{variable} cannot sign {self.algorithm} tokens: {exc}") from None

    @property
    def access_seconds(self) -> int:
        return int(self.access_ttl.total_seconds())

    def issue_access(self, *, user_id: int, session_id: int, roles: tuple[str, ...], now: datetime) -> IssuedToken:
        token = self._encode(TokenType.ACCESS, user_id, session_id, now, {"roles": sorted(roles)})
        return IssuedToken(token, now + self.access_ttl)

    def issue_refresh(self, *, user_id: int, session_id: int, now: datetime) -> IssuedToken:
        return IssuedToken(self._encode(TokenType.REFRESH, user_id, session_id, now, {}), now + self.refresh_ttl)

    def _encode(self, kind: TokenType, user_id: int, session_id: int, now: datetime, extra: dict[str, Any]) -> str:
        issued_at = int(now.timestamp())
        ttl = self.access_ttl if kind is TokenType.ACCESS else self.refresh_ttl
        payload = {
            "sub": str(user_id),
            "sid": str(session_id),
            "type": kind.value,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + int(ttl.total_seconds()),
            "jti": secrets.token_urlsafe(16),
            **extra,
        }
        return self._jwt.encode(payload, self._signing_key, algorithm=self.algorithm)

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """The claims of a token this service issued, of the `expected` type; InvalidToken (401) otherwise."""
        return self._claims(self._verified_payload(token, expected))

    def _verified_payload(self, token: str, expected: TokenType) -> dict[str, Any]:
        try:
            payload = self._jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(COMMON_CLAIMS)},
            )
        except jwt.InvalidTokenError as exc:
            message = next((text for kind, text in DECODE_ERRORS if isinstance(exc, kind)), "The token is invalid.")
            raise InvalidToken(message) from None
        # The type before the type's own claims: a refresh token sent as an access token says so.
        if payload["type"] != expected.value:
            raise InvalidToken(WRONG_TYPE[expected])
        if expected is TokenType.ACCESS and "roles" not in payload:
            raise InvalidToken(MISSING_CLAIM)
        return payload

    @staticmethod
    def _claims(payload: dict[str, Any]) -> TokenClaims:
        roles = payload.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidToken
        return TokenClaims(_positive_id(payload["sub"]), _positive_id(payload["sid"]), tuple(roles))

    def _verify_access(self, token: str) -> tuple[TokenClaims, float, float]:
        """The claims of an access token, and the period they are valid in (leeway included)."""
        payload = self._verified_payload(token, TokenType.ACCESS)
        valid_from = max(payload["nbf"], payload["iat"]) - self.leeway
        return self._claims(payload), valid_from, payload["exp"] + self.leeway

    def read_bearer(self, authorization: str) -> TokenClaims:
        """The access token claims of an Authorization header value, `Bearer <token>`."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("Send the access token as Authorization: Bearer <token>.")
        claims, valid_from, valid_until = self._verified_access(token)
        if not valid_from <= time.time() < valid_until:
            # Verified once, out of its period now: decoding again names the reason (expired).
            return self.decode(token, TokenType.ACCESS)
        return claims
