"""Feature flags in views: `@flag_required("new_search")`, below the route decorator.

Allow-lists and rollouts need the caller's user id, which this module reads from `g.user_id`:
whatever authenticates the request sets it. Until something does, every caller is anonymous and
gets the flag's plain on/off value.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request
from flask_openapi3.request import validate_request

from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.web.deps import current_resources

P = ParamSpec("P")
R = TypeVar("R")


def current_user_id() -> str | int | None:
    user_id: str | int | None = g.get("user_id")
    return user_id


def flag_enabled(name: str) -> bool:
    """Whether flag `name` is on for this request's caller, for views that branch on it."""
    return current_resources().flags.is_enabled(name, current_user_id())


def flag_required(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view decorator, placed below the route decorator, that answers 404 while flag `name` is off.

    The flag is checked before flask-openapi3 validates the request, so a hidden route answers
    404 whatever is sent to it.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        # Marks the view so that flask-openapi3 leaves validation to this wrapper.
        validated_view: Callable[P, R] = validate_request()(view)  # type: ignore[no-untyped-call]  # unannotated

        @wraps(validated_view)
        def flagged_view(*args: P.args, **kwargs: P.kwargs) -> R:
            if not flag_enabled(name):
                # The same answer as for a path that does not exist: a hidden route stays hidden.
                raise NotFound(f"Not Found: {request.method} {request.path}")
            return validated_view(*args, **kwargs)

        return flagged_view

    return decorate
