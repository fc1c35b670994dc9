"""Run inside a baked project's environment (PYTHONPATH=src): every environment variable its settings
read, which of them hold a SecretStr, and whether the settings in this process's environment load.

    python tests/settings_probe.py PACKAGE   prints {"settings": [...], "secrets": [...], "error": str | null}
"""

import importlib
import json
import sys
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, SecretStr


def fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """(environment variable, holds a secret) for each leaf field; sections nest with `__`."""
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name}".upper()
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from fields(annotation, f"{variable}__")
            continue
        members = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
        yield variable, SecretStr in members


def main(package: str) -> None:
    module: Any = importlib.import_module(f"{package}.settings")
    found = dict(fields(module.Settings))
    try:
        module.load_settings()
        error = None
    except module.SettingsError as exc:
        error = str(exc)
    print(json.dumps({"settings": sorted(found), "secrets": sorted(k for k, v in found.items() if v), "error": error}))


if __name__ == "__main__":
    main(sys.argv[1])
