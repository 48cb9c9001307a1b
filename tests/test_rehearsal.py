"""A rehearsal cannot damage the record: no entry is ever dated after the real date, whatever --today says,
and every check on an entry runs before anything is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cspr.engine.casebook import book as book_module
from cspr.engine.casebook.book import Casebook, RehearsalCannotWrite
from cspr.engine.definition.catalog import resolve
from cspr.engine.runtime.case import Record
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.store.interface import open_store

from .conftest import dump, run_cli

PAST = "2026-06-10"  # the demo's day: in the past, so rehearsing it may write
FUTURE = (dt.date.today() + dt.timedelta(days=200)).isoformat()
SAYS = "a rehearsal of a future day can read but not write"


@pytest.fixture
def db(demo_db):
    return demo_db


def cli(db, today, *args):
    return run_cli("--db", str(db), "--today", today, *args)


WRITES = [
    ("case", "open", "LSBU-2026-201", "--on", "2026-06-01"),
    ("case", "note", "LSBU-2026-015", "rehearsed note"),
    ("case", "note", "LSBU-2026-015", "rehearsed note", "--on", "2026-06-09"),  # even dated in the past
    ("case", "fact", "LSBU-2026-015", "sudi=no"),
    ("case", "signoff", "LSBU-2026-015", "icb"),
    ("case", "record", "LSBU-2026-015", "case_closed", "--fact", "closure_reason=duplicate"),
    ("case", "migrate", "LSBU-2026-015", "--to", "2023.1"),
    ("case", "redact", "LSBU-2026-012", "--reason", "rehearsal"),
    ("action", "add", "LSBU-2025-031", "Rehearsed action", "--stage", "rapid_review", "--owner", "icb",
     "--due", "2031-01-01", "--agreed-by", "icb", "--agreed-by", "children_social_care", "--agreed-by", "constabulary"),
    ("demo", "--cases", "3"),
]


@pytest.mark.parametrize("args", WRITES, ids=[" ".join(a[:2]) for a in WRITES])
def test_every_write_in_a_rehearsal_of_a_future_day_is_refused_and_writes_nothing(db, tmp_path, args):
    if args[0] == "demo":
        target = tmp_path / "synthetic.db"
        result = run_cli("--today", FUTURE, "demo", "--cases", "3", "--db", str(target))
        assert result.exit_code == 1 and SAYS in result.output, result.output
        assert not target.exists()
        return
    before = dump(db)
    result = cli(db, FUTURE, *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert SAYS in result.output
    assert dump(db) == before


def test_a_rehearsal_of_a_future_day_reads_everything(db):
    for args in (("case", "show", "LSBU-2026-015"), ("case", "list"), ("deadlines",), ("action", "list"),
                 ("report", "timeliness"), ("report", "overview"), ("audit", "verify")):
        result = cli(db, FUTURE, *args)
        assert result.exit_code == 0, (args, result.output)
    view = json.loads(cli(db, FUTURE, "case", "show", "LSBU-2026-015", "--json").stdout)
    assert view["today"] == FUTURE


def test_the_reported_bug_an_error_never_leaves_an_entry(db):
    """`--today 9999-12-31 case note REF x --on 9999-12-31` printed an error and still saved the entry."""
    before = dump(db)
    result = cli(db, "9999-12-31", "case", "note", "LSBU-2026-015", "x", "--on", "9999-12-31")
    assert result.exit_code == 1 and SAYS in result.output
    assert dump(db) == before
    result = cli(db, PAST, "case", "note", "LSBU-2026-015", "x", "--on", "9999-12-31")
    assert result.exit_code == 1 and "in the future" in result.output
    assert dump(db) == before


def test_the_environment_variable_rehearses_the_same_way(db):
    before = dump(db)
    result = run_cli("--db", str(db), "case", "note", "LSBU-2026-015", "x", env={"CSPR_TODAY": FUTURE})
    assert result.exit_code == 1 and SAYS in result.output
    assert dump(db) == before


def test_a_rehearsal_of_a_past_day_still_writes(db):
    result = cli(db, PAST, "case", "note", "LSBU-2026-015", "Written as on the demo's day")
    assert result.exit_code == 0, result.output
    history = json.loads(cli(db, PAST, "case", "show", "LSBU-2026-015", "--json").stdout)["history"]
    assert (history[-1]["note"], history[-1]["on"]) == ("Written as on the demo's day", PAST)


def test_no_entry_is_stored_dated_after_the_real_date_even_past_the_command_checks(tmp_path, monkeypatch):
    """The guard sits in the one place every entry passes (persist), not only in each command."""
    store = open_store(tmp_path / "x.db", create=True)
    try:
        book = Casebook(store, today=dt.date(2026, 6, 10), actor="tester")
        book.open_case("LSBU-2026-001", resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
        case = book.load("LSBU-2026-001")
        before = dump(tmp_path / "x.db")
        ahead = Record(seq=2, kind=RecordKind.NOTE, on=book.real_today + dt.timedelta(days=1), actor="tester",
                       recorded_at="2026-06-10T00:00:00+00:00", note="from the future")
        with pytest.raises(RehearsalCannotWrite, match="after the real date"), book.transaction():
            book.persist(case, ahead)
        assert dump(tmp_path / "x.db") == before
        monkeypatch.setattr(book_module, "real_today", lambda: dt.date(2026, 6, 5))
        rehearsing = Casebook(store, today=dt.date(2026, 6, 10), actor="tester")
        assert rehearsing.rehearsal
        with pytest.raises(RehearsalCannotWrite, match=SAYS):
            rehearsing.note("LSBU-2026-001", "x", on=dt.date(2026, 6, 2))
        assert dump(tmp_path / "x.db") == before
    finally:
        store.close()


# --- a date fact records what has happened ------------------------------------------------------------


def test_an_awareness_date_in_the_future_is_refused(db):
    before = dump(db)
    result = cli(db, PAST, "case", "fact", "LSBU-2026-015", "aware_on=2026-06-20")
    assert result.exit_code == 1 and "after the day it is recorded" in result.output
    result = cli(db, PAST, "case", "open", "LSBU-2026-301", "--on", "2026-06-01", "--fact", "aware_on=2026-06-05")
    assert result.exit_code == 1 and "given twice" in result.output
    assert dump(db) == before


def test_an_awareness_date_after_entries_already_recorded_is_refused(db):
    """LSBU-2026-015 was opened on 2026-06-01 and has entries from that day on."""
    before = dump(db)
    result = cli(db, PAST, "case", "fact", "LSBU-2026-015", "aware_on=2026-06-04")
    assert result.exit_code == 1 and "the case cannot have begun after what is already recorded" in result.output
    assert "#2 (sign-off by agency_safeguarding_lead on 2026-06-01)" in result.output
    assert dump(db) == before
    assert cli(db, PAST, "case", "fact", "LSBU-2026-015", "aware_on=2026-05-29").exit_code == 0  # earlier is a correction
