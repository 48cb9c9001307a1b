"""The database as the web application uses it: one open store per worker thread, and the user directory on it.

Handlers that read or write cases run in Starlette's worker threads (the store
is synchronous); each thread keeps its own connection, opened on first use, so
no connection is shared between threads. :meth:`Stores.close` closes them all
when the server stops. Serving never creates a database: until ``cspr user add``
or ``cspr case open`` has made it, nobody can sign in and there are no cases.
"""

from __future__ import annotations

import threading
from typing import Any

from cspr.engine.casebook.accounts import Account, Accounts
from cspr.engine.store.interface import Store


class Stores:
    """Open stores on one database, one per thread."""

    def __init__(self, spec: str):
        self.spec = spec
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Store] = []
        self._write_lock = threading.Lock()

    def writing(self) -> Any:
        """Held around each write: on SQLite, one writer at a time in this process, in turn (the database
        allows one writer; threads queue here fairly rather than in SQLite's busy-wait back-off, which lets
        an unlucky writer wait past its timeout). PostgreSQL locks rows itself: nothing to hold."""
        from contextlib import nullcontext

        from cspr.engine.store.interface import is_postgresql

        return nullcontext() if is_postgresql(self.spec) else self._write_lock

    def exists(self) -> bool:
        from pathlib import Path

        from cspr.engine.store.interface import is_postgresql

        return is_postgresql(self.spec) or Path(self.spec).exists()

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            from cspr.engine.store.interface import open_store

            store = open_store(self.spec, quick_reads=False)  # a server imports psycopg once
            self._local.store = store
            with self._lock:
                self._open.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            stores, self._open = self._open, []
        for store in stores:
            try:
                store.close()
            except Exception:
                pass


class StoreDirectory:
    """The user directory (:class:`cspr.web.accounts.UserDirectory`) kept in the database's accounts."""

    def __init__(self, stores: Stores):
        self.stores = stores

    def accounts(self) -> Accounts:
        return Accounts(self.stores.get())

    def find_account(self, name: str) -> Account | None:
        if not self.stores.exists():
            return None
        return self.accounts().find_account(name)

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        self.accounts().replace_password_hash(name, old_hash, new_hash)


def directory_of(stores: Stores) -> Any:
    return StoreDirectory(stores)
