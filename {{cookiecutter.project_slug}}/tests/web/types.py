from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from {{ cookiecutter.project_slug }}.settings import Settings

# Builds a client for an app made from the given settings (see the `client_for` fixture).
ClientFactory = Callable[[Settings], AbstractContextManager[httpx.Client]]
