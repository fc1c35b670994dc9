"""How `serve` runs the app: uvicorn, reloading in development."""

import uvicorn

from {{ cookiecutter.project_slug }}.settings import Settings

APP_FACTORY = "{{ cookiecutter.project_slug }}.web.app:create_app"


def run_server(settings: Settings, *, host: str, port: int, workers: int, reload: bool) -> None:
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
        proxy_headers=True,
        server_header=False,
        log_level=settings.log_level.lower(),
    )
