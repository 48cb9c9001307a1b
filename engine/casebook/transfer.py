"""Moving a whole database to another one, of either engine (``cspr db copy``).

The history moves exactly as stored, in the order it was written, hashes and
redactions included, so both chains have the same head at both ends; the
target's projections are then replayed from the copied history (not copied),
and ``audit verify`` checks both databases. The web application's accounts
move with it as they stand (password hashes, roles, disabled accounts and
voided sessions), so nobody is locked out or let back in by a move. The target must be empty, and
receives everything in one transaction: all of it, or none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cspr.engine.store.interface import Store, StoreError

from .book import Casebook
from .commands import reproject

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def _no_progress(items: Iterable[Any]) -> Iterable[Any]:
    return items


def copy_database(source: Store, target: Store, progress: Progress = _no_progress) -> dict[str, int]:
    """Copy ``source`` into the empty ``target``; return how many processes, entries, cases and accounts
    moved."""
    if source.location == target.location:
        raise StoreError(f"{source.location} is both the source and the target; give two databases")
    entries = 0
    with source.snapshot():
        processes = source.process_rows()
        accounts = source.users()
        with target.write(exclusive=True):
            if target.case_refs() or target.processes() or target.users():
                raise StoreError(f"{target.location} is not empty; 'cspr db copy' only writes to a new or empty "
                                 "database (nothing was changed)")
            target.import_history(processes, [], meta=source.meta())  # the same database: its id and key
            target.import_users(accounts)
            for batch in source.entry_batches():
                target.import_history([], batch)
                entries += len(batch)
            cases = reproject(Casebook(target, actor="db copy"), progress).cases
    return {"processes": len(processes), "entries": entries, "cases": cases, "accounts": len(accounts)}
