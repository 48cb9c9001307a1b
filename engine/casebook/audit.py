"""The tamper-evident history: hashes, verification, and exports a third party can check.

Every entry of the history carries three hashes (all ``sha256:`` + hex):

* ``digest``: of the entry's content (:func:`content`, as canonical JSON);
* ``hash``: of the previous entry's hash **of the same case** and this digest,
  so each case is a chain that can be exported and verified on its own;
* ``chain``: of the previous entry's chain **in the whole database** (in the
  order entries were written) and this hash, so deleting a whole case, or the
  latest entries of any case, breaks the database chain.

Redaction removes an entry's personal content (facts and note) but keeps its
digest, so both chains still verify. A chain only shows that nothing changed
*since its head*: anyone able to rewrite the file could recompute every hash.
So ``cspr audit verify`` prints the database chain's head; kept somewhere else
(a minute, an email), it is an anchor: ``--anchor HASH`` checks that the
history still passes through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cspr.engine.store.chain import GENESIS, content, digest, link

from .projections import projection


@dataclass
class Finding:
    kind: str  # altered, deleted, inserted, reordered, redaction, projection, anchor
    case: str | None
    seq: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "case": self.case, "seq": self.seq, "message": self.message}


@dataclass
class Report:
    engine: str = "sqlite"
    entries: int = 0
    cases: int = 0
    head: str = GENESIS
    findings: list[Finding] = field(default_factory=list)
    integrity: str = "ok"

    @property
    def ok(self) -> bool:
        return not self.findings and self.integrity == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "cases": self.cases, "head": self.head,
                "engine": self.engine,
                "integrity_check": self.integrity, "findings": [f.as_dict() for f in self.findings]}


def _row_content(row: dict[str, Any]) -> dict[str, Any]:
    return content(row["case_ref"], row["seq"], row["kind"], row["name"], row["on_date"], row["role"], row["actor"],
                   row["recorded_at"], json.loads(row["facts"]), row["note"], json.loads(row["data"]))


def verify_chains(rows: list[dict[str, Any]]) -> tuple[list[Finding], str]:
    """Check every case chain and the database chain; return findings and the head."""
    findings: list[Finding] = []
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["case_ref"], []).append(row)
    for ref, entries in sorted(by_case.items()):
        findings += _verify_case(ref, entries)
    previous = GENESIS
    for row in rows:  # in write order
        expected = link(previous, row["hash"])
        if row["chain"] != expected:
            findings.append(Finding(
                "chain", row["case_ref"], row["seq"],
                f"the database chain breaks at {row['case_ref']} #{row['seq']} (entry id {row['id']}): an entry "
                "written before it was deleted, inserted or altered, or this entry was moved",
            ))
            break
        previous = row["chain"]
    return findings, previous


def _verify_case(ref: str, entries: list[dict[str, Any]]) -> list[Finding]:
    findings: list[Finding] = []
    previous = GENESIS
    expected_seq = 1
    for row in sorted(entries, key=lambda r: r["seq"]):
        seq = row["seq"]
        if seq != expected_seq:
            kind = "deleted" if seq > expected_seq else "inserted"
            findings.append(Finding(kind, ref, seq, f"{ref}: entry #{expected_seq} is missing (deleted) before #{seq}"
                                    if seq > expected_seq else f"{ref}: entry #{seq} appears twice"))
            return findings
        if not row["redacted"]:
            if digest(_row_content(row)) != row["digest"]:
                findings.append(Finding("altered", ref, seq, f"{ref} #{seq} ({row['kind']} {row['name'] or ''}".rstrip()
                                        + f" on {row['on_date']}) was altered: its content no longer matches its digest"))
                return findings
        elif json.loads(row["facts"]) or row["note"] is not None:
            findings.append(Finding("redaction", ref, seq, f"{ref} #{seq} is marked redacted but still holds content"))
            return findings
        if row["prev_hash"] != previous:
            findings.append(Finding("reordered", ref, seq, f"{ref} #{seq} does not follow #{seq - 1}: entries were "
                                    "inserted, deleted or reordered before it"))
            return findings
        if link(previous, row["digest"]) != row["hash"]:
            findings.append(Finding("altered", ref, seq, f"{ref} #{seq} was altered: its hash does not match its digest"))
            return findings
        previous = row["hash"]
        expected_seq += 1
    blanked = [row["seq"] for row in entries if row["redacted"]]
    recorded = [row["seq"] for row in entries if row["kind"] == "redacted"]
    if blanked and not any(seq > max(blanked) for seq in recorded):
        findings.append(Finding("redaction", ref, max(blanked), f"{ref}: entries up to #{max(blanked)} were blanked, "
                                "but no redaction was recorded after them"))
    return findings


def _holiday_findings() -> list[Finding]:
    """The holiday cache must say what the holidays package says (an edited cache would move due dates)."""
    from cspr.engine.definition.workdays import cache_problems
    from cspr.engine.runtime.deadlines import calendar_for

    problems = cache_problems()
    if problems:
        calendar_for.cache_clear()
    return [Finding("holidays", None, None, problem) for problem in problems]


def verify(book: Any, anchors: list[str] | tuple[str, ...] = ()) -> Report:
    """Every chain, every projection against a replay of its case, and the database's own integrity check,
    all read as of one moment."""
    with book.store.snapshot():
        return _verify(book, anchors)


def _verify(book: Any, anchors: list[str] | tuple[str, ...]) -> Report:
    from cspr.engine.errors import CsprError

    report = Report(engine=book.store.engine)
    report.findings += _holiday_findings()
    report.integrity = book.store.integrity_check()
    entries = book.store.entries()
    report.entries = len(entries)
    chain_findings, report.head = verify_chains(entries)
    report.findings += chain_findings
    chains = {e["chain"] for e in entries}
    for anchor in anchors:
        if anchor not in chains:
            report.findings.append(Finding("anchor", None, None, f"the history no longer passes through the "
                                           f"anchor {anchor}: it was rewritten since that hash was recorded"))
    refs = book.store.case_refs()
    report.cases = len(refs)
    case_rows, *listed = book.store.stored_projections()
    stored_cases = {r["ref"]: r for r in case_rows}
    stored: list[dict[str, list[dict[str, Any]]]] = []  # per table after case_view: ref -> its rows
    for rows in listed:
        by_ref: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_ref.setdefault(r["ref"], []).append(r)
        stored.append(by_ref)
    for ref in refs:
        try:
            row, *tables = projection(book.load(ref))
        except CsprError as exc:
            report.findings.append(Finding("replay", ref, None, f"{ref} does not replay: {exc}"))
            continue
        same = stored_cases.pop(ref, None) == row
        for by_ref, rows in zip(stored, tables, strict=True):
            # each table's rows are keyed by the case and one more column (deadline, action, task, linked)
            same = by_ref.pop(ref, []) == sorted(rows, key=lambda r: str(_row_key(r))) and same
        if not same:
            report.findings.append(Finding("projection", ref, None, f"{ref}: the case list, deadline, action or task "
                                           "table differs from its events; run 'cspr rebuild'"))
    for ref in sorted(set(stored_cases).union(*stored)):
        report.findings.append(Finding("projection", ref, None, f"{ref} is listed but has no history; run 'cspr rebuild'"))
    return report


def _row_key(row: dict[str, Any]) -> Any:
    """A projection row's own key: its first column after the case reference."""
    return next(v for k, v in row.items() if k != "ref")


EXPORT_INSTRUCTIONS = [
    "Each entry's digest is sha256 of its 'content' written as canonical JSON: keys sorted, no spaces "
    "(separators ',' and ':'), UTF-8 with non-ASCII characters as themselves. A redacted entry's content "
    "was removed; its digest stands in for it.",
    "Each entry's hash is sha256 of the previous entry's hash, a newline and this entry's digest; the first "
    "entry's previous hash is the 'genesis' value. Hashes are written 'sha256:' and 64 hex digits.",
    "The last entry's hash is the case's 'head'. The script in 'verify_with_python' (Python 3, standard "
    "library only) checks all of this: save it as verify.py and run: python3 verify.py THIS_FILE.json",
]

VERIFY_SCRIPT = [
    "import hashlib, json, sys",
    "def h(text): return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()",
    "export = json.load(open(sys.argv[1], encoding='utf-8'))",
    "previous = export['genesis']",
    "for entry in export['entries']:",
    "    if entry['content'] is not None:",
    "        text = json.dumps(entry['content'], sort_keys=True, ensure_ascii=False, separators=(',', ':'))",
    "        assert h(text) == entry['digest'], f\"entry {entry['seq']}: content does not match its digest\"",
    "    assert entry['prev_hash'] == previous, f\"entry {entry['seq']}: does not follow the entry before it\"",
    "    assert h(previous + '\\n' + entry['digest']) == entry['hash'], f\"entry {entry['seq']}: wrong hash\"",
    "    previous = entry['hash']",
    "assert previous == export['head'], 'the last hash is not the head'",
    "print('verified', len(export['entries']), 'entries of', export['case'], 'head', previous)",
]


def export(store: Any, ref: str) -> dict[str, Any]:
    entries = store.entries(ref)
    out = []
    for row in entries:
        out.append({
            "seq": row["seq"],
            "content": None if row["redacted"] else _row_content(row),
            "redacted": bool(row["redacted"]),
            "digest": row["digest"], "prev_hash": row["prev_hash"], "hash": row["hash"],
        })
    return {
        "format": "cspr-case-history/1", "case": ref, "genesis": GENESIS,
        "head": entries[-1]["hash"] if entries else GENESIS, "entries": out,
        "how_to_verify": EXPORT_INSTRUCTIONS, "verify_with_python": VERIFY_SCRIPT,
    }
