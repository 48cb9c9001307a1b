"""Tests written for bugs once planted one at a time in a copy of the code that the whole suite let through
(issue 12): each of these fails on its bug. The others of that list live beside what they test:

* the actor left out of an entry's digest: test_tamper.py::test_the_actor_alone_changed_is_named;
* only ``prev_hash`` changed on one entry: test_tamper.py::test_only_the_link_to_the_previous_entry_changed_is_named_reordered;
* the guard allowing a redaction UPDATE that also changes the actor:
  test_tamper.py::test_the_guard_allows_the_exact_redaction_change_and_nothing_more.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cspr.engine.casebook import synthetic
from cspr.engine.casebook.book import Casebook
from cspr.engine.casebook.bulk import BulkCasebook
from cspr.engine.definition.catalog import resolve, shipped
from cspr.engine.definition.diff import diff
from cspr.engine.definition.loader import check_text, load_text
from cspr.engine.runtime.case import HistoryInvalid, Record, replay
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.store.interface import open_store

from .conftest import FIXTURES, ROOT

TODAY = dt.date(2026, 6, 10)
CURRENT = ROOT / "processes" / "cspr_pan_lancashire.yaml"


def test_a_bulk_load_that_flushes_several_times_keeps_one_database_chain(tmp_path, monkeypatch):
    """The suite's other bulk loads flush once; here every few cases are flushed, and the chain must run on."""
    monkeypatch.setattr(synthetic, "BATCH", 4)
    store = open_store(tmp_path / "bulk.db", create=True)
    try:
        book = BulkCasebook(store, today=TODAY, actor="synthetic")
        definitions = [d for d in shipped() if d.id == "cspr_pan_lancashire"]
        assert synthetic.generate(book, definitions, 13, seed=3) > 13  # four flushes
        report = Casebook(store, today=TODAY).verify()
        assert report.ok, [f.message for f in report.findings]
        assert report.cases == 13
    finally:
        store.close()


def _redacted(seq, kind, on, **fields):
    return Record(seq=seq, kind=kind, on=on, actor="t", recorded_at="2026-06-10T00:00:00+00:00", redacted=True,
                  **fields)


def test_a_redacted_transition_from_a_state_it_cannot_leave_is_refused_on_replay():
    """A redacted entry is replayed without re-checking the facts it no longer holds, but the machine must
    still refuse an event from a state that is not one of its sources."""
    d = resolve("cspr_pan_lancashire@2025.1")
    day = dt.date(2026, 6, 1)
    opened = _redacted(1, RecordKind.OPENED, day, data={"process_id": d.id, "version": d.version,
                                                         "process_hash": d.content_hash})
    fits = [opened, _redacted(2, RecordKind.SIGNOFF, day, name="agency_safeguarding_lead", role="agency_safeguarding_lead"),
            _redacted(3, RecordKind.TRANSITION, day, name="referral_submitted", role="referring_agency")]
    assert replay("R-1", d, fits).state == "referral_received"  # the facts it needed are gone: trusted
    out_of_place = [opened, _redacted(2, RecordKind.TRANSITION, day, name="notification_sent", role="local_authority")]
    with pytest.raises(HistoryInvalid, match="#2"):
        replay("R-1", d, out_of_place)


@pytest.mark.parametrize("old,new,words", [
    ("    warn: {working_days: 2}\n", "    warn: {working_days: 3}\n",
     "Deadline 'Serious incident notification to the National Panel': due soon from 2 working days before it is due "
     "→ 3 working days before it is due"),
    ("    subdivision: ENG     # England and Wales share the same bank holidays\n",
     "    subdivision: WLS\n", "Holiday region: GB-ENG → GB-WLS"),
])
def test_diff_names_a_changed_warning_and_a_holiday_region_differing_only_in_its_subdivision(old, new, words):
    text = CURRENT.read_text()
    assert old in text
    a, b = load_text(text, "a.yaml"), load_text(text.replace(old, new), "b.yaml")
    assert a.content_hash != b.content_hash
    changes = [c.text for c in diff(a, b)]
    assert words in changes, changes


@pytest.mark.parametrize("tagged", [
    "!!python/object:os.system {b: 1}", "!!python/object/new:os.system {b: 1}", "!!map {b: 1}", "!custom {b: 1}",
    "!!python/object/apply:os.system [x]", "!!seq [a]", "!!omap [{b: 1}]", "!!set {b}",
])
def test_a_tag_on_a_mapping_or_a_sequence_is_refused(tagged):
    text = (FIXTURES / "minimal.yaml").read_text()
    marker = "title: Minimal process"
    assert marker in text
    definition, problems = check_text(text.replace(marker, f"title: {tagged}"), "tagged.yaml")
    if tagged.startswith("!!map") or tagged.startswith("!!seq"):
        # the core tags of a mapping and a sequence are what they would be anyway; the schema then refuses
        # a mapping or a list where a title belongs
        assert definition is None and problems
        return
    assert definition is None
    assert any("tag" in p.message and "not allowed" in p.message for p in problems), problems
