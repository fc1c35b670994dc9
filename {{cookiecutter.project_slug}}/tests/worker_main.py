"""A worker process for tests: the project's task app plus the test tasks, settings from the environment."""

import tests.worker_tasks  # noqa: F401 - registers the test tasks
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.worker.app import create_celery

if __name__ == "__main__":
    # Prefork with one child, as `{{ cookiecutter.project_slug }} worker` runs: the child opens its resources after the fork.
    argv = ["worker", "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    create_celery(Settings()).worker_main(argv)
