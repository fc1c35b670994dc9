"""One unit of work per request, ended as core's `unit_of_work()` ends one.

Committed when the request succeeds, a view that returns an error response included; rolled back
when it raised, unless its error keeps changes (an AppError with `keeps_changes`). The error
handlers (web/errors.py) record what was raised in the request state.
"""

from flask import Flask, Response
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.project_slug }}.core.database_errors import as_app_error
from {{ cookiecutter.project_slug }}.core.db import run_after_commit
from {{ cookiecutter.project_slug }}.core.errors import AppError
from {{ cookiecutter.project_slug }}.web.errors import error_response
from {{ cookiecutter.project_slug }}.web.state import request_state


def should_commit(error: Exception | None) -> bool:
    """Whether a request that raised `error` (None: nothing) commits what it wrote."""
    return error is None or (isinstance(error, AppError) and error.keeps_changes)


def register_unit_of_work(app: Flask) -> None:
    # Runs before the response leaves, so a failed commit is reported instead of a false success.
    @app.after_request
    def end_transaction(response: Response) -> Response:
        state = request_state()
        session, state.session = state.session, None
        if session is None:
            return response
        with session:
            if not should_commit(state.error):
                session.rollback()
                return response
            try:
                session.commit()
            except SQLAlchemyError as exc:
                error = as_app_error(exc)
                if error is None:
                    raise
                return error_response(error)
            run_after_commit(session)
        return response

    # After an error no response hook saw: closing rolls back whatever is still open.
    @app.teardown_request
    def close_session(_: BaseException | None) -> None:
        state = request_state()
        session, state.session = state.session, None
        if session is not None:
            session.close()
