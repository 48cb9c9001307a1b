"""The process versions the web application serves, found by id and version.

Built once when the server starts, from the shipped definitions, any files
named on the command line (``cspr serve --process FILE``) and the versions
stored with the cases in the database (``--db``). Definitions are
immutable, so the catalog never changes while the server runs. Two files that
claim the same id and version with different content are refused: a version
names one set of rules, never two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError, ProcessNotFound


class ProcessCatalog:
    """Every version of every process served, oldest version first within each process."""

    def __init__(self, definitions: Iterable[Definition]):
        by_key: dict[tuple[str, str], Definition] = {}
        for definition in definitions:
            key = (definition.id, definition.version)
            seen = by_key.get(key)
            if seen is not None and seen.content_hash != definition.content_hash:
                raise CsprError(
                    f"{definition.id} {definition.version} is defined twice with different content "
                    f"({seen.file or 'installed'}: {seen.content_hash}; {definition.file}: {definition.content_hash}); "
                    "give each edition its own version"
                )
            by_key.setdefault(key, definition)
        self._processes: dict[str, list[Definition]] = {}
        for definition in sorted(by_key.values(), key=lambda d: (d.id, d.effective_from, d.version)):
            self._processes.setdefault(definition.id, []).append(definition)

    @classmethod
    def load(cls, files: Sequence[str | Path] = (), db: str | None = None) -> ProcessCatalog:
        """The shipped definitions, the definition files given, and the versions stored with the cases in ``db``."""
        from cspr.engine.definition.catalog import shipped
        from cspr.engine.definition.loader import load_file

        return cls([*shipped(), *(load_file(path) for path in files), *(stored(db) if db else [])])

    def ids(self) -> list[str]:
        return sorted(self._processes)

    def versions(self, process_id: str) -> list[Definition]:
        try:
            return list(self._processes[process_id])
        except KeyError:
            raise ProcessNotFound(f"no process {process_id!r} is served here") from None

    def get(self, process_id: str, version: str) -> Definition:
        for definition in self.versions(process_id):
            if definition.version == version:
                return definition
        raise ProcessNotFound(f"{process_id} has no version {version!r} here")

    def in_effect(self, process_id: str, on: dt.date) -> Definition | None:
        """The newest version already in effect on ``on``; None before the first one starts."""
        from cspr.engine.definition.catalog import in_effect

        return in_effect(self.versions(process_id), on)

    def __iter__(self) -> Iterator[Definition]:
        for process_id in self.ids():
            yield from self._processes[process_id]


def stored(db: str) -> list[Definition]:
    """Every process version kept with the cases in a database (none if the SQLite file does not exist yet).

    A case runs under the version it was opened with, which may be a file no
    longer installed; auditors still need to read it.
    """
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.store.interface import is_postgresql, open_store

    if not is_postgresql(db) and not Path(db).exists():
        return []
    store = open_store(db, quick_reads=False)  # a server imports psycopg once
    try:
        book = Casebook(store)
        return [book.definition(row["hash"]) for row in store.processes()]
    finally:
        store.close()
