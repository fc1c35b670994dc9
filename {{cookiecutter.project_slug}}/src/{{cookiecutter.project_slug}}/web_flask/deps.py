"""What route code reads from the current app and request, typed."""

from flask import current_app, g

from {{ cookiecutter.project_slug }}.core.resources import Resources

# Where create_app keeps the process's resources, in `app.extensions`.
RESOURCES_KEY = "resources"


def current_resources() -> Resources:
    resources: Resources = current_app.extensions[RESOURCES_KEY]
    return resources


def current_request_id() -> str | None:
    """The id the request hooks gave this request (None outside a request)."""
    request_id: str | None = g.get("request_id")
    return request_id
