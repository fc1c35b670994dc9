"""How `serve` runs the app: uvicorn, reloading in development."""

import uvicorn

from {{ cookiecutter.project_slug }}.core.metrics import multiprocess_directory
from {{ cookiecutter.project_slug }}.settings import Settings

APP_FACTORY = "{{ cookiecutter.project_slug }}.web.app:create_app"


def run_server(settings: Settings, *, host: str, port: int, workers: int, reload: bool) -> None:
    # Set before the workers start, each of which imports prometheus_client afresh.
    with multiprocess_directory(1 if reload else workers, "{{ cookiecutter.project_slug }}"):
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            # Our own pipeline logs every request with its id; uvicorn's would repeat it.
            log_config=None,
            access_log=False,
            # X-Forwarded-* only from the proxies the app trusts (by default none; web/middleware.py
            # resolves the client address by the same rule). Uvicorn alone would trust 127.0.0.1.
            proxy_headers=True,
            forwarded_allow_ips=settings.security.trusted_proxies,
            server_header=False,
            log_level=settings.log_level.lower(),
        )
