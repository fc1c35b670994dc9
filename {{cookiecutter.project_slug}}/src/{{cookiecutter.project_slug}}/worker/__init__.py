"""Background tasks with Celery: the task app (app.py), its tasks (tasks.py), the worker and beat processes."""
