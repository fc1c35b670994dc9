"""The container image and the compose stack of the default variant (deployment=docker-compose).

Builds the generated Dockerfile cold (no layer cache) and warm (one source file changed, so only the
project's own layers are rebuilt), reads the image's size and what it adds to its Python base image,
then times `docker compose up --wait` from nothing running to every service healthy. Uses Docker
where its engine answers, otherwise podman with local stand-in base images (tests/container_engine.py);
stand-ins are Debian's Python, larger than the official slim image, so the added size is the figure
that carries over.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from tests.compose_stack import Stack
from tests.container_engine import container_engine

from .bake import bake, cookiecutter_config
from .config import progress
from .report import Row

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.container_engine import Engine

    from .config import Config

BASE_IMAGE = "python:3.11-slim"
MIB = 1024 * 1024


def image_part(config: Config, workdir: Path) -> list[Row]:  # noqa: ARG001 - every part takes the run's config
    project = bake({"deployment": "docker-compose"}, workdir, cookiecutter_config(workdir))
    with container_engine(workdir) as engine:
        stack = Stack(engine, project)
        try:
            return measure(engine, stack)
        finally:
            stack.remove()


def measure(engine: Engine, stack: Stack) -> list[Row]:
    progress("image: cold build")
    cold = timed(stack.compose, "build", "--no-cache")
    init = next((stack.project / "src").glob("*/__init__.py"))
    init.write_text(init.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    progress("image: warm build (one source file changed)")
    warm = timed(stack.compose, "build")
    size = image_size(engine, stack, stack.image())
    base = image_size(engine, stack, BASE_IMAGE)
    progress("image: up to every service healthy")
    up = timed(stack.up)
    return [
        Row(f"image build, cold ({engine.name})", f"{cold:.1f} s"),
        Row("image build, warm (one source file changed)", f"{warm:.1f} s"),
        Row("image size / added to its base", f"{size / MIB:.0f} MiB / {(size - base) / MIB:.0f} MiB"),
        Row("compose up to every service healthy", f"{up:.1f} s"),
    ]


def timed(step: Callable[..., object], *arguments: str) -> float:
    started = time.perf_counter()
    step(*arguments)
    return time.perf_counter() - started


def image_size(engine: Engine, stack: Stack, image: str) -> int:
    inspected = engine.run([engine.name, "image", "inspect", image], cwd=stack.project, timeout=60)
    size: int = json.loads(inspected.stdout)[0]["Size"]
    return size
