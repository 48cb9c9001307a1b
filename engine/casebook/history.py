"""The rules a stored history must keep, checked on its rows: each case's chain, the database's keyed
chain, and redactions. Pure functions of the rows (and the key); :mod:`.audit` reads the rows and reports.

* **A case's chain**: its entries numbered 1, 2, 3... with no gap or repeat; each
  entry's content matches its digest (``altered``); each names the hash of the
  one before it (``reordered``: only ``prev_hash`` changed is caught alone);
  each hash links that and the digest (``altered``).
* **The database's chain**, over every entry in the order written: each value
  links the one before and the entry's hash, under the key once the database
  is keyed (``chain``); an unkeyed value after a keyed one is an entry written
  without the key (``chain``); without the key nothing keyed can be checked
  (``key``).
* **Redactions**: an entry whose content was blanked must be named by a later
  ``redacted`` entry of its case (``redaction``), which says which entries and
  fields, who, when and why; an entry a redaction names must be blank; a
  redaction entry is never itself blanked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.store.chain import GENESIS, content, digest, is_keyed, keyed_link, link

# Kinds of finding that are about the history itself (never mended by 'cspr rebuild'): everything but a
# projection that no longer matches an intact history, a missing guard or an edited holiday cache.
HISTORY_KINDS = frozenset({"altered", "deleted", "inserted", "reordered", "chain", "key", "redaction", "truncated",
                           "anchor", "replay", "process"})


@dataclass
class Finding:
    kind: str  # see HISTORY_KINDS; also projection, trigger, holidays
    case: str | None
    seq: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "case": self.case, "seq": self.seq, "message": self.message}


def row_content(row: dict[str, Any]) -> dict[str, Any]:
    return content(row["case_ref"], row["seq"], row["kind"], row["name"], row["on_date"], row["role"], row["actor"],
                   row["recorded_at"], json.loads(row["facts"]), row["note"], json.loads(row["data"]))


def named_by(redaction: dict[str, Any]) -> set[int] | None:
    """The seqs a redaction entry names (None: an early redaction entry that named a count, meaning every
    entry before it)."""
    entries = json.loads(redaction["data"]).get("entries")
    if isinstance(entries, list):
        return {int(seq) for seq in entries if isinstance(seq, int)}
    return None


def _is_blank(row: dict[str, Any]) -> bool:
    return json.loads(row["facts"]) == {} and row["note"] is None


def check_case(ref: str, entries: list[dict[str, Any]]) -> list[Finding]:
    """One case's chain and redactions; the first break of the chain ends the check of that case."""
    findings: list[Finding] = []
    previous = GENESIS
    ordered = sorted(entries, key=lambda r: r["seq"])
    for expected_seq, row in enumerate(ordered, start=1):
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return [Finding("deleted", ref, seq, f"{ref}: entry #{expected_seq} is missing (deleted) before #{seq}")]
            return [Finding("inserted", ref, seq, f"{ref}: entry #{seq} appears twice")]
        if not row["redacted"]:
            if digest(row_content(row)) != row["digest"]:
                return [Finding("altered", ref, seq, f"{ref} #{seq} ({row['kind']} {row['name'] or ''}".rstrip()
                                + f" on {row['on_date']}) was altered: its content no longer matches its digest")]
        elif not _is_blank(row):
            return [Finding("redaction", ref, seq, f"{ref} #{seq} is marked redacted but still holds content")]
        if row["prev_hash"] != previous:
            return [Finding("reordered", ref, seq, f"{ref} #{seq} does not follow #{seq - 1}: entries were "
                                                   "inserted, deleted or reordered before it")]
        if link(previous, row["digest"]) != row["hash"]:
            return [Finding("altered", ref, seq, f"{ref} #{seq} was altered: its hash does not match its digest")]
        previous = row["hash"]
    findings += _check_redactions(ref, ordered)
    return findings


def _check_redactions(ref: str, ordered: list[dict[str, Any]]) -> list[Finding]:
    """Every blanked entry is named by a later redaction; everything a redaction names is blank."""
    findings: list[Finding] = []
    covered: set[int] = set()
    for row in ordered:
        if row["kind"] != RecordKind.REDACTED:
            continue
        if row["redacted"]:
            findings.append(Finding("redaction", ref, row["seq"], f"{ref} #{row['seq']}: a redaction entry was itself "
                                                                  "blanked, hiding who redacted what and why"))
            continue
        names = named_by(row)
        names = set(range(1, row["seq"])) if names is None else {s for s in names if s < row["seq"]}
        covered |= names
        for entry in ordered:
            if entry["seq"] in names and entry["kind"] != RecordKind.REDACTED and not entry["redacted"] \
                    and not _is_blank(entry):
                findings.append(Finding("redaction", ref, entry["seq"], (
                    f"{ref} #{entry['seq']} still holds content that the redaction #{row['seq']} says was removed")))
    for row in ordered:
        if row["redacted"] and row["seq"] not in covered:
            findings.append(Finding("redaction", ref, row["seq"], (
                f"{ref} #{row['seq']} ({row['kind']} on {row['on_date']}) was blanked, but no redaction entry names "
                "it: its content was removed without a record of who, when or why")))
    return findings


def check_database_chain(rows: list[dict[str, Any]], key: bytes | None, database: str | None
                         ) -> tuple[list[Finding], str]:
    """The database chain over ``rows`` (every entry, in the order written); return findings and its head."""
    previous = GENESIS
    keyed = False
    for row in rows:
        value = row["chain"]
        where = f"{row['case_ref']} #{row['seq']} (entry id {row['id']})"
        if is_keyed(value):
            if key is None or database is None:
                return [Finding("key", row["case_ref"], row["seq"], (
                    f"the database chain is keyed from {where} on, and cannot be checked without the "
                    "deployment's key"))], rows[-1]["chain"]
            keyed = True
            expected = keyed_link(key, database, previous, row["hash"])
        elif keyed:
            return [Finding("chain", row["case_ref"], row["seq"], (
                f"{where} carries an unkeyed chain value after keyed ones: it was written without the deployment's "
                "key (forged)"))], rows[-1]["chain"]
        else:
            expected = link(previous, row["hash"])
        if value != expected:
            return [Finding("chain", row["case_ref"], row["seq"], (
                f"the database chain breaks at {where}: an entry written before it was deleted, inserted or altered, "
                "this entry was moved, or it was written without the deployment's key"))], rows[-1]["chain"]
        previous = value
    return [], previous
