"""Finding a process definition by file name, by id, or by id and version, on a search path.

The shipped definitions are the files in ``processes/`` (current versions)
and ``processes/history/`` (earlier editions). ``CSPR_PROCESSES`` names more
folders (``:``-separated, like ``PATH``), so a policy lead's own file is used
without copying it into the package: each folder's ``*.yaml`` files and those
one folder down. A user may name a definition by its path, by its process id
(the newest version in effect on a date), or as ``id@version``.

A case opened with no process named takes the one whose reference pattern
matches its reference, when exactly one does (:func:`for_reference`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path

from cspr.engine.errors import DefinitionError, ProcessNotFound

from .loader import load_file
from .model import Definition
from .resources import process_files

SEARCH_PATH = "CSPR_PROCESSES"


def search_path() -> list[Path]:
    """The folders ``CSPR_PROCESSES`` names, in order (empty entries ignored)."""
    value = os.environ.get(SEARCH_PATH, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def search_files() -> list[Path]:
    """The definition files in the search path's folders: each folder's own, then one folder down."""
    found: list[Path] = []
    for folder in search_path():
        if folder.is_dir():
            for pattern in ("*.yaml", "*.yml", "*/*.yaml", "*/*.yml"):
                found += sorted(p for p in folder.glob(pattern) if p.is_file())
    return found


# Each file checked once per process for each content it has had: checking a definition against its schema
# is the slow part of a lookup, and a scenario run, a web server or a test session looks up the catalog often.
# The key is the file's path and the digest of its bytes, so an edited file is always checked again.
_checked: dict[tuple[str, str], Definition | None] = {}


def _valid(paths: list[Path]) -> list[Definition]:
    out = []
    for path in paths:
        try:
            key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            continue  # unreadable files are for 'cspr validate' to explain
        if key not in _checked:
            try:
                _checked[key] = load_file(path)
            except DefinitionError:
                _checked[key] = None  # invalid files are for 'cspr validate' to explain
        definition = _checked[key]
        if definition is not None:
            out.append(definition)
    return out


def shipped() -> list[Definition]:
    """Every shipped definition that is valid (invalid ones are for `cspr validate`)."""
    return _valid(process_files())


def same_version_other_rules(definition: Definition) -> Definition | None:
    """An installed definition (shipped, or on the search path) with the id and version of ``definition`` but
    other rules: a version is its content, so one of the two needs a new version number."""
    for other in available():
        if (other.id, other.version) == (definition.id, definition.version) \
                and other.content_hash != definition.content_hash:
            return other
    return None


def available() -> list[Definition]:
    """Every valid definition: the shipped ones, then those on the search path (each version once)."""
    seen: set[str] = set()
    out = []
    for definition in [*shipped(), *_valid(search_files())]:
        if definition.content_hash not in seen:
            seen.add(definition.content_hash)
            out.append(definition)
    return out


def in_effect(candidates: list[Definition], on: dt.date) -> Definition | None:
    """The newest of ``candidates`` already in effect on ``on``.

    A correction published with the same ``effective_from`` as the version it
    ``supersedes`` replaces it: among live versions, one that another live
    version of the same process supersedes is never chosen. Ties left after
    that go to the later version string (numeric parts compared as numbers).
    """
    live = [d for d in candidates if d.effective_from <= on]
    superseded = {(d.id, d.supersedes) for d in live if d.supersedes}
    current = [d for d in live if (d.id, d.version) not in superseded] or live
    return max(current, key=lambda d: (d.effective_from, _version_key(d.version))) if current else None


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """'2018.10' after '2018.2': numeric parts as numbers, text parts as text."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))


def is_file(spec: str) -> bool:
    return Path(spec).exists() or spec.endswith((".yaml", ".yml"))


def _one(versions: list[Definition], what: str) -> Definition:
    """The one definition of ``versions`` (the same id and version), or a refusal naming the files that clash."""
    if len({d.content_hash for d in versions}) > 1:
        files = ", ".join(d.file for d in versions)
        raise ProcessNotFound(f"several different files say they are {what}: {files}; remove all but one from "
                              f"{SEARCH_PATH}, or name the file itself")
    return versions[0]


def versions_of(spec: str, available_now: list[Definition] | None = None) -> list[Definition]:
    """The definitions ``spec`` (a path, ``id`` or ``id@version``) can mean: one, or every version of a process."""
    if is_file(spec):
        return [load_file(spec)]
    catalog = available() if available_now is None else available_now
    process_id, _, version = spec.partition("@")
    versions = [d for d in catalog if d.id == process_id]
    if not versions:
        ids = ", ".join(sorted({d.id for d in catalog})) or "none"
        raise ProcessNotFound(f"no process {process_id!r} is installed or on {SEARCH_PATH} (known: {ids}); give a "
                              "file path or one of those ids")
    if version:
        exact = [d for d in versions if d.version == version]
        if not exact:
            known = ", ".join(sorted({d.version for d in versions}))
            raise ProcessNotFound(f"{process_id} has no version {version!r} (known: {known})")
        return [_one(exact, spec)]
    return versions


def resolve(spec: str | None, on: dt.date | None = None) -> Definition:
    """The definition a user means by ``spec`` (a path, ``id`` or ``id@version``), in effect on ``on``."""
    on = on or dt.date.today()
    if spec is not None and is_file(spec):
        return load_file(spec)
    catalog = available()
    if spec is None:
        ids = sorted({d.id for d in catalog})
        if len(ids) != 1:
            raise ProcessNotFound(
                f"{len(ids)} processes are available ({', '.join(ids) or 'none'}); name one with --process"
            )
        spec = ids[0]
    versions = versions_of(spec, catalog)
    if len(versions) == 1 and "@" in spec:
        return versions[0]
    chosen = in_effect(versions, on)
    if chosen is None:
        first = min(d.effective_from for d in versions)
        raise ProcessNotFound(f"no version of {versions[0].id} was in effect on {on.isoformat()} (the first starts {first.isoformat()})")
    return _one([d for d in versions if d.version == chosen.version], f"{chosen.id} {chosen.version}")


def matches(definition: Definition, ref: str) -> bool:
    """Whether ``ref`` is a reference of this process (its pattern matched in full; no pattern matches all)."""
    if definition.reference is None:
        return True
    return re.fullmatch(definition.reference.pattern, ref) is not None


def for_reference(ref: str, spec: str | None = None) -> list[Definition]:
    """The versions of the process a new case ``ref`` belongs to: of ``spec`` if given, else of the one
    process whose reference pattern matches ``ref``; a refusal names the candidates when none or several do."""
    if spec is not None:
        return versions_of(spec)
    catalog = available()
    by_id: dict[str, list[Definition]] = {}
    for definition in catalog:
        by_id.setdefault(definition.id, []).append(definition)
    if len(by_id) == 1:
        return next(iter(by_id.values()))
    fitting = {pid: vs for pid, vs in by_id.items() if any(matches(d, ref) for d in vs)}
    if len(fitting) == 1:
        return next(iter(fitting.values()))
    listed = "; ".join(f"{pid} (e.g. {_example(vs)})" for pid, vs in sorted((fitting or by_id).items()))
    why = "several processes take references like it" if fitting else "no process takes references like it"
    raise ProcessNotFound(f"{ref!r}: {why}: {listed}; name one with --process")


def _example(versions: list[Definition]) -> str:
    newest = max(versions, key=lambda d: d.effective_from)
    return newest.reference.example if newest.reference else "any reference"
