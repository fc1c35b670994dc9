"""Beat's schedule: static, from code and settings (a database schedule could not start before migrations)."""

from typing import Any

from {{ cookiecutter.project_slug }}.settings import Settings

# Each periodic task and the CELERY__* setting that says how many seconds apart it runs.
PERIODIC_TASKS = {
    "maintenance.canary": "canary_seconds",
{%- if cookiecutter.use_auth %}
    "auth.prune_sessions": "prune_sessions_seconds",
{%- endif %}
}


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    schedule = {}
    for name, interval_setting in PERIODIC_TASKS.items():
        interval: float = getattr(settings.celery, interval_setting)
        # A run that no worker took before the next one is due is dropped, not piled up.
        schedule[name] = {"task": name, "schedule": interval, "options": {"expires": interval}}
    return schedule
