"""View decorators' common part: a check that runs before flask-openapi3 validates the request.
{%- set refusals = (["no token", "no role"] if cookiecutter.use_auth else []) + (["a flag that is off"] if cookiecutter.use_redis else []) %}

So a caller who may not see a route ({{ refusals | join(", ") }}) is answered for that alone,
whatever it sent; guards stack in any order and the request is validated once.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask_openapi3.request import validate_request

P = ParamSpec("P")
R = TypeVar("R")

# flask-openapi3's private mark of a view that validates its request itself: its route then skips
# validation. tests/web/test_flask_openapi3.py fails, naming it, if a release stops honouring it.
DELAYED_VALIDATION = "__delay_validate_request__"


def checked_first(check: Callable[[], object], view: Callable[P, R]) -> Callable[P, R]:
    """`view` with `check()` run before its request is validated; `check` raises to refuse."""
    # validate_request() marks the view so that flask-openapi3 leaves validation to this wrapper;
    # a view another guard has already marked validates in that guard's wrapper.
    delayed = getattr(view, DELAYED_VALIDATION, False)
    validated_view = view if delayed else validate_request()(view)  # type: ignore[no-untyped-call]  # unannotated

    @wraps(validated_view)
    def checked_view(*args: P.args, **kwargs: P.kwargs) -> R:
        check()
        return validated_view(*args, **kwargs)

    return checked_view
