"""Feature flags in views: `@flag_required("new_search")`, below the route decorator.
{%- if cookiecutter.use_auth %}

Allow-lists and rollouts need the caller's user id, which this module reads from the request
state: web/bearer.py sets it from the bearer token. Callers without one get the flag's plain
on/off value.
{%- else %}

Allow-lists and rollouts need the caller's user id, which this module reads from the request
state: whatever authenticates the request sets it. Until something does, every caller is
anonymous and gets the flag's plain on/off value.
{%- endif %}
"""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import request

from {{ cookiecutter.project_slug }}.core.errors import NotFound
from {{ cookiecutter.project_slug }}.web.deps import current_resources
from {{ cookiecutter.project_slug }}.web.guards import checked_first
from {{ cookiecutter.project_slug }}.web.state import request_state

P = ParamSpec("P")
R = TypeVar("R")


def flag_enabled(name: str) -> bool:
    """Whether flag `name` is on for this request's caller, for views that branch on it."""
    return current_resources().redis.flags.is_enabled(name, request_state().user_id)


def flag_required(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view decorator, placed below the route decorator, that answers 404 while flag `name` is off.

    The flag is checked before flask-openapi3 validates the request, so a hidden route answers
    404 whatever is sent to it.
    """

    def check_flag() -> None:
        if not flag_enabled(name):
            # The same answer as for a path that does not exist: a hidden route stays hidden.
            raise NotFound(f"Not Found: {request.method} {request.path}")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        return checked_first(check_flag, view)

    return decorate
