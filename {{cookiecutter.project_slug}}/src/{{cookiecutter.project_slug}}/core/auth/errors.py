"""Authentication and authorization failures: 401 with a Bearer challenge (RFC 6750), or 403."""

from collections.abc import Sequence

from {{ cookiecutter.project_slug }}.core.errors import PermissionDenied, Unauthorized


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    parts = ['Bearer realm="api"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    return {"WWW-Authenticate": ", ".join(parts)}


class AuthenticationRequired(Unauthorized):
    code = "authentication_required"

    def __init__(self, message: str = "Send an access token as Authorization: Bearer <token>.") -> None:
        super().__init__(message, headers=_challenge())


class InvalidToken(Unauthorized):
    """A token that is forged, expired, of the wrong type or for another service."""

    code = "invalid_token"

    def __init__(self, message: str = "The token is invalid.") -> None:
        super().__init__(message, headers=_challenge("invalid_token", message))


class SessionEnded(InvalidToken):
    """A well-formed token whose session was revoked, or whose user was deactivated."""

    def __init__(self, message: str = "The session has ended; log in again.") -> None:
        super().__init__(message)


class RefreshTokenReused(SessionEnded):
    # The session's revocation is committed although the request fails.
    keeps_changes = True

    def __init__(self) -> None:
        super().__init__("This refresh token was already used, so the session has been ended; log in again.")


class InvalidCredentials(Unauthorized):
    """The same answer for an unknown email, a wrong password and a deactivated account."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is incorrect.", headers=_challenge())


class MissingRole(PermissionDenied):
    def __init__(self, roles: Sequence[str]) -> None:
        super().__init__(f"This requires the role: {', '.join(roles)}.", details={"required_roles": list(roles)})
