"""Many cases at once, through exactly the same checks, written in batches.

:class:`BulkCasebook` is a :class:`~cspr.engine.casebook.Casebook` whose writes are
kept in memory and stored together by :meth:`BulkCasebook.flush`: one
transaction for a whole batch of cases (no other writer meanwhile), entries
inserted together and hashed exactly as single writes are, projections written
once per case instead of once per entry. Every open, event, sign-off and fact
goes through the same validation, guards and replay as a command would, so a
bulk-loaded database is indistinguishable from one typed in by hand (and
``cspr audit verify`` says so).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Any

from cspr.engine.definition.model import Definition
from cspr.engine.runtime.case import Case, Record
from cspr.engine.store.interface import Store

from .book import Casebook, check_version_is_content
from .projections import projection


class BulkCasebook(Casebook):
    def __init__(self, store: Store, today: dt.date | None = None, actor: str | None = None):
        super().__init__(store, today, actor)
        self._cases: dict[str, Case] = {}
        self._entries: list[tuple[str, Record]] = []
        self._processes: dict[str, Definition] = {}
        self.entries_written = 0

    def transaction(self) -> Any:
        self.check_writable()
        return nullcontext()

    def persist(self, case: Case, record: Record) -> None:
        self.check_entry_date(record.on)
        case.attach()  # kept attached to its machine until released or flushed
        self._cases[case.ref] = case
        self._entries.append((case.ref, record))

    def case_exists(self, ref: str) -> bool:
        return ref in self._cases or self.store.case_exists(ref)

    def save_process(self, definition: Definition) -> None:
        if definition.content_hash not in self._processes:
            self.check_against_installed(definition)
            check_version_is_content(self.store.processes() + [
                {"process_id": d.id, "version": d.version, "hash": h} for h, d in self._processes.items()], definition)
        self._processes[definition.content_hash] = definition

    def load(self, ref: str) -> Case:
        return self._cases[ref] if ref in self._cases else super().load(ref)

    def release(self, ref: str) -> None:
        """Done with this case for now: detach it from its machine (it is stored at the next flush)."""
        self._cases[ref].detach()

    @property
    def pending(self) -> int:
        return len(self._cases)

    def flush(self) -> int:
        """Store everything held in one transaction; return the number of entries written."""
        if not self._entries:
            return 0
        with self.store.write(exclusive=True):
            for definition in self._processes.values():
                self.store.save_process(definition)
            self.store.put_projections([projection(case) for case in self._cases.values()])
            self.store.append_many(self._entries)
        count = len(self._entries)
        self.entries_written += count
        for case in self._cases.values():
            case.detach()
        self._cases.clear()
        self._entries.clear()
        return count
