"""Repeated cycles, pauses, extensions and tasks (issue 10, items 1-3), with Hypothesis where a rule is general.

A deadline counted from an event says whether it runs from the first, the latest or each occurrence; every
cycle of an 'each' deadline keeps its own timeliness. An extension or a pause never makes a deadline earlier
than its statutory date, a pause of no days changes nothing, and the tasks a case shows are a replay of its
history. The process is the third test process (tests/fixtures/processes/dhr.yaml).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cspr.engine.casebook import extensions, parties, tasks
from cspr.engine.casebook.book import Casebook
from cspr.engine.definition.loader import load_file, load_text
from cspr.engine.store.sqlite import SqliteStore

from .conftest import ROOT, examples

DHR = ROOT / "tests" / "fixtures" / "processes" / "dhr.yaml"
DEFINITION = load_file(DHR)
DECIDED = dt.date(2025, 5, 8)  # + 6 months: Sat 2025-11-08, the overview report's statutory date before pauses
STATUTORY = dt.date(2025, 11, 8)


def book_on(today: dt.date) -> Casebook:
    return Casebook(SqliteStore.in_memory(), today=today, actor="test")


def decided(book: Casebook, definition: Any = DEFINITION, ref: str = "DHR-2025-01") -> str:
    book.open_case(ref, definition, dt.date(2025, 4, 5),
                   values={"died_on": "2025-04-02", "born_on": "1990-06-01", "relationship": "relative",
                           "agencies_involved": 2, "criminal_proceedings": False},
                   parties=["csp_chair=Northtown CSP"])
    book.signoff(ref, "csp_chair", on=DECIDED)
    book.record(ref, "review_decided", on=DECIDED)
    return ref


def view_of(book: Casebook, ref: str) -> dict[str, Any]:
    """``case show --json`` of one case: dates as ISO text, statuses as their names."""
    return json.loads(json.dumps(book.show(ref).as_dict(), default=lambda v: getattr(v, "value", None) or v.isoformat()))


def deadline(book: Casebook, ref: str, name: str) -> dict[str, Any]:
    view = view_of(book, ref)
    return next(d for d in view["deadlines"] if d["deadline"] == name)


def resubmitted_twice(definition: Any) -> tuple[Casebook, str]:
    book = book_on(dt.date(2026, 6, 30))
    ref = decided(book, definition)
    parties.name(book, ref, "agency=Northtown Council", on=DECIDED)
    tasks.add(book, ref, "agency_report", "Northtown Council", on=DECIDED)
    tasks.close(book, ref, "T1", "done", on=dt.date(2025, 6, 1))
    for submitted, asked in ((dt.date(2025, 10, 1), dt.date(2025, 10, 20)), (dt.date(2025, 11, 3), dt.date(2025, 11, 10))):
        book.signoff(ref, "csp_chair", on=submitted)
        book.record(ref, "report_submitted", on=submitted)
        book.record(ref, "resubmission_asked", on=asked)
    book.signoff(ref, "csp_chair", on=dt.date(2025, 12, 15))
    book.record(ref, "report_submitted", on=dt.date(2025, 12, 15))
    return book, ref


def test_each_occurrence_keeps_every_cycle_and_its_timeliness():
    book, ref = resubmitted_twice(DEFINITION)
    view = view_of(book, ref)
    cycles = {d["deadline"]: d for d in view["deadlines"] if d["deadline"].startswith("resubmission")}
    # asked Mon 2025-10-20, + 20 working days = Mon 2025-11-17; met 2025-11-03
    # asked Mon 2025-11-10, + 20 working days = Mon 2025-12-08; met 2025-12-15, 5 working days late
    assert {k: (d["due"], d["status"], d["met_on"]) for k, d in cycles.items()} == {
        "resubmission#1": ("2025-11-17", "met", "2025-11-03"),
        "resubmission#2": ("2025-12-08", "met_late", "2025-12-15"),
    }
    report = book.store.deadlines(order="case")
    assert {r["deadline"] for r in report} >= {"resubmission#1", "resubmission#2"}


def test_first_and_latest_occurrence_count_from_the_first_and_the_latest():
    """The documentation (the schema: a plain event anchor counts from its latest occurrence) and the behaviour agree."""
    text = DHR.read_text()
    each = "    after: {event: resubmission_asked, occurrence: each}\n"
    assert each in text
    first = load_text(text.replace(each, "    after: {event: resubmission_asked, occurrence: first}\n"))
    latest = load_text(text.replace(each, "    after: {event: resubmission_asked}\n"))
    book, ref = resubmitted_twice(first)
    assert deadline(book, ref, "resubmission")["due"] == "2025-11-17"
    book, ref = resubmitted_twice(latest)
    assert deadline(book, ref, "resubmission")["due"] == "2025-12-08"


def test_an_each_deadline_before_its_event_has_not_started():
    book = book_on(dt.date(2025, 6, 1))
    ref = decided(book)
    row = deadline(book, ref, "resubmission")
    assert row["status"] == "not_started"


def test_the_latest_of_two_anchors_waits_for_both_and_counts_from_the_later():
    book, ref = resubmitted_twice(DEFINITION)
    assert deadline(book, ref, "publication")["status"] == "not_started"  # no proceedings concluded yet
    book.record(ref, "report_approved", on=dt.date(2026, 1, 5))
    assert deadline(book, ref, "publication")["status"] == "not_started"
    book.record(ref, "proceedings_concluded", on=dt.date(2026, 1, 12))
    assert deadline(book, ref, "publication")["due"] == "2026-02-09"  # Mon 2026-01-12 + 28 days


days = st.integers(min_value=0, max_value=120)


@settings(max_examples=examples(25), deadline=None)
@given(start=days, length=days, extend_by=st.one_of(st.none(), st.integers(min_value=1, max_value=200)))
def test_a_pause_or_an_extension_never_makes_a_deadline_earlier_than_its_statutory_date(start, length, extend_by):
    book = book_on(dt.date(2026, 11, 1))
    ref = decided(book)
    stopped = DECIDED + dt.timedelta(days=1 + start)
    book.record(ref, "proceedings_started", on=stopped)
    book.record(ref, "proceedings_concluded", on=stopped + dt.timedelta(days=length))
    row = deadline(book, ref, "overview_report")
    statutory = dt.date.fromisoformat(row.get("statutory_due") or row["due"])
    assert statutory >= STATUTORY
    assert dt.date.fromisoformat(row["due"]) >= STATUTORY
    if extend_by is not None:
        to = statutory + dt.timedelta(days=extend_by)
        extensions.extend(book, ref, "overview_report", to, "home_office", "agreed", on=stopped + dt.timedelta(days=length))
        row = deadline(book, ref, "overview_report")
        assert dt.date.fromisoformat(row["due"]) == to >= statutory
        assert row["statutory_due"] == statutory.isoformat()


@settings(max_examples=examples(15), deadline=None)
@given(start=days)
def test_a_zero_length_pause_changes_nothing(start):
    plain = book_on(dt.date(2026, 11, 1))
    ref = decided(plain)
    paused = book_on(dt.date(2026, 11, 1))
    decided(paused)
    on = DECIDED + dt.timedelta(days=1 + start)
    paused.record(ref, "proceedings_started", on=on)
    paused.record(ref, "proceedings_concluded", on=on)
    assert view_of(paused, ref)["deadlines"] == view_of(plain, ref)["deadlines"]


AGENCIES = ["North Council", "North Police", "North Trust", "North School"]


@settings(max_examples=examples(20), deadline=None)
@given(plan=st.lists(st.tuples(st.sampled_from(AGENCIES), st.sampled_from(["done", "waived", "open"])),
                     min_size=1, max_size=4, unique_by=lambda p: p[0]))
def test_the_tasks_a_case_shows_are_a_replay_of_its_history(plan):
    book = book_on(dt.date(2025, 9, 1))
    ref = decided(book)
    for agency, _ in plan:
        parties.name(book, ref, f"agency={agency}", on=DECIDED)
        tasks.add(book, ref, "agency_report", agency, on=DECIDED)
    for i, (_, outcome) in enumerate(plan, start=1):
        if outcome != "open":
            tasks.close(book, ref, f"T{i}", outcome, reason="test", on=DECIDED + dt.timedelta(days=i))
    live = book.load(ref)
    replayed = book.replay(ref, list(live.history))
    assert replayed.tasks == live.tasks
    assert {t["task"]: t["status"] for t in live.tasks.values()} == {
        f"T{i}": ("done" if o == "done" else "waived" if o == "waived" else "open") for i, (_, o) in enumerate(plan, 1)}
    stored = {row["task"]: row["status"] for row in book.store.tasks(ref=ref)}
    assert stored == {t["task"]: t["status"] for t in live.tasks.values()}
    assert view_of(book, ref)["criteria"]["reports_in"]["holds"] is all(o != "open" for _, o in plan)
