"""The hash chains every history entry is linked into (computed here and nowhere else).

* ``digest``: sha256 of an entry's content (:func:`content`) as canonical JSON;
* ``link``: the next hash of a chain, from the previous hash and a new value.

Each entry's ``hash`` links its case's previous hash with its digest; its
``chain`` links the database's previous chain value with its hash.
"""

from __future__ import annotations

import hashlib
import json
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
