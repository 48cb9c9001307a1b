"""Where the shipped files live: the JSON Schema and the process definitions.

In a checkout they are the repository's ``schemas/`` and ``processes/``
folders; installed, the same folders are shipped as ``cspr/schemas`` and
``cspr/processes`` (see the package-dir mapping in ``pyproject.toml``). Either
way they sit two levels above this file's folder (``engine/definition/`` in a
checkout, ``cspr/engine/definition/`` installed). Callers use these functions
and never build paths.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = (1, 2)  # the definition languages this cspr reads; the last is the newest
SCHEMA_FILES = {1: "process-definition.v1.schema.json", 2: "process-definition.v2.schema.json"}
SCENARIO_SCHEMA_FILE = "scenario.v1.schema.json"


_TOP = Path(__file__).resolve().parents[2]  # the repository, or the installed cspr package


def _folder(name: str) -> Path:
    return _TOP / name


def schema_path(language: int = 1) -> Path:
    """The JSON Schema file of a definition language (1 is frozen; 2 is language 1 with additions)."""
    return _folder("schemas") / SCHEMA_FILES[language]


@cache
def schema(language: int = 1) -> dict[str, Any]:
    """A definition language's JSON Schema, parsed once."""
    with open(schema_path(language), encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def scenario_schema_path() -> Path:
    return _folder("schemas") / SCENARIO_SCHEMA_FILE


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (``cspr check``), parsed once."""
    with open(scenario_schema_path(), encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def processes_dir() -> Path:
    """The folder of shipped process definitions."""
    return _folder("processes")


def process_files() -> list[Path]:
    """Every shipped definition, current ones first, then historic ones, by name."""
    root = processes_dir()
    current = sorted(root.glob("*.yaml"))
    historic = sorted(root.glob("*/*.yaml"))
    return current + historic


def scenario_path(name: str) -> Path:
    """A shipped scenario file (the demo's cases)."""
    return _folder("scenarios") / name
