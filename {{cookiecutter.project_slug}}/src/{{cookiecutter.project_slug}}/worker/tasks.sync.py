{# Generated from tasks.async.py by scripts/generate_sync.py: edit that file, then run the script. -#}
"""The project's tasks, each a function of this worker process's resources (worker/runtime.py).

Delivery is at least once: a task whose worker died, or whose acknowledgement was lost, runs
again. So every task is idempotent: running it twice leaves what running it once leaves. Each
runs in one unit of work, committed when it returns and rolled back when it raises.
"""

import time
{%- if cookiecutter.use_auth %}
from datetime import timedelta
{%- endif %}
from typing import Any
{% if cookiecutter.use_auth %}
from {{ cookiecutter.project_slug }}.core.auth.service import prune_ended_sessions
{%- endif %}
from {{ cookiecutter.project_slug }}.core.db import unit_of_work
from {{ cookiecutter.project_slug }}.core.item.cached_service import CachedItemService
from {{ cookiecutter.project_slug }}.core.item.schemas import ItemImport
from {{ cookiecutter.project_slug }}.core.logging import get_logger
from {{ cookiecutter.project_slug }}.core.redis_client import guarded
from {{ cookiecutter.project_slug }}.core.task_queue import CANARY_KEPT_SECONDS, canary_key
from {{ cookiecutter.project_slug }}.resources import Resources
from {{ cookiecutter.project_slug }}.worker.task import task

IMPORT_ITEMS = "items.import"
CANARY = "maintenance.canary"
{%- if cookiecutter.use_auth %}
PRUNE_SESSIONS = "auth.prune_sessions"
{%- endif %}

logger = get_logger(__name__)


@task(IMPORT_ITEMS, keep_result=True)
def import_items(resources: Resources, *, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Create or update items by name, all or none; a second run updates what the first created."""
    data = ItemImport.model_validate({"items": items})
    with unit_of_work(resources.sessions) as session:
        result = CachedItemService(session, resources.redis.cache).import_by_name(data)
    logger.info("items imported", created=len(result.created), updated=len(result.updated))
    return result.model_dump()


@task(CANARY)
def canary(resources: Resources) -> None:
    """Proof that beat, the broker and a worker all work: readiness reports how long ago it ran."""
    redis = resources.redis
    key = canary_key(resources.settings.redis.key_prefix)
    guarded(redis.breaker, lambda: redis.client.set(key, str(time.time()), ex=CANARY_KEPT_SECONDS))
{%- if cookiecutter.use_auth %}


@task(PRUNE_SESSIONS)
def prune_sessions(resources: Resources) -> int:
    """Delete refresh-token sessions that ended long enough ago; nothing to delete the second time."""
    kept_for = timedelta(days=resources.settings.celery.ended_session_days)
    with unit_of_work(resources.sessions) as session:
        return prune_ended_sessions(session, kept_for=kept_for)
{%- endif %}
