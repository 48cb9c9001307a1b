"""Finding a process definition by file name, by id, or by id and version.

The shipped definitions are the files in ``processes/`` (current versions)
and ``processes/history/`` (earlier editions). A user may name a definition
by its path, by its process id (the newest version in effect on a date), or
as ``id@version``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cspr.engine.errors import DefinitionError, ProcessNotFound

from .loader import load_file
from .model import Definition
from .resources import process_files


def shipped() -> list[Definition]:
    """Every shipped definition that is valid (invalid ones are for `cspr validate`)."""
    found = []
    for path in process_files():
        try:
            found.append(load_file(path))
        except DefinitionError:
            continue
    return found


def in_effect(candidates: list[Definition], on: dt.date) -> Definition | None:
    """The newest of ``candidates`` already in effect on ``on``."""
    live = [d for d in candidates if d.effective_from <= on]
    return max(live, key=lambda d: d.effective_from) if live else None


def resolve(spec: str | None, on: dt.date | None = None) -> Definition:
    """The definition a user means by ``spec`` (a path, ``id`` or ``id@version``)."""
    on = on or dt.date.today()
    if spec is not None and (Path(spec).exists() or spec.endswith((".yaml", ".yml"))):
        return load_file(spec)
    available = shipped()
    if spec is None:
        ids = sorted({d.id for d in available})
        if len(ids) != 1:
            raise ProcessNotFound(
                f"{len(ids)} processes are installed ({', '.join(ids) or 'none'}); name one with --process"
            )
        spec = ids[0]
    process_id, _, version = spec.partition("@")
    versions = [d for d in available if d.id == process_id]
    if not versions:
        installed = ", ".join(sorted({d.id for d in available})) or "none"
        raise ProcessNotFound(f"no process {process_id!r} is installed (installed: {installed}); give a file path or one of those ids")
    if version:
        exact = [d for d in versions if d.version == version]
        if not exact:
            known = ", ".join(sorted(d.version for d in versions))
            raise ProcessNotFound(f"{process_id} has no version {version!r} (known: {known})")
        return exact[0]
    chosen = in_effect(versions, on)
    if chosen is None:
        first = min(d.effective_from for d in versions)
        raise ProcessNotFound(f"no version of {process_id} was in effect on {on.isoformat()} (the first starts {first.isoformat()})")
    return chosen
