"""What route code reads from the current app and request, typed."""

from flask import current_app
from sqlalchemy.orm import Session

from {{ cookiecutter.project_slug }}.resources import Resources
from {{ cookiecutter.project_slug }}.web.state import RESOURCES_KEY, request_state


def current_resources() -> Resources:
    resources: Resources = current_app.extensions[RESOURCES_KEY]
    return resources


def current_session() -> Session:
    """The request's session, opened on first use; web/transactions.py commits or rolls it back."""
    state = request_state()
    if state.session is None:
        state.session = current_resources().sessions()
        state.session.begin()
    return state.session
