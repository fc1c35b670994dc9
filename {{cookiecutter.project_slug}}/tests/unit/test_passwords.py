"""Password hashing and the policy for new passwords (no I/O)."""

import bcrypt
import pytest

from {{ cookiecutter.project_slug }}.core.errors import ValidationFailed
from {{ cookiecutter.project_slug }}.core.user.passwords import PasswordHasher, PasswordPolicy
from {{ cookiecutter.project_slug }}.settings import AuthSettings

PASSWORD = "correct horse battery staple"
CHEAP = {"argon2_memory_kib": 8, "argon2_time_cost": 1, "argon2_parallelism": 1}


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(AuthSettings(**CHEAP))


def test_new_hashes_are_argon2id_at_the_configured_cost(hasher: PasswordHasher) -> None:
    password_hash = hasher.hash(PASSWORD)
    assert password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hasher.hash(PASSWORD) != password_hash, "salted"
    assert hasher.verify(PASSWORD, password_hash) == (True, None)
    assert hasher.verify("wrong password", password_hash) == (False, None)


def test_a_bcrypt_hash_verifies_and_is_replaced_by_argon2id(hasher: PasswordHasher) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    valid, replacement = hasher.verify(PASSWORD, legacy)
    assert valid
    assert replacement is not None
    assert replacement.startswith("$argon2id$")
    assert hasher.verify(PASSWORD, replacement) == (True, None)
    assert hasher.verify("wrong password", legacy) == (False, None)


def test_an_argon2_hash_at_an_older_cost_is_replaced(hasher: PasswordHasher) -> None:
    stronger = PasswordHasher(AuthSettings(argon2_memory_kib=16, argon2_time_cost=2, argon2_parallelism=1))
    valid, replacement = stronger.verify(PASSWORD, hasher.hash(PASSWORD))
    assert valid
    assert replacement is not None
    assert replacement.startswith("$argon2id$v=19$m=16,t=2,p=1$")


@pytest.mark.parametrize("stored", ["", "plain text", "$argon2id$v=19$broken", "$2b$04$tooshort"])
def test_an_unknown_or_broken_hash_never_verifies(hasher: PasswordHasher, stored: str) -> None:
    assert hasher.verify(PASSWORD, stored) == (False, None)


def test_bcrypts_72_byte_limit_is_a_mismatch_not_a_crash(hasher: PasswordHasher) -> None:
    legacy = bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(rounds=4)).decode()
    assert hasher.verify("x" * 100, legacy) == (False, None)


def test_an_unknown_user_costs_a_verification(hasher: PasswordHasher) -> None:
    hasher.verify_unknown_user(PASSWORD)  # returns nothing; raises nothing for any password
    hasher.verify_unknown_user("")


POLICY = PasswordPolicy(min_length=12, max_length=20, min_kinds=3)


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        pytest.param("Abcdefgh1234", [], id="meets-all"),
        pytest.param("Ab1", ["must be at least 12 characters long"], id="too-short"),
        pytest.param("Abcdefgh1234567890xyz", ["must be at most 20 characters long"], id="too-long"),
        pytest.param(
            "abcdefghijkl",
            ["must mix at least 3 of: lowercase letters, uppercase letters, digits, other characters"],
            id="one-kind",
        ),
        pytest.param(
            "AAAAAAAAAAAA",
            [
                "must mix at least 3 of: lowercase letters, uppercase letters, digits, other characters",
                "must not be one character repeated",
            ],
            id="repeated",
        ),
        pytest.param("Dave-Secret-9", ["must not contain the name part of the email address"], id="email-name"),
    ],
)
def test_the_policy_names_every_rule_broken(password: str, problems: list[str]) -> None:
    assert POLICY.problems(password, email="dave@example.com") == problems


def test_short_email_names_are_allowed_inside_passwords() -> None:
    assert POLICY.problems("Jo-Abcdefgh1", email="jo@example.com") == []


def test_check_raises_422_with_the_rules_and_never_the_password() -> None:
    with pytest.raises(ValidationFailed) as raised:
        POLICY.check("abc", email="dave@example.com")
    assert raised.value.status == 422
    assert raised.value.details == {"password": POLICY.problems("abc", email="dave@example.com")}
    assert "abc" not in raised.value.message
