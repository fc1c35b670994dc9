"""One unit of work per request: commit a successful response's changes, roll back a failed one's."""

from typing import TYPE_CHECKING

from flask import Flask, Response, g
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.project_slug }}.core.database_errors import as_app_error
from {{ cookiecutter.project_slug }}.core.db import run_after_commit
from {{ cookiecutter.project_slug }}.web.deps import KEEP_CHANGES_KEY, SESSION_KEY
from {{ cookiecutter.project_slug }}.web.errors import error_response

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register_unit_of_work(app: Flask) -> None:
    # Runs before the response leaves, so a failed commit is reported instead of a false success.
    @app.after_request
    def end_transaction(response: Response) -> Response:
        session: Session | None = g.pop(SESSION_KEY, None)
        if session is None:
            return response
        with session:
            # Error responses keep nothing the request wrote, unless the error says otherwise.
            if response.status_code >= 400 and not g.get(KEEP_CHANGES_KEY):  # noqa: PLR2004
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
        session: Session | None = g.pop(SESSION_KEY, None)
        if session is not None:
            session.close()
