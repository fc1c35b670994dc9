"""Database failures as domain errors, so callers see 409 or 503 rather than a driver's exception."""

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from {{ cookiecutter.project_slug }}.core.errors import AppError, Conflict, ServiceUnavailable

UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly."


def as_app_error(exc: SQLAlchemyError) -> AppError | None:
    """The domain error for a database failure, or None when it is a bug rather than an outage."""
    if isinstance(exc, IntegrityError):
        return Conflict("The change conflicts with existing data.")
    # Refused or dropped connections, lock and statement timeouts, a pool with no free connection.
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return ServiceUnavailable(UNAVAILABLE_MESSAGE)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ServiceUnavailable(UNAVAILABLE_MESSAGE)
    return None
