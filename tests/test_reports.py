"""Reports: agreed actions, timeliness figures with known answers, exports to spreadsheets and calendars."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3

import pytest

from cspr.engine.casebook.book import Casebook
from cspr.engine.casebook.scenario import Scenario
from cspr.engine.store.interface import open_store

from .conftest import ROOT, run_cli

TODAY = "2026-11-25"
PARTNERS = ["--agreed-by", "icb", "--agreed-by", "children_social_care", "--agreed-by", "constabulary"]


@pytest.fixture(scope="module")
def timeliness_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("timeliness") / "t.db"
    scenario = Scenario.load(ROOT / "tests" / "scenarios" / "timeliness_set.yaml")
    store = open_store(path, create=True)
    book = Casebook(store, today=scenario.today, actor="test")
    assert not [f for o in scenario.run(book) for f in o.failures]
    store.close()
    return path


def cli(db, *args):
    return run_cli("--db", str(db), "--today", TODAY, *args)


def rows_by(data, key="deadline"):
    return {(r["period"], r[key]): r for r in data["rows"]}


def test_timeliness_figures_for_every_deadline(timeliness_db):
    data = json.loads(cli(timeliness_db, "report", "timeliness", "--json").stdout)
    rows = rows_by(data)
    sin = rows[("all", "serious_incident_notification")]
    assert (sin["due"], sin["met_on_time"], sin["met_late"], sin["open"], sin["overdue"]) == (6, 2, 2, 1, 1)
    assert (sin["median_late"], sin["worst_late"], sin["on_time_percent"]) == (3, 4, 50.0)
    rr = rows[("all", "rapid_review")]
    assert (rr["due"], rr["met_on_time"], rr["met_late"], rr["open"], rr["overdue"]) == (4, 1, 1, 0, 2)
    assert (rr["median_late"], rr["worst_late"]) == (1, 1)
    # every deadline of the process is listed, even with nothing due
    assert {d for _, d in rows} == {"serious_incident_notification", "rapid_review", "lcspr_completion",
                                    "final_report_before_publication"}
    assert rows[("all", "lcspr_completion")]["due"] == 0


def test_timeliness_by_quarter_and_within_dates(timeliness_db):
    rows = rows_by(json.loads(cli(timeliness_db, "report", "timeliness", "--by", "quarter", "--json").stdout))
    q1 = rows[("2026-Q1", "serious_incident_notification")]
    assert (q1["due"], q1["met_on_time"], q1["met_late"]) == (3, 2, 1)
    assert rows[("2026-Q2", "serious_incident_notification")]["worst_late"] == 4
    q4 = rows[("2026-Q4", "serious_incident_notification")]
    assert (q4["due"], q4["open"], q4["overdue"]) == (2, 1, 1)
    assert (rows[("2026-Q2", "rapid_review")]["due"], rows[("2026-Q2", "rapid_review")]["overdue"]) == (2, 2)
    within = rows_by(json.loads(cli(timeliness_db, "report", "timeliness", "--from", "2026-04-01", "--to", "2026-06-30",
                                    "--json").stdout))
    assert within[("all", "serious_incident_notification")]["due"] == 1
    assert within[("all", "rapid_review")]["due"] == 2
    months = rows_by(json.loads(cli(timeliness_db, "report", "timeliness", "--by", "month", "--json").stdout))
    assert months[("2026-03", "serious_incident_notification")]["met_late"] == 1
    text = cli(timeliness_db, "report", "timeliness").stdout
    assert "Serious incident notification to the National Panel" in text and "50%" in text
    bad = cli(timeliness_db, "report", "timeliness", "--from", "2026-06-01", "--to", "2026-01-01")
    assert bad.exit_code == 1 and "is before --from" in bad.output


# --- actions ---------------------------------------------------------------------------------------


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    return path


def demo_cli(db, *args):
    return run_cli("--db", str(db), "--today", "2026-06-10", *args)


def test_actions_agreed_tracked_and_closed(demo):
    added = demo_cli(demo, "action", "add", "LSBU-2025-031", "Review the handover protocol", "--stage", "rapid_review",
                     "--owner", "icb", "--due", "2026-03-31", "--on", "2026-02-02", *PARTNERS)
    assert added.exit_code == 0, added.output
    assert "action A1 added" in added.stdout
    assert demo_cli(demo, "action", "add", "LSBU-2025-031", "Train staff", "--stage", "lcspr", "--owner",
                    "constabulary", "--due", "2026-09-30", *PARTNERS).exit_code == 0
    overdue = json.loads(demo_cli(demo, "action", "list", "--overdue", "--json").stdout)
    assert [(a["ref"], a["action"], a["overdue"]) for a in overdue] == [("LSBU-2025-031", "A1", True)]
    assert demo_cli(demo, "action", "done", "LSBU-2025-031", "A1", "--note", "New protocol issued").exit_code == 0
    dropped = demo_cli(demo, "action", "drop", "LSBU-2025-031", "A2", "--reason", "Covered by the national programme")
    assert dropped.exit_code == 0
    every = {a["action"]: a for a in json.loads(demo_cli(demo, "action", "list", "--status", "all", "--json").stdout)}
    assert (every["A1"]["status"], every["A1"]["closed_on"]) == ("done", "2026-06-10")
    assert (every["A2"]["status"], every["A2"]["reason"]) == ("dropped", "Covered by the national programme")
    assert every["A1"]["agreed_by"] == ["children_social_care", "constabulary", "icb"]
    history = json.loads(demo_cli(demo, "case", "show", "LSBU-2025-031", "--json").stdout)["history"]
    assert [h["kind"] for h in history[-4:]] == ["action_added", "action_added", "action_done", "action_dropped"]
    assert json.loads(demo_cli(demo, "audit", "verify", "--json").stdout)["ok"]
    listing = demo_cli(demo, "action", "list", "--status", "all", "--json").stdout
    assert demo_cli(demo, "rebuild").exit_code == 0
    assert demo_cli(demo, "action", "list", "--status", "all", "--json").stdout == listing


@pytest.mark.parametrize("args,words", [
    (["LSBU-2025-031", "x", "--stage", "rapid_review", "--owner", "icb", "--due", "2026-09-30", "--agreed-by", "icb"],
     "missing: Lancashire Children's Social Care (children_social_care), Lancashire Constabulary (constabulary)"),
    (["LSBU-2026-015", "x", "--stage", "rapid_review", "--owner", "icb", "--due", "2026-09-30", *PARTNERS],
     "the case has not reached the stage 'Rapid review'"),
    (["LSBU-2025-031", "x", "--stage", "referral", "--owner", "icb", "--due", "2026-09-30", *PARTNERS],
     "does not agree actions at stage 'referral'"),
    (["LSBU-2025-031", "x", "--stage", "rapid_review", "--owner", "mayor", "--due", "2026-09-30", *PARTNERS],
     "has no role 'mayor'"),
    (["LSBU-2025-031", "x", "--stage", "rapid_review", "--owner", "icb", "--due", "2026-01-01", *PARTNERS],
     "is before the day it was agreed"),
    (["LSBU-2025-031", " ", "--stage", "rapid_review", "--owner", "icb", "--due", "2026-09-30", *PARTNERS],
     "its text is empty"),
])
def test_action_refusals(demo, args, words):
    before = sqlite3.connect(demo).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    result = demo_cli(demo, "action", "add", *args)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and words in result.output, result.output
    assert sqlite3.connect(demo).execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_closing_actions_is_checked(demo):
    assert demo_cli(demo, "action", "add", "LSBU-2025-031", "x", "--stage", "rapid_review", "--owner", "icb",
                    "--due", "2026-09-30", *PARTNERS).exit_code == 0
    assert "has no action 'A9'" in demo_cli(demo, "action", "done", "LSBU-2025-031", "A9").output
    assert "Missing option '--reason'" in demo_cli(demo, "action", "drop", "LSBU-2025-031", "A1").output
    assert demo_cli(demo, "action", "done", "LSBU-2025-031", "A1").exit_code == 0
    again = demo_cli(demo, "action", "done", "LSBU-2025-031", "A1")
    assert again.exit_code == 1 and "it is already done" in again.output


def test_redaction_removes_action_text(demo):
    assert demo_cli(demo, "action", "add", "LSBU-2026-007", "Write to the family's school", "--stage", "rapid_review",
                    "--owner", "icb", "--due", "2026-09-30", *PARTNERS).exit_code == 0
    assert demo_cli(demo, "case", "redact", "LSBU-2026-007", "--reason", "Erasure decision").exit_code == 0
    action = json.loads(demo_cli(demo, "action", "list", "--case", "LSBU-2026-007", "--json").stdout)[0]
    assert action["text"] is None and action["status"] == "open"


# --- exports ----------------------------------------------------------------------------------------


def test_csv_exports_read_back_with_the_csv_module(demo, tmp_path):
    demo_cli(demo, "action", "add", "LSBU-2025-031", "Café, \"quoted\" — and a comma", "--stage", "rapid_review",
             "--owner", "icb", "--due", "2026-09-30", *PARTNERS)
    for what, count in (("cases", 4), ("deadlines", 16), ("actions", 1)):
        out = tmp_path / f"{what}.csv"
        assert demo_cli(demo, "export", what, "--out", str(out)).exit_code == 0
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads it as UTF-8
        assert oct(os.stat(out).st_mode & 0o777) == "0o600"
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert len(rows) == count
        for row in rows:
            for key, value in row.items():
                if key in ("due", "opened_on", "met_on", "start", "added_on") and value:
                    dt.date.fromisoformat(value)
    actions = list(csv.DictReader(io.StringIO((tmp_path / "actions.csv").read_text("utf-8-sig"), newline="")))
    assert actions[0]["text"] == "Café, \"quoted\" — and a comma"
    statuses = {r["ref"] + r["deadline"]: r["status"] for r in csv.DictReader(
        io.StringIO((tmp_path / "deadlines.csv").read_text("utf-8-sig"), newline=""))}
    assert statuses["LSBU-2026-015serious_incident_notification"] == "overdue"
    assert statuses["LSBU-2026-007serious_incident_notification"] == "met_late"


def test_json_export_and_refusing_to_overwrite(demo, tmp_path):
    data = json.loads(demo_cli(demo, "export", "cases", "--format", "json").stdout)
    assert [c["ref"] for c in data] == ["LSBU-2025-031", "LSBU-2026-007", "LSBU-2026-012", "LSBU-2026-015"]
    out = tmp_path / "c.csv"
    out.write_text("keep me")
    result = demo_cli(demo, "export", "cases", "--out", str(out))
    assert result.exit_code == 1 and "already exists" in result.output and out.read_text() == "keep me"


def test_the_calendar_file_parses_with_an_independent_parser(demo, tmp_path):
    import icalendar

    ics = tmp_path / "deadlines.ics"
    result = demo_cli(demo, "deadlines", "--ics", str(ics))
    assert result.exit_code == 0
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 2
    by_summary = {str(e["SUMMARY"]): e for e in events}
    sin = by_summary["LSBU-2026-015: Serious incident notification to the National Panel due"]
    assert sin.decoded("DTSTART") == dt.date(2026, 6, 8) and sin.decoded("DTEND") == dt.date(2026, 6, 9)
    assert "Lancashire County Council" in str(sin["DESCRIPTION"])
    lcspr = by_summary["LSBU-2025-031: LCSPR completed (final report sent) due"]
    assert lcspr.decoded("DTSTART") == dt.date(2026, 7, 15)
    assert all(len(line.encode()) <= 75 for line in ics.read_bytes().decode().split("\r\n"))
    # re-exporting after a change keeps each UID (so calendars update), with a higher SEQUENCE
    first = {str(e["UID"]): int(e["SEQUENCE"]) for e in events}
    assert demo_cli(demo, "case", "signoff", "LSBU-2026-015", "children_social_care").exit_code == 0
    again = tmp_path / "again.ics"
    demo_cli(demo, "deadlines", "--ics", str(again))
    second = {str(e["UID"]): int(e["SEQUENCE"]) for e in icalendar.Calendar.from_ical(again.read_bytes()).walk("VEVENT")}
    assert set(first) == set(second)
    assert sum(second[u] > first[u] for u in first) == 1


def test_overview_text_and_json(demo):
    data = json.loads(demo_cli(demo, "report", "overview", "--json").stdout)
    assert [c["ref"] for c in data["cases"]] == ["LSBU-2025-031", "LSBU-2026-015"]
    waiting = data["cases"][1]["waiting_on"]
    assert "Lancashire County Council" in waiting and "Lancashire Constabulary" in waiting
    assert "LSBU-2026-015: Case consideration meeting with the three partners [1 overdue]" in demo_cli(demo, "report", "overview").stdout
