"""What web/guards.py relies on in flask-openapi3 beyond its documented API, checked against the installed release.

A failure here names the release that changed it: web/guards.py has to follow before that upgrade.
"""

from collections.abc import Iterator
from importlib.metadata import version
from typing import Any, ClassVar

import httpx
import pytest
from flask import request
from flask_openapi3.openapi import OpenAPI
from flask_openapi3.request import validate_request
from pydantic import BaseModel, model_validator
from werkzeug.exceptions import Forbidden

from {{ cookiecutter.project_slug }}.web.guards import DELAYED_VALIDATION, checked_first

CHANGED = (
    f"flask-openapi3 {version('flask-openapi3')} no longer honours its private {DELAYED_VALIDATION!r} mark, "
    "which web/guards.py relies on"
)


class Counted(BaseModel):
    """A body that counts how often it is validated."""

    validations: ClassVar[int] = 0
    count: int

    @model_validator(mode="before")
    @classmethod
    def count_validation(cls, data: Any) -> Any:
        cls.validations += 1
        return data


def refuse_on_header() -> None:
    if request.headers.get("X-Refuse"):
        raise Forbidden


def let_through() -> None:
    pass


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A bare flask-openapi3 app with one route behind two guards, as web/guards.py stacks them."""

    # Defined here: validate_request() marks the function itself, so each test needs a fresh one.
    def echo(body: Counted) -> dict[str, int]:
        return {"count": body.count}

    app = OpenAPI(__name__)
    app.post("/guarded")(checked_first(refuse_on_header, checked_first(let_through, echo)))
    Counted.validations = 0
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://testserver") as client:
        yield client


def test_validate_request_marks_the_view_it_returns() -> None:
    def view(body: Counted) -> dict[str, int]:
        return {"count": body.count}

    marked = validate_request()(view)  # type: ignore[no-untyped-call]  # unannotated
    assert getattr(marked, DELAYED_VALIDATION, None) is True, f"{CHANGED}: validate_request() does not set it"


def test_the_route_leaves_a_marked_view_to_its_checks(client: httpx.Client) -> None:
    refused = client.post("/guarded", json={"count": "not a number"}, headers={"X-Refuse": "1"})
    assert refused.status_code == 403, f"{CHANGED}: the route validated the request before the guard's check"


def test_the_route_leaves_a_marked_view_to_validate_once(client: httpx.Client) -> None:
    response = client.post("/guarded", json={"count": 2})
    assert response.json() == {"count": 2}
    assert Counted.validations == 1, f"{CHANGED}: the request was validated {Counted.validations} times"
