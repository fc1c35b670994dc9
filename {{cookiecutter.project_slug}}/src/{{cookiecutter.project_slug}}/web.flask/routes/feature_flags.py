"""/api/v1/feature-flags: see and override the flags declared in settings.

{%- if cookiecutter.use_auth %}

Served while `flags.admin_api` is true, to admins only (web/app.py guards the blueprint). A change
applies at once in this process, and in the others within `flags.cache_seconds`.
{%- else %}

Served only while `flags.admin_api` is true (by default not in staging and production, as no
authentication guards it yet). A change applies at once in this process, and in the others
within `flags.cache_seconds`.
{%- endif %}
"""

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel

from {{ cookiecutter.project_slug }}.core.flag_rules import FlagList, FlagRule, FlagState
from {{ cookiecutter.project_slug }}.core.flags import FlagStore
{%- if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.web.auth import BEARER
{%- endif %}
from {{ cookiecutter.project_slug }}.web.deps import current_resources

PREFIX = "/api/v1/feature-flags"
{%- if cookiecutter.use_auth %}

router = APIBlueprint(
    "feature_flags", __name__, url_prefix=PREFIX, abp_tags=[Tag(name="feature-flags")], abp_security=BEARER
)
{%- else %}

router = APIBlueprint("feature_flags", __name__, url_prefix=PREFIX, abp_tags=[Tag(name="feature-flags")])
{%- endif %}


class FlagPath(BaseModel):
    name: str


def flag_store() -> FlagStore:
    return current_resources().redis.flags


@router.get("", responses={200: FlagList})
def list_flags() -> dict[str, Any]:
    """Every declared flag: its default, its override and its value for callers without a user id."""
    return FlagList(flags=flag_store().states()).model_dump(mode="json")


@router.get("/<name>", responses={200: FlagState})
def get_flag(path: FlagPath) -> dict[str, Any]:
    return flag_store().state(path.name).model_dump(mode="json")


@router.put("/<name>", responses={200: FlagState})
def set_flag(path: FlagPath, body: FlagRule) -> dict[str, Any]:
    """Override the flag's default with a rule: on, or off except for listed users and a percentage."""
    return flag_store().set(path.name, body).model_dump(mode="json")


@router.delete("/<name>", responses={204: None})
def unset_flag(path: FlagPath) -> tuple[str, int]:
    """Remove the override, so the flag answers its default again."""
    flag_store().unset(path.name)
    return "", 204
