"""The hash chains every history entry is linked into (computed here and nowhere else).

* ``digest``: sha256 of an entry's content (:func:`content`) as canonical JSON;
* ``link``: the next hash of a case's chain, from the previous hash and a new value;
* ``keyed_link``: the next value of the database's chain, an HMAC-SHA256 under
  the deployment's key (kept outside the database, see :mod:`.sealing`) of the
  database's identity, the previous value and the entry's hash.

Each entry's ``hash`` links its case's previous hash with its digest: a case's
chain needs no key, so anyone can check an exported case (``cspr audit
export``). Its ``chain`` links the database's previous chain value with its
hash, under the key: someone who can write the database but not read the key
cannot alter, insert or append an entry and compute a chain value that
verifies. Databases written before the key existed keep their unkeyed
(``sha256:``) chain values; the first keyed value links from the last of them,
so from then on their earlier history is pinned too.

:class:`Chainer` does all of it for entries in the order they are written:
every store (one entry, a batch, a migration hashing an old history) seals its
entries through it; only ``cspr audit verify`` recomputes the links, to check them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GENESIS = "sha256:" + "0" * 64
KEYED = "hmac-sha256:"  # how a keyed database chain value starts
KEY_BYTES = 32


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content(ref: str, seq: int, kind: str, name: str | None, on: str, role: str | None, actor: str,
            recorded_at: str, facts: dict[str, Any], note: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """What an entry's digest covers: everything it says."""
    return {"case": ref, "seq": seq, "kind": kind, "name": name, "on": on, "role": role, "actor": actor,
            "recorded_at": recorded_at, "facts": facts, "note": note, "data": data}


def digest(entry: dict[str, Any]) -> str:
    return _sha(canonical_json(entry))


def link(previous: str, value: str) -> str:
    """The next hash of a chain: sha256 of the previous hash, a newline, and the new value."""
    return _sha(f"{previous}\n{value}")


def keyed_link(key: bytes, database: str, previous: str, value: str) -> str:
    """The next value of the database chain: HMAC-SHA256 under ``key`` of the database's identity, the
    previous value and the new entry's hash (one per line)."""
    message = f"{database}\n{previous}\n{value}".encode()
    return KEYED + hmac.new(key, message, hashlib.sha256).hexdigest()


def is_keyed(chain_value: str) -> bool:
    return chain_value.startswith(KEYED)


def key_id(key: bytes) -> str:
    """A name for a key that reveals nothing of it (kept in the database, to tell keys apart)."""
    return "key:" + hmac.new(key, b"cspr key identifier", hashlib.sha256).hexdigest()[:16]


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def new_database_id() -> str:
    return "db:" + secrets.token_hex(16)


@dataclass(frozen=True)
class Seal:
    """The hashes stored with one entry."""

    digest: str
    prev_hash: str  # the case chain before this entry
    hash: str  # the case chain after it
    chain: str  # the database chain after it


def _no_earlier_entries(ref: str) -> str:
    return GENESIS


class Chainer:
    """Seals entries, in write order, into their case chains and the database chain.

    ``chain`` is the database chain's head before the first entry; ``head(ref)``
    gives a case's chain head when its first entry here is not its first ever
    (seq > 1), and is asked once per case. With a ``key`` (and the database's
    identity), the database chain is keyed; without, it is the unkeyed chain of
    databases written before keys (migrations only).
    """

    def __init__(self, chain: str = GENESIS, head: Callable[[str], str] = _no_earlier_entries,
                 key: bytes | None = None, database: str = ""):
        self.chain = chain
        self._head = head
        self._heads: dict[str, str] = {}
        self._key = key
        self.database = database
        self.last: tuple[str, int] | None = None  # the case and seq of the last entry sealed

    def seal(self, entry: dict[str, Any]) -> Seal:
        """The hashes of ``entry`` (a :func:`content` dict), which becomes the head of both chains."""
        ref = entry["case"]
        previous = self._heads.get(ref)
        if previous is None:
            previous = GENESIS if entry["seq"] == 1 else self._head(ref)
        entry_digest = digest(entry)
        entry_hash = link(previous, entry_digest)
        if self._key is None:
            self.chain = link(self.chain, entry_hash)
        else:
            self.chain = keyed_link(self._key, self.database, self.chain, entry_hash)
        self._heads[ref] = entry_hash
        self.last = (ref, entry["seq"])
        return Seal(entry_digest, previous, entry_hash, self.chain)
