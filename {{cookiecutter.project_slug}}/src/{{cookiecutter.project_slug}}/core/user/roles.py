"""The roles a user can hold. Add yours here; routes require them with `require_roles(...)`."""

from enum import StrEnum


class Role(StrEnum):
    # Manages users and feature flags.
    ADMIN = "admin"
