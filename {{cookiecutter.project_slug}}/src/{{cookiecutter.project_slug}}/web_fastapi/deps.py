"""Dependencies for route handlers, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.project_slug }}.core.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
