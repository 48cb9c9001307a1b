"""Loading a process definition: YAML → schema → checks → immutable model.

The three stages run in a fixed order and each reports every problem it finds
with file, line and path. YAML that cannot be read stops there. A document
that does not match the schema is still cross-checked, in its well-formed
parts (an item with a schema error is skipped, not its neighbours), so one
mistake does not hide the others. A document that passes all three becomes a
:class:`cspr.engine.definition.model.Definition`.
"""

from __future__ import annotations

import os

from cspr.engine.errors import DefinitionError, Problem

from .builder import build, rule_from  # noqa: F401 - rule_from is part of the loader's interface
from .checks import broken_parts, check_references
from .model import Definition
from .schema import schema_findings
from .yamlsafe import MAX_BYTES, parse_yaml


def check_text(text: str | bytes, file: str) -> tuple[Definition | None, list[Problem]]:
    """Run all three stages; return the definition (if valid) and every problem."""
    parsed, problems = parse_yaml(text, file)
    if problems:
        return None, problems
    problems, places = schema_findings(parsed, file)
    problems = problems + check_references(parsed, file, broken_parts(places, parsed.data))
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        return None, problems
    source_text = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    return build(parsed.data, file, source_text), []


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a definition file, refusing what cannot be one with a clear Problem (a folder, a device or pipe,
    a file over the size limit: refused before anything is read)."""
    from cspr.engine.files import FileProblem, read_bounded

    name = str(path)
    try:
        return read_bounded(path, MAX_BYTES, "a process definition")
    except FileProblem as exc:
        message = str(exc).removeprefix(name).lstrip(": ")
        raise DefinitionError(name, [Problem(name, 1, 1, "", message, "yaml")]) from None


def check_file(path: str | os.PathLike[str]) -> tuple[Definition | None, list[Problem]]:
    try:
        data = read_bytes(path)
    except DefinitionError as exc:
        return None, exc.problems
    return check_text(data, str(path))


def load_file(path: str | os.PathLike[str]) -> Definition:
    """Load a definition or raise :class:`DefinitionError` listing every problem."""
    definition, problems = check_file(path)
    if definition is None:
        raise DefinitionError(str(path), problems)
    return definition


def load_text(text: str | bytes, file: str = "<text>") -> Definition:
    definition, problems = check_text(text, file)
    if definition is None:
        raise DefinitionError(file, problems)
    return definition
