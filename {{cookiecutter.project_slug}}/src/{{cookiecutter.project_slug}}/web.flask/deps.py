"""What route code reads from the current app and request, typed."""

from flask import current_app, g
from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.resources import Resources

# Where create_app keeps the process's resources, in `app.extensions`.
RESOURCES_KEY = "resources"
# Where the request's session waits, in `g`, for the unit-of-work hooks to end it.
SESSION_KEY = "db_session"
# Set in `g` when the request failed with an AppError that keeps its changes (committed all the same).
KEEP_CHANGES_KEY = "keep_changes"


def current_resources() -> Resources:
    resources: Resources = current_app.extensions[RESOURCES_KEY]
    return resources


def current_request_id() -> str | None:
    """The id the request hooks gave this request (None outside a request)."""
    request_id: str | None = g.get("request_id")
    return request_id


def current_session() -> Session:
    """The request's session, opened on first use; web/transactions.py commits or rolls it back."""
    session: Session | None = g.get(SESSION_KEY)
    if session is None:
        session = current_resources().sessions()
        session.begin()
        setattr(g, SESSION_KEY, session)
    return session
