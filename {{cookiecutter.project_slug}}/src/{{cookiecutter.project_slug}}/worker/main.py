"""The task app for the `celery` command: `celery -A {{ cookiecutter.project_slug }}.worker.main inspect active`.

`{{ cookiecutter.project_slug }} worker` and `{{ cookiecutter.project_slug }} beat` start the processes themselves.
"""

from {{ cookiecutter.project_slug }}.settings import get_settings
from {{ cookiecutter.project_slug }}.worker.app import create_celery

app = create_celery(get_settings())
