"""The result of running health checks; shared by the HTTP endpoint and `doctor`."""

from dataclasses import dataclass, field
from typing import Any


class HealthCheckFailed(Exception):
    """Raised by a check that reached its dependency and found it unusable; both parts are reported."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    required: bool
    latency_ms: float
    # What the check reported (server version, pool statistics, ...), or why it failed.
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        """Ready unless a required check failed; a failed optional one only degrades."""
        return all(check.ok for check in self.checks if check.required)

    @property
    def status(self) -> str:
        if not self.ok:
            return "unavailable"
        return "ok" if all(check.ok for check in self.checks) else "degraded"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checks": {
                check.name: {
                    "ok": check.ok,
                    "required": check.required,
                    "latency_ms": round(check.latency_ms, 2),
                    **check.details,
                    **({"error": check.error} if check.error else {}),
                }
                for check in self.checks
            },
        }
