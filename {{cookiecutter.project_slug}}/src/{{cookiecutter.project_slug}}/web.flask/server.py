"""How `serve` runs the app: gunicorn, or Werkzeug's reloading server in development."""

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]  # no type hints
from gunicorn.glogging import Logger  # type: ignore[import-untyped]  # no type hints
from werkzeug.serving import WSGIRequestHandler

from {{ cookiecutter.project_slug }}.core.metrics import mark_process_dead, multiprocess_directory
from {{ cookiecutter.project_slug }}.settings import Settings
from {{ cookiecutter.project_slug }}.web.app import create_app

logger = logging.getLogger(__name__)


class PipelineLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """Gunicorn's logger with its lines handed to our pipeline rather than to its own handlers."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # As configure_logging does for foreign loggers; the access log is off (see run_server).
        self.error_log.handlers.clear()
        self.error_log.propagate = True


class GunicornServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """Gunicorn configured in code; each worker builds its own app (and connection pools)."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return create_app(self.settings)


def master_hook(hook: Callable[..., None]) -> Callable[..., None]:
    """A hook for gunicorn's master that logs its failure instead of raising it: the master exits on
    any exception in a hook, and with it every worker it would have started again.
    """

    @functools.wraps(hook)
    def guarded(*arguments: Any) -> None:
        try:
            hook(*arguments)
        except Exception:
            logger.exception("gunicorn hook %s failed", hook.__name__)

    return guarded


@master_hook
def child_exit(_arbiter: Any, worker: Any) -> None:
    """A worker that dies, even killed, stops counting among the requests in flight."""
    mark_process_dead(worker.pid)


class QuietRequestHandler(WSGIRequestHandler):
    """The development server without its own access lines: ours already carry the request id."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def run_server(settings: Settings, *, host: str, port: int, workers: int, reload: bool) -> None:
    if reload:
        create_app(settings).run(
            host=host,
            port=port,
            debug=settings.debug,
            use_reloader=True,
            # Settings already read .env; Flask would copy it into os.environ as well.
            load_dotenv=False,
            request_handler=QuietRequestHandler,
        )
        return
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # Our own pipeline logs every request with its id; gunicorn's would repeat it.
        "accesslog": None,
        "loglevel": settings.log_level.lower(),
        "logger_class": PipelineLogger,
        "proc_name": "{{ cookiecutter.project_slug }}",
        # No runtime control socket: it lands in a shared path ($HOME/.gunicorn) that parallel servers would fight over.
        "control_socket_disable": True,
        "child_exit": child_exit,
    }
    with multiprocess_directory(workers, "{{ cookiecutter.project_slug }}"):
        GunicornServer(settings, options).run()
