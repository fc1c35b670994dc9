"""Passwords: Argon2id hashes (bcrypt ones still verified, then replaced) and the policy for new ones."""

import secrets
from dataclasses import dataclass

from pwdlib import PasswordHash, exceptions
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from {{ cookiecutter.project_slug }}.core.errors import ValidationFailed
from {{ cookiecutter.project_slug }}.settings import AuthSettings

# Local parts of an email shorter than this are too common to forbid inside a password.
MIN_EMAIL_NAME_LENGTH = 3
KIND_NAMES = "lowercase letters, uppercase letters, digits, other characters"
# A stored hash that cannot be checked: of no kind we know, or refused by its backend (bcrypt's
# 72-byte limit). pwdlib 0.4 wraps the backend's ValueError in HashVerificationError; 0.3 let it through.
UNVERIFIABLE: tuple[type[Exception], ...] = (
    exceptions.UnknownHashError,
    getattr(exceptions, "HashVerificationError", ValueError),
)


def _kinds(password: str) -> int:
    """How many of lowercase, uppercase, digits and other characters `password` mixes."""
    return sum(
        (
            any(char.islower() for char in password),
            any(char.isupper() for char in password),
            any(char.isdigit() for char in password),
            any(not char.isalnum() for char in password),
        )
    )


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int
    max_length: int
    min_kinds: int

    def problems(self, password: str, *, email: str) -> list[str]:
        """Every rule `password` breaks, in words that never repeat it."""
        found = []
        if len(password) < self.min_length:
            found.append(f"must be at least {self.min_length} characters long")
        if len(password) > self.max_length:
            found.append(f"must be at most {self.max_length} characters long")
        if _kinds(password) < self.min_kinds:
            found.append(f"must mix at least {self.min_kinds} of: {KIND_NAMES}")
        if password and len(set(password)) == 1:
            found.append("must not be one character repeated")
        name = email.split("@", 1)[0].lower()
        if len(name) >= MIN_EMAIL_NAME_LENGTH and name in password.lower():
            found.append("must not contain the name part of the email address")
        return found

    def check(self, password: str, *, email: str) -> None:
        """Raise ValidationFailed (422) naming every rule a new password breaks."""
        if problems := self.problems(password, email=email):
            raise ValidationFailed("The password does not meet the password policy.", details={"password": problems})


class PasswordHasher:
    """Hashes with Argon2id at the configured cost; verifies Argon2 and bcrypt hashes.

    Blocking and CPU-bound: async callers run these methods in a thread.
    """

    def __init__(self, settings: AuthSettings) -> None:
        argon2 = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # The first hasher makes new hashes; the others only verify old ones (and ask for a rehash).
        self._hashes = PasswordHash((argon2, BcryptHasher()))
        self.policy = PasswordPolicy(
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            min_kinds=settings.password_min_kinds,
        )
        # Verified against when a login names no account, so that it costs what a real one does.
        self._unknown_user_hash = self._hashes.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        return self._hashes.hash(password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether `password` matches, and the hash to store instead when this one is outdated.

        Outdated means bcrypt, or Argon2 with other parameters than the current settings.
        """
        try:
            return self._hashes.verify_and_update(password, password_hash)
        except UNVERIFIABLE:
            return False, None

    def verify_unknown_user(self, password: str) -> None:
        """Spend the time of one verification, for a login whose email has no account."""
        self._hashes.verify(password, self._unknown_user_hash)
