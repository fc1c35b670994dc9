from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Far above any token this service issues; longer input is refused before it is parsed.
TOKEN_MAX_LENGTH = 4096


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=TOKEN_MAX_LENGTH)


class TokenPair(BaseModel):
    """Send the access token as `Authorization: Bearer <token>`; send the refresh token to /auth/refresh."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    # Seconds until the access token expires.
    expires_in: int
