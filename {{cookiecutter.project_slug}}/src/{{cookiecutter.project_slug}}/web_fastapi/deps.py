"""Dependencies for route handlers, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.project_slug }}.core.resources import Resources
from {{ cookiecutter.project_slug }}.settings import Settings


def get_resources(request: Request) -> Resources:
    resources: Resources = request.state.resources
    return resources


def get_settings(request: Request) -> Settings:
    return get_resources(request).settings


ResourcesDep = Annotated[Resources, Depends(get_resources)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
