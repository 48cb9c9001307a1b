"""Verifying a whole database (``cspr audit verify``), its head for the minutes (``cspr audit anchor``), and
what ``cspr rebuild`` must refuse.

Every entry of the history carries a digest of its content, a hash chaining it
to the previous entry of its case, and a value chaining it to the previous entry
of the database, keyed with the deployment's key (:mod:`cspr.engine.store.chain`,
:mod:`.history`). After each write the database chain's head is appended to the
anchor log outside the database (:mod:`cspr.engine.store.sealing`).

:func:`verify` reads the anchor log first and then the database as of one
moment (one snapshot), so a write finishing meanwhile can never look like
tampering. It checks, and names the first problem of each kind: the holiday
cache; the engine's own integrity; that the append-only guards are in place;
every case chain and every redaction; the database chain under the key; that
the latest anchors (and any ``--anchor HASH`` given) are still in the history;
that no process version was stored twice with different rules; and every
listing row against a replay of its case. A listing row that claims more
history than there is (entries deleted) is a history problem, never mended by
``cspr rebuild``: :func:`rebuild_refusals` makes rebuild refuse while it, or
the anchor log, says the history is shorter than it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cspr.engine.store.chain import GENESIS, content, digest, is_keyed, link  # noqa: F401 - re-exported
from cspr.engine.store.interface import StoreError

from .export import EXPORT_INSTRUCTIONS, VERIFY_SCRIPT, export  # noqa: F401 - re-exported
from .history import HISTORY_KINDS, Finding, check_case, check_database_chain
from .projections import projection

__all__ = ["Finding", "Report", "current_anchor", "export", "rebuild_refusals", "recent_anchors", "verify"]


@dataclass
class Report:
    engine: str = "sqlite"
    entries: int = 0
    cases: int = 0
    head: str = GENESIS
    findings: list[Finding] = field(default_factory=list)
    integrity: str = "ok"
    database: str | None = None
    key: str | None = None
    anchor_log: str | None = None
    anchors_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings and self.integrity == "ok"

    @property
    def history_intact(self) -> bool:
        return not any(f.kind in HISTORY_KINDS for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "cases": self.cases, "head": self.head,
                "engine": self.engine, "database": self.database, "key": self.key, "anchor_log": self.anchor_log,
                "anchors_checked": self.anchors_checked,
                "integrity_check": self.integrity, "findings": [f.as_dict() for f in self.findings]}


@dataclass(frozen=True)
class Anchors:
    """The anchor log's latest heads for one database, read before the snapshot is taken."""

    database: str | None
    path: str | None
    recent: list[Any]


def recent_anchors(store: Any) -> Anchors:
    """The latest anchors of this database (read outside any snapshot: every head in the log was committed
    before it was written, so a snapshot taken after reading the log contains them all)."""
    from cspr.engine.store.sealing import anchor_path, latest_anchors

    database = store.meta().get("database_id")
    path = anchor_path()
    return Anchors(database, str(path), latest_anchors(path, database, store.anchor_location))


def verify(book: Any, anchors: list[str] | tuple[str, ...] = ()) -> Report:
    """Everything :mod:`.audit` lists, read as of one moment."""
    log = recent_anchors(book.store)
    with book.store.snapshot():
        return _verify(book, anchors, log)


def _verify(book: Any, given: list[str] | tuple[str, ...], log: Anchors) -> Report:
    store = book.store
    report = Report(engine=store.engine, anchor_log=log.path)
    report.findings += _holiday_findings()
    report.integrity = store.integrity_check()
    missing_guards = store.missing_triggers()
    entries = store.entries()
    report.entries = len(entries)
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in entries:
        by_case.setdefault(row["case_ref"], []).append(row)
    for ref, rows in sorted(by_case.items()):
        report.findings += check_case(ref, rows)
    meta = store.meta()
    report.database, report.key = meta.get("database_id"), meta.get("key_id")
    key, key_findings = _key(meta, entries)
    report.findings += key_findings
    chain_findings, report.head = check_database_chain(entries, key, report.database)
    report.findings += chain_findings
    chains = {row["chain"] for row in entries}
    report.anchors_checked = len(log.recent) + len(given)
    report.findings += anchor_findings(chains, log, given, keyed=any(is_keyed(c) for c in chains))
    report.findings += _process_findings(store.processes())
    mend = ("'cspr rebuild' puts it back" if report.history_intact else
            "the history failed the checks here, so restore it from a trusted copy before 'cspr rebuild' puts it back")
    report.findings += [Finding("trigger", None, None, f"the append-only guard {name} is missing, disabled or not "
                                                       f"cspr's; {mend}") for name in missing_guards]
    report.cases = len(by_case)
    report.findings += _projection_findings(book, by_case, history_intact=report.history_intact)
    return report


def _key(meta: dict[str, str], entries: list[dict[str, Any]]) -> tuple[bytes | None, list[Finding]]:
    """The deployment's key, if this database's chain needs one and it is at hand."""
    from cspr.engine.store.sealing import key_for, key_path, read_key

    if not any(is_keyed(row["chain"]) for row in entries):
        if "key_id" in meta and entries:
            return None, [Finding("key", None, None, f"the database is sealed with {meta['key_id']}, but no entry "
                                                     "carries a keyed chain value: its chain was rewritten without "
                                                     "the key")]
        return None, []
    try:
        if "key_id" not in meta:
            key = read_key(key_path(), create=False)
            return key, [Finding("key", None, None, "the database does not record which key seals its chain (its "
                                                    "identity was removed)")]
        return key_for(meta)[0], []
    except StoreError as exc:
        return None, [Finding("key", None, None, f"the database chain cannot be checked: {exc}")]


def anchor_findings(chains: set[str], log: Anchors, given: list[str] | tuple[str, ...] = (), *,
                    keyed: bool = True) -> list[Finding]:
    """Heads recorded elsewhere that the history no longer reaches."""
    out = []
    for anchor in given:
        if anchor not in chains:
            out.append(Finding("anchor", None, None, f"the history no longer passes through the anchor {anchor}: "
                                                     "it was cut back or rewritten since that head was recorded"))
    if not log.recent:
        if log.database is None or not keyed:
            return out  # never sealed: a database from before keys, not written to since
        out.append(Finding("anchor", None, None, (
            f"no anchor of this database ({log.database}) in {log.path}: the history's length cannot be checked "
            "(set CSPR_ANCHOR_LOG to the deployment's anchor log)")))
        return out
    missing = [a for a in log.recent if a.head not in chains]
    if missing:
        latest = missing[-1]
        ref, _, seq = latest.last.partition(" #")
        out.append(Finding("truncated", ref or None, int(seq) if seq.isdigit() else None, (
            f"the anchor log {log.path} says the history reached {latest.head} (at {latest.last or 'its last entry'}, "
            f"written {latest.at}), and it no longer does: its newest entries were deleted, an older copy was "
            "restored, or it was rewritten")))
    return out


def _process_findings(processes: list[dict[str, Any]]) -> list[Finding]:
    seen: dict[tuple[str, str], str] = {}
    out = []
    for row in processes:
        key = (row["process_id"], row["version"])
        if key in seen and seen[key] != row["hash"]:
            out.append(Finding("process", None, None, f"{key[0]} {key[1]} is stored twice with different rules "
                                                      f"({seen[key]} and {row['hash']})"))
        seen.setdefault(key, row["hash"])
    return out


def shorter_than_listed(case_rows: list[dict[str, Any]], lengths: dict[str, int]) -> list[Finding]:
    """Listing rows that claim more history than there is: entries were deleted."""
    out = []
    for row in case_rows:
        length = lengths.get(row["ref"], 0)
        if row["last_seq"] > length:
            ends = "it has no entries at all" if length == 0 else f"it ends at #{length}"
            out.append(Finding("truncated", row["ref"], length + 1, (
                f"{row['ref']}: the case list says its history reaches #{row['last_seq']}, but {ends}: entries were "
                "deleted ('cspr rebuild' would hide this, and refuses)")))
    return out


def _projection_findings(book: Any, by_case: dict[str, list[dict[str, Any]]], *, history_intact: bool) -> list[Finding]:
    """Every listing row against a replay of its case (replayed from the rows already read: one snapshot)."""
    from cspr.engine.errors import CsprError
    from cspr.engine.store.sql import record_of

    lengths = {ref: max(r["seq"] for r in rows) for ref, rows in by_case.items()}
    case_rows, *listed = book.store.stored_projections()
    out = shorter_than_listed(case_rows, lengths)
    gone = {f.case for f in out}
    stored_cases = {r["ref"]: r for r in case_rows if r["ref"] not in gone}
    stored: list[dict[str, list[dict[str, Any]]]] = []  # per table after case_view: ref -> its rows
    for rows in listed:
        by_ref: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_ref.setdefault(r["ref"], []).append(r)
        stored.append(by_ref)
    advice = "run 'cspr rebuild'" if history_intact else "the history itself failed the checks above: do not rebuild"
    for ref in sorted(set(lengths) - gone):
        try:
            row, *tables = projection(book.replay(ref, [record_of(r) for r in
                                                        sorted(by_case[ref], key=lambda r: r["seq"])]))
        except CsprError as exc:
            out.append(Finding("replay", ref, None, f"{ref} does not replay: {exc}"))
            continue
        same = stored_cases.pop(ref, None) == row
        for by_ref, rows in zip(stored, tables, strict=True):
            # each table's rows are keyed by the case and one more column (deadline, action, task, linked)
            same = by_ref.pop(ref, []) == sorted(rows, key=lambda r: str(_row_key(r))) and same
        if not same:
            out.append(Finding("projection", ref, None, f"{ref}: the case list, deadline, action or task table "
                                                        f"differs from its events; {advice}"))
    for ref in sorted(set(stored_cases).union(*stored) - gone):
        out.append(Finding("projection", ref, None, f"{ref} has listing rows but no history; {advice}"))
    return out


def _row_key(row: dict[str, Any]) -> Any:
    """A projection row's own key: its first column after the case reference."""
    return next(v for k, v in row.items() if k != "ref")


def _holiday_findings() -> list[Finding]:
    """The holiday cache must say what the holidays package says (an edited cache would move due dates)."""
    from cspr.engine.definition.workdays import cache_problems
    from cspr.engine.runtime.deadlines import calendar_for

    problems = cache_problems()
    if problems:
        calendar_for.cache_clear()
    return [Finding("holidays", None, None, problem) for problem in problems]


# --- what rebuild refuses, and the head for the minutes ---------------------------------------------------


def rebuild_refusals(book: Any, log: Anchors) -> list[Finding]:
    """Inside rebuild's write: why rebuilding would launder a shortened history (empty: it may go ahead)."""
    store = book.store
    case_rows = store.stored_projections()[0]
    findings = shorter_than_listed(case_rows, store.case_lengths())
    present = store.chains_present([a.head for a in log.recent])
    findings += [f for f in anchor_findings(present, log) if f.kind == "truncated"]
    return findings


def current_anchor(book: Any) -> dict[str, Any]:
    """The database chain's head, for the minutes or an email; every case chain and the database chain (under
    the key) are checked first, and no head is given for a history that fails them."""
    from cspr.engine.errors import CsprError

    store = book.store
    with store.snapshot():
        entries = store.entries()
        meta = store.meta()
    key, problems = _key(meta, entries)
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in entries:
        by_case.setdefault(row["case_ref"], []).append(row)
    for ref, rows in sorted(by_case.items()):
        problems += check_case(ref, rows)
    findings, head = check_database_chain(entries, key, meta.get("database_id"))
    if problems or findings:
        raise CsprError(f"the database chain does not verify ({(problems + findings)[0].message}); run "
                        "'cspr audit verify' (no head was printed)")
    last = entries[-1] if entries else None
    return {"database": meta.get("database_id"), "location": store.location, "key": meta.get("key_id"),
            "entries": len(entries), "head": head, "keyed": is_keyed(head),
            "last": f"{last['case_ref']} #{last['seq']}" if last else None,
            "last_recorded_at": last["recorded_at"] if last else None}
