"""Beat: the shipped periodic tasks are on its schedule, and a beat process sends them; its heartbeat."""

import json
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import create_celery
from {{ cookiecutter.project_slug }}.worker.schedule import beat_schedule
from tests.redis_fixtures import REDIS_URL
from tests.worker_fixtures import heartbeat, worker_environment

SHIPPED = {"maintenance.canary"{% if cookiecutter.use_auth %}, "auth.prune_sessions"{% endif %}}
INTERVAL_SECONDS = 0.5
RUN_SECONDS = 3
STOP_SECONDS = 15


def test_the_schedule_names_the_shipped_periodic_tasks_and_each_is_a_task(settings: Settings) -> None:
    schedule = beat_schedule(settings)
    assert {entry["task"] for entry in schedule.values()} == SHIPPED
    app = create_celery(settings)
    app.loader.import_default_modules()
    assert set(app.tasks) >= SHIPPED
    # A run that no worker took in time is dropped rather than piled up behind an outage.
    assert all(entry["options"]["expires"] == entry["schedule"] for entry in schedule.values())


def test_a_beat_process_sends_every_periodic_task_and_keeps_its_heartbeat(settings: Settings, tmp_path: Path) -> None:
    env = {
        **worker_environment(settings, REDIS_URL, tmp_path),
        "CELERY__CANARY_SECONDS": str(INTERVAL_SECONDS),
{%- if cookiecutter.use_auth %}
        "CELERY__PRUNE_SESSIONS_SECONDS": str(INTERVAL_SECONDS),
{%- endif %}
    }
    assert heartbeat(env, "beat").returncode == 1  # none yet
    log = tmp_path / "beat.log"
    with log.open("wb") as output:
        command = [sys.executable, "-m", "{{ cookiecutter.project_slug }}", "beat"]
        beat = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        time.sleep(RUN_SECONDS)
        alive = heartbeat(env, "beat")
        assert alive.returncode == 0, alive.stderr + log.read_text()
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # Celery's beat can miss a SIGTERM that lands mid-send; an orchestrator kills it then too.
            beat.kill()
            beat.wait()

    # Nothing consumes here: the messages beat sent wait in the queue (a Redis list).
    with Redis.from_url(REDIS_URL) as redis:
        queue = f"{settings.redis.key_prefix}:celery:celery"
        messages = [json.loads(raw) for raw in redis.lrange(queue, 0, -1)]
        redis.delete(queue)
    sent = [message["headers"]["task"] for message in messages]
    assert set(sent) == SHIPPED, log.read_text()
    assert len(sent) >= 2 * len(SHIPPED)  # each one more than once, every INTERVAL_SECONDS
