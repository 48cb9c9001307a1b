"""Language 2 where a user meets it: the third process (a domestic homicide review) through the real CLI.

Parties and links, tasks per party (add, done, waive, list), an extension agreed by a named body with the
statutory date kept beside it, a pause, a step that changes no state, a conditional sign-off, a rolled
calendar-month deadline whose lateness says its unit, and a date fact the history contradicts, refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

PROCESSES = ROOT / "tests" / "fixtures" / "processes"


@pytest.fixture
def dhr(tmp_path, monkeypatch):
    """`cspr --db … --today …` with the test processes on the search path."""
    monkeypatch.setenv("CSPR_PROCESSES", str(PROCESSES))
    db = str(tmp_path / "cases.db")

    def run(today: str, *args: str, ok: bool = True):
        result = run_cli("--db", db, "--today", today, *args)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def open_decided(run) -> None:
    """A case opened under the DHR process (picked by its reference pattern) and decided on 2025-05-08."""
    run("2025-05-08", "case", "open", "DHR-2025-01", "--on", "2025-04-05", "--fact", "died_on=2025-04-02",
        "--fact", "criminal_proceedings=true", "--party", "csp_chair=Northtown CSP", "--party", "police=Northshire Police",
        "--fact", "born_on=1990-06-01", "--fact", "relationship=intimate_partner", "--fact", "agencies_involved=2")
    run("2025-05-08", "case", "signoff", "DHR-2025-01", "csp_chair")
    refused = run("2025-05-08", "case", "record", "DHR-2025-01", "review_decided", ok=False)
    assert refused.exit_code == 1
    assert "needs sign-off from Northshire Police (cspr case signoff DHR-2025-01 police)" in refused.output
    run("2025-05-08", "case", "signoff", "DHR-2025-01", "police")
    run("2025-05-08", "case", "record", "DHR-2025-01", "review_decided")


def test_case_open_picks_the_process_whose_pattern_matches_and_shows_parties_and_links(dhr):
    open_decided(dhr)
    dhr("2025-05-08", "case", "open", "DHR-2025-02", "--on", "2025-04-20", "--fact", "died_on=2025-04-19",
        "--party", "csp_chair=Northtown CSP", "--linked", "DHR-2025-01")
    text = dhr("2025-05-08", "case", "show", "DHR-2025-02").output
    assert "process  dhr_dvcva_s9 0.1" in text
    parties = text.split("\nParties\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split() for line in parties] == [
        ["ROLE", "PARTY"],
        ["Chair", "of", "the", "Community", "Safety", "Partnership", "Northtown", "CSP"],
        ["Home", "Office", "Home", "Office"],  # the process's default organisation
    ]
    assert "  linked   DHR-2025-01" in text
    view = json.loads(dhr("2025-05-08", "case", "show", "DHR-2025-02", "--json").output)
    assert view["parties"] == {"csp_chair": ["Northtown CSP"], "home_office": ["Home Office"]}
    assert view["linked"] == ["DHR-2025-01"]
    unknown = dhr("2025-05-08", "case", "open", "DHR-2025-03", "--on", "2025-04-20", "--fact", "died_on=2025-04-19",
                  "--party", "csp_chair=Northtown CSP", "--linked", "DHR-2099-01", ok=False)
    assert unknown.exit_code == 1 and unknown.output.startswith("Error: ")


def test_a_rolled_month_deadline_states_its_lateness_unit(dhr):
    open_decided(dhr)
    view = json.loads(dhr("2025-05-08", "case", "show", "DHR-2025-01", "--json").output)
    decision = next(d for d in view["deadlines"] if d["deadline"] == "decision")
    # Sat 2025-04-05 + 1 month = Mon 5 May 2025, a bank holiday: rolled to the next working day
    assert decision["due"] == "2025-05-06"
    assert decision["status"] == "met_late"
    text = dhr("2025-05-08", "case", "show", "DHR-2025-01").output
    assert "met 2025-05-08, 2 calendar days late" in text


def test_a_contradicting_date_fact_is_refused_and_changes_nothing(dhr):
    open_decided(dhr)
    before = dhr("2025-05-09", "case", "show", "DHR-2025-01", "--json").output
    refused = dhr("2025-05-09", "case", "fact", "DHR-2025-01", "--fact", "died_on=2025-04-06", ok=False)
    assert refused.exit_code == 1
    assert "The death came before the notification" in refused.output
    assert dhr("2025-05-09", "case", "show", "DHR-2025-01", "--json").output == before


def test_tasks_per_party_add_done_waive_and_list(dhr):
    open_decided(dhr)
    for agency in ("Northtown Council", "Northshire Police", "Northtown Health Trust"):
        dhr("2025-05-09", "case", "party", "DHR-2025-01", f"agency={agency}")
    added = dhr("2025-05-09", "task", "add", "DHR-2025-01", "agency_report", "--party", "Northtown Council")
    assert "task T1 added: Agency report from Northtown Council, due 2025-06-20" in added.output
    dhr("2025-05-09", "task", "add", "DHR-2025-01", "agency_report", "--party", "Northshire Police")
    dhr("2025-05-09", "task", "add", "DHR-2025-01", "agency_report", "--party", "Northtown Health Trust",
        "--due", "2025-07-31")
    twice = dhr("2025-05-09", "task", "add", "DHR-2025-01", "agency_report", "--party", "Northtown Council", ok=False)
    assert twice.exit_code == 1 and twice.output.startswith("Error: ")
    dhr("2025-06-18", "task", "done", "DHR-2025-01", "T1")
    overdue = json.loads(dhr("2025-06-25", "task", "list", "--overdue", "--json").output)
    assert [t["party"] for t in overdue] == ["Northshire Police"]
    waived = dhr("2025-06-25", "task", "waive", "DHR-2025-01", "T3", "--reason", "No record of either person")
    assert waived.exit_code == 0
    every = json.loads(dhr("2025-06-25", "task", "list", "--status", "all", "--json").output)
    assert {t["task"]: t["status"] for t in every} == {"T1": "done", "T2": "overdue", "T3": "waived"}
    # an open task is a deadline: in 'deadlines', its iCalendar file and the case's criteria
    rows = json.loads(dhr("2025-06-25", "deadlines", "--json").output)
    assert any("Northshire Police" in json.dumps(row) for row in rows)
    view = json.loads(dhr("2025-06-25", "case", "show", "DHR-2025-01", "--json").output)
    assert view["criteria"]["reports_in"]["holds"] is False
    dhr("2025-06-26", "task", "done", "DHR-2025-01", "T2")
    view = json.loads(dhr("2025-06-26", "case", "show", "DHR-2025-01", "--json").output)
    assert view["criteria"]["reports_in"]["holds"] is True


def test_tasks_reach_the_ics_file_and_the_export(dhr, tmp_path):
    open_decided(dhr)
    dhr("2025-05-09", "case", "party", "DHR-2025-01", "agency=Northtown Council")
    dhr("2025-05-09", "task", "add", "DHR-2025-01", "agency_report", "--party", "Northtown Council")
    ics = tmp_path / "due.ics"
    dhr("2025-05-09", "deadlines", "--ics", str(ics))
    text = ics.read_text()
    assert "Northtown Council" in text and "DTSTART;VALUE=DATE:20250620" in text
    exported = dhr("2025-05-09", "export", "deadlines", "--format", "json").output
    assert "Northtown Council" in exported


def test_a_pause_and_an_extension_keep_the_statutory_date_visible(dhr, tmp_path):
    open_decided(dhr)
    dhr("2025-06-02", "case", "record", "DHR-2025-01", "proceedings_started")
    paused = json.loads(dhr("2025-06-10", "case", "show", "DHR-2025-01", "--json").output)
    overview = next(d for d in paused["deadlines"] if d["deadline"] == "overview_report")
    assert overview["status"] == "paused"
    dhr("2025-07-02", "case", "record", "DHR-2025-01", "proceedings_concluded", "--fact", "criminal_proceedings=false")
    wrong = dhr("2025-11-20", "case", "extend", "DHR-2025-01", "overview_report", "--to", "2026-01-30",
                "--by", "csp_chair", "--reason", "Chair ill", ok=False)
    assert wrong.exit_code == 1 and "Home Office" in wrong.output
    dhr("2025-11-20", "case", "extend", "DHR-2025-01", "overview_report", "--to", "2026-01-30",
        "--by", "home_office", "--reason", "HO letter 2025/117")
    view = json.loads(dhr("2025-11-20", "case", "show", "DHR-2025-01", "--json").output)
    overview = next(d for d in view["deadlines"] if d["deadline"] == "overview_report")
    # Sat 2025-11-08 + the 30 days paused = Mon 2025-12-08; the agreed date is later still
    assert (overview["due"], overview["statutory_due"]) == ("2026-01-30", "2025-12-08")
    deadlines = dhr("2025-11-20", "deadlines").output
    assert "2026-01-30" in deadlines and "2025-12-08" in deadlines
    history = dhr("2025-11-20", "case", "show", "DHR-2025-01").output
    assert "HO letter 2025/117" in history
    html = tmp_path / "case.html"
    dhr("2025-11-20", "case", "report", "DHR-2025-01", "--html", str(html))
    assert "extended by Home Office from the statutory date 2025-12-08" in html.read_text()
    for agency in ("Northtown Council",):
        dhr("2025-11-20", "case", "party", "DHR-2025-01", f"agency={agency}")
        dhr("2025-11-20", "task", "add", "DHR-2025-01", "agency_report", "--party", agency)
        dhr("2025-11-21", "task", "done", "DHR-2025-01", "T1")
    dhr("2026-01-20", "case", "signoff", "DHR-2025-01", "csp_chair")
    dhr("2026-01-20", "case", "record", "DHR-2025-01", "report_submitted")
    text = dhr("2026-01-20", "case", "show", "DHR-2025-01").output
    # Mon 2025-12-08 to Tue 2026-01-20, skipping Christmas Day, Boxing Day and New Year's Day: 28 working days
    line = next(line for line in text.splitlines() if "Overview report sent to the Home Office  " in line)
    assert "met 2026-01-20 within the extension agreed by Home Office, 28 working days after the statutory date" in line, line
    report = json.loads(dhr("2026-01-20", "report", "timeliness", "--json").output)
    row = next(r for r in report["rows"] if r["deadline"] == "overview_report")
    assert (row["met_on_time"], row["met_within_extension"], row["extended"], row["met_by_statutory_date"]) == (0, 1, 1, 0)
    assert (row["on_time_percent"], row["statutory_on_time_percent"]) == (100.0, 0.0)
    text = dhr("2026-01-20", "report", "timeliness").output
    assert "WITHIN EXTENSION" in text and "BY STATUTORY DATE %" in text
    # the timeline keeps the statutory date beside the agreed one, and marks the deadline met
    met = tmp_path / "met.html"
    dhr("2026-01-20", "case", "report", "DHR-2025-01", "--html", str(met))
    svg = met.read_text()
    lane = svg.split("<title>Overview report sent to the Home Office: ", 1)[1].split("</g>\n", 1)[0]
    assert "due 30 Jan 2026 (extended by Home Office from the statutory date 8 Dec 2025), met 20 Jan 2026" in lane
    assert 'class="cspr-statutory"' in svg.split("<title>Overview report sent to the Home Office: ", 1)[1].split(
        '<g class="cspr-deadline"', 1)[0]
    assert "Extended (statutory date to the agreed one)" in svg


def test_a_step_that_changes_no_state_is_recorded_where_the_case_is(dhr):
    open_decided(dhr)
    done = dhr("2025-05-12", "case", "record", "DHR-2025-01", "family_contacted")
    assert "now at 'Review under way'" in done.output
    view = json.loads(dhr("2025-05-12", "case", "show", "DHR-2025-01", "--json").output)
    assert view["state"] == "under_review"
    assert view["history"][-1]["name"] == "family_contacted"


def test_adding_the_third_process_to_the_search_path_breaks_no_shipped_test(tmp_path):
    """The shipped scenarios and the check command's tests, run with the test processes on CSPR_PROCESSES.

    On SQLite only: what the search path changes is which process a case opens under, not the store; and
    not the final-states sweep, which names its process and version."""
    env = {**os.environ, "CSPR_PROCESSES": str(PROCESSES)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           "tests/test_check.py", "tests/test_scenarios.py",
                           "-k", "not search_path and not postgresql and not every_final_state"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout


def test_the_third_process_validates_and_reads_unverified(tmp_path):
    result = run_cli("validate", str(PROCESSES / "dhr.yaml"))
    assert result.exit_code == 0, result.output
    text = Path(PROCESSES / "dhr.yaml").read_text()
    assert "verified: true" not in text


def test_timeliness_counts_lateness_in_the_unit_the_deadline_says(dhr):
    open_decided(dhr)
    report = json.loads(dhr("2025-05-08", "report", "timeliness", "--json").output)
    row = next(r for r in report["rows"] if r["deadline"] == "decision")
    # notified Sat 5 April 2025; one month is Mon 5 May (a bank holiday), rolled to Tue 6 May; decided 8 May
    assert (row["late_in"], row["met_late"], row["median_late"], row["worst_late"]) == ("calendar_days", 1, 2, 2)
    text = dhr("2025-05-08", "report", "timeliness").output
    assert "late counted in working days, or calendar days where a row says so" in text
    line = next(line for line in text.splitlines() if line.startswith("all") and "Decision whether to hold" in line)
    assert "2 calendar days" in line


def test_a_clock_from_the_earliest_or_the_latest_of_several_dates(tmp_path):
    """every_key_v2: 'ask_in_time' runs from the earliest of the opening date and the first 'stopped';
    'latest_of_two' from the latest of the opening date and 'reports_asked' (not started until both are known)."""
    db = str(tmp_path / "ek.db")

    def run(*args: str) -> dict:
        result = run_cli("--db", db, "--today", "2024-03-20", *args)
        assert result.exit_code == 0, result.output
        return json.loads(run_cli("--db", db, "--today", "2024-03-20", "case", "show", "EK-1", "--json").output)

    def clocks(view: dict) -> dict:
        return {d["deadline"]: (d["start"], d["due"], d["status"]) for d in view["deadlines"]}

    view = run("case", "open", "EK-1", "--on", "2024-03-01", "--process", str(ROOT / "tests" / "fixtures" / "every_key_v2.yaml"),
               "--fact", "kind=big", "--party", "council=North Council")
    # 1 April 2024 is Easter Monday: one month from 1 March rolls to Tuesday 2 April
    assert clocks(view)["ask_in_time"] == ("2024-03-01", "2024-04-02", "upcoming")
    assert clocks(view)["latest_of_two"] == (None, None, "not_started")
    view = run("case", "record", "EK-1", "stopped", "--on", "2024-03-05")
    assert clocks(view)["ask_in_time"][0] == "2024-03-01"  # the earliest: a later 'stopped' does not move it
    view = run("case", "record", "EK-1", "reports_asked", "--on", "2024-03-15")
    assert clocks(view)["latest_of_two"] == ("2024-03-15", "2024-03-25", "upcoming")  # 10 calendar days from the later
