"""The hash chains every history entry is linked into (computed here and nowhere else).

* ``digest``: sha256 of an entry's content (:func:`content`) as canonical JSON;
* ``link``: the next hash of a chain, from the previous hash and a new value.

Each entry's ``hash`` links its case's previous hash with its digest; its
``chain`` links the database's previous chain value with its hash.
:class:`Chainer` does both for entries in the order they are written: every
store (one entry, a batch, a migration hashing an old history) seals its
entries through it; only ``cspr audit verify`` recomputes the links, to check them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GENESIS = "sha256:" + "0" * 64


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
    (seq > 1), and is asked once per case.
    """

    def __init__(self, chain: str = GENESIS, head: Callable[[str], str] = _no_earlier_entries):
        self.chain = chain
        self._head = head
        self._heads: dict[str, str] = {}

    def seal(self, entry: dict[str, Any]) -> Seal:
        """The hashes of ``entry`` (a :func:`content` dict), which becomes the head of both chains."""
        ref = entry["case"]
        previous = self._heads.get(ref)
        if previous is None:
            previous = GENESIS if entry["seq"] == 1 else self._head(ref)
        entry_digest = digest(entry)
        entry_hash = link(previous, entry_digest)
        self.chain = link(self.chain, entry_hash)
        self._heads[ref] = entry_hash
        return Seal(entry_digest, previous, entry_hash, self.chain)
