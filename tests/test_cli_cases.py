"""The LSBU's commands through the real CLI (click's CliRunner), on a real SQLite file and on a real
PostgreSQL server (the `database` fixture runs each test on both; file-only tests say so)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest

from .conftest import dump, run_cli

TODAY = "2026-06-10"
REF = "LSBU-2026-101"
PARTNERS = ("icb", "children_social_care", "constabulary")




SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def db(database):
    return database


@pytest.fixture
def cspr(db):
    def call(*args: str):
        return run_cli("--db", db.spec, "--today", TODAY, *args)
    return call


@pytest.fixture
def opened(cspr):
    result = cspr("case", "open", REF, "--on", "2026-06-01", "--fact", "harm=seriously_harmed",
                  "--fact", "abuse_or_neglect=known")
    assert result.exit_code == 0, result.output
    return result


def at_case_consideration(cspr):
    assert cspr("case", "signoff", REF, "agency_safeguarding_lead", "--on", "2026-06-01").exit_code == 0
    assert cspr("case", "record", REF, "referral_submitted", "--on", "2026-06-02",
                "--fact", "referring_agency=Secondary school").exit_code == 0
    assert cspr("case", "record", REF, "case_consideration_arranged", "--on", "2026-06-03").exit_code == 0


def test_open_shows_the_notification_deadline_at_once(cspr, opened):
    assert opened.stdout.startswith(f"{REF}: opened under cspr_pan_lancashire 2025.2 on 2026-06-01 (Date the local authority became aware of the incident)")
    view = json.loads(cspr("case", "show", REF, "--json").stdout)
    assert view["state"] == "referral" and view["stage"] == "referral"
    sin = next(d for d in view["deadlines"] if d["deadline"] == "serious_incident_notification")
    assert (sin["due"], sin["status"], sin["working_days_left"]) == ("2026-06-08", "overdue", -2)


@SQLITE_ONLY
def test_the_database_is_readable_by_its_owner_only(db, opened):
    assert stat.S_IMODE(os.stat(db.path).st_mode) == 0o600


def test_a_refused_event_names_everything_missing_and_changes_nothing(cspr, db, opened):
    before = db.dump()
    result = cspr("case", "record", REF, "referral_submitted", "--on", "2026-06-02")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith(f"Error: {REF}: cannot record 'referral_submitted': ")
    assert "record 'Referring agency (organisation, not a person)' (--fact referring_agency=TEXT)" in result.output
    assert f"needs sign-off from Agency safeguarding lead (cspr case signoff {REF} agency_safeguarding_lead)" in result.output
    assert db.dump() == before


def test_the_whole_route_to_notification_on_the_command_line(cspr, db, opened):
    at_case_consideration(cspr)
    blocked = json.loads(cspr("case", "show", REF, "--json").stdout)["next_steps"]
    criteria_met = next(s for s in blocked if s["event"] == "criteria_met")
    assert not criteria_met["ready"] and [b["kind"] for b in criteria_met["blockers"]] == ["criterion"] + ["signoff"] * 3
    assert "(cspr case fact LSBU-2026-101 care_leaver=yes|no)" in criteria_met["blockers"][0]["message"]
    assert cspr("case", "fact", REF, "care_leaver=no", "incident_place=in_area", "--on", "2026-06-04").exit_code == 0
    for role in PARTNERS:
        assert cspr("case", "signoff", REF, role, "--on", "2026-06-04").exit_code == 0
    assert cspr("case", "record", REF, "criteria_met", "--on", "2026-06-04").exit_code == 0
    result = cspr("case", "record", REF, "notification_sent", "--on", "2026-06-05", "--fact", "children_count=1",
                  "--note", "Sent through the Panel's online form")
    assert result.exit_code == 0, result.output
    assert "now at 'Notified; rapid review to be arranged'" in result.stdout
    view = json.loads(cspr("case", "show", REF, "--json").stdout)
    deadlines = {d["deadline"]: d for d in view["deadlines"]}
    assert deadlines["serious_incident_notification"]["status"] == "met"
    # 15 working days from Fri 5 June 2026: 8-12 (5), 15-19 (10), 22-26 (15) -> 26 June
    assert (deadlines["rapid_review"]["due"], deadlines["rapid_review"]["status"]) == ("2026-06-26", "upcoming")
    assert view["history"][-1]["note"] == "Sent through the Panel's online form"
    text = cspr("case", "show", REF).stdout
    assert "Rapid review sent to the National Panel" in text and "History" in text


def test_who_records_an_event_is_checked(cspr, db, opened):
    at_case_consideration(cspr)
    before = db.dump()
    result = cspr("case", "record", REF, "case_closed", "--by", "reviewer", "--fact", "closure_reason=withdrawn")
    assert result.exit_code == 1
    assert "Independent reviewer may not record 'Case closed (referral withdrawn or a duplicate)'" in result.output
    assert db.dump() == before


@pytest.mark.parametrize("args,status,words", [
    (["case", "record", REF, "notification_sent"], 1, "the case is at 'Referral being discussed"),
    (["case", "record", REF, "notification_snet"], 1, "has no event 'notification_snet'; did you mean 'notification_sent'?"),
    (["case", "record", REF, "case_closed", "--fact", "closure_reason=maybe"], 1, "fact 'closure_reason' is one of: withdrawn, duplicate; not 'maybe'"),
    (["case", "record", REF, "case_closed", "--fact", "closure_reason"], 1, "write NAME=VALUE"),
    (["case", "record", REF, "case_closed", "--fact", "child_name=Alice"], 1, "has no fact 'child_name'"),
    (["case", "record", REF, "case_closed", "--on", "2026-06-11", "--fact", "closure_reason=withdrawn"], 1, "is in the future"),
    (["case", "record", REF, "case_closed", "--on", "2026-05-31", "--fact", "closure_reason=withdrawn"], 1, "before the case was opened"),
    (["case", "record", REF, "case_closed", "--on", "2026-13-01"], 2, "is not a real date"),
    (["case", "record", REF, "case_closed", "--by", "mayor"], 1, "has no role 'mayor'"),
    (["case", "record", "LSBU-2026-999", "case_closed"], 1, "no case 'LSBU-2026-999'"),
    (["case", "signoff", REF, "icb"], 1, "no step from 'Referral being discussed with the agency's safeguarding lead' needs"),
    (["case", "note", REF, "  "], 1, "the note is empty"),
    (["case", "fact", REF], 1, "give at least one fact"),
    (["case", "fact", REF, "aware_on="], 1, "cannot be cleared"),
    (["case", "fact", REF, "children_count=0"], 1, "must be at least 1"),
    (["case", "open", REF, "--on", "2026-06-01"], 1, "already exists"),
    (["case", "open", "LSBU-26-1", "--on", "2026-06-01"], 1, "does not look like"),
    (["case", "open", "LSBU-2026-102", "--on", "2026-06-11"], 1, "is in the future"),
    (["case", "open", "LSBU-2026-102"], 2, "give the opening date with --on DATE"),
    (["deadlines", "--within", "-1"], 1, "0 or more"),
])
def test_refusals_are_one_line_and_change_nothing(cspr, db, opened, args, status, words):
    before = db.dump()
    result = cspr(*args)
    assert result.exit_code == status, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert words in result.output
    assert db.dump() == before


def test_dates_must_follow_the_previous_step(cspr, db, opened):
    at_case_consideration(cspr)
    before = db.dump()
    result = cspr("case", "signoff", REF, "icb", "--on", "2026-06-02")
    assert result.exit_code == 1 and "before the previous entry (#4 case_consideration_arranged on 2026-06-03)" in result.output
    assert db.dump() == before
    # notes and fact corrections too: the history is in date order
    for args in (["case", "note", REF, "Called the school", "--on", "2026-06-02"],
                 ["case", "fact", REF, "looked_after=no", "--on", "2026-06-01"]):
        result = cspr(*args)
        assert result.exit_code == 1 and "before the previous entry" in result.output
    assert db.dump() == before
    assert cspr("case", "fact", REF, "sudi=no", "--on", "2026-06-05").exit_code == 0
    result = cspr("case", "signoff", REF, "icb", "--on", "2026-06-04")
    assert "(#5 facts on 2026-06-05)" in result.output


def test_signoffs_count_until_the_case_moves_on(cspr, opened):
    at_case_consideration(cspr)
    assert cspr("case", "signoff", REF, "icb", "--on", "2026-06-04").exit_code == 0
    again = cspr("case", "signoff", REF, "icb", "--on", "2026-06-04")
    assert again.exit_code == 1 and "already signed off on 2026-06-04" in again.output
    view = json.loads(cspr("case", "show", REF, "--json").stdout)
    assert view["signoffs"] == {"icb": "2026-06-04"}


def test_facts_from_a_file_and_corrections(cspr, opened, tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("sudi: no\nsuicide: no\nagencies_involved: [health, police]\nlooked_after: false\n")
    assert cspr("case", "fact", REF, "--facts", str(facts), "--fact", "suicide=yes").exit_code == 0
    view = json.loads(cspr("case", "show", REF, "--json").stdout)
    assert view["facts"]["sudi"] is False and view["facts"]["suicide"] is True
    assert view["facts"]["agencies_involved"] == ["health", "police"]
    assert cspr("case", "fact", REF, "suicide=").exit_code == 0
    assert "suicide" not in json.loads(cspr("case", "show", REF, "--json").stdout)["facts"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not a mapping\n")
    result = cspr("case", "fact", REF, "--facts", str(bad))
    assert result.exit_code == 1 and "a facts file must be a mapping of NAME: VALUE lines" in result.output


def test_list_and_deadlines_with_filters(cspr, opened):
    assert cspr("case", "open", "LSBU-2026-102", "--on", "2026-06-09").exit_code == 0
    rows = json.loads(cspr("case", "list", "--json").stdout)
    assert [r["ref"] for r in rows] == [REF, "LSBU-2026-102"]
    assert [r["ref"] for r in json.loads(cspr("case", "list", "--overdue", "--json").stdout)] == [REF]
    assert json.loads(cspr("case", "list", "--state", "referral_received", "--json").stdout) == []
    assert len(json.loads(cspr("case", "list", "--stage", "referral", "--json").stdout)) == 2
    open_deadlines = json.loads(cspr("deadlines", "--json").stdout)
    # LSBU-2026-102 has no facts yet: whether it is a care leaver's death is not known, so that deadline stays open
    assert [(d["ref"], d["deadline"], d["due"], d["status"]) for d in open_deadlines] == [
        (REF, "serious_incident_notification", "2026-06-08", "overdue"),
        ("LSBU-2026-102", "care_leaver_death_notification", "2026-06-16", "upcoming"),
        ("LSBU-2026-102", "serious_incident_notification", "2026-06-16", "upcoming")]
    # the listing says what the case page says: it applies only if the criterion turns out to hold
    listed = {(d["ref"], d["deadline"]): d for d in open_deadlines}
    unknown = listed["LSBU-2026-102", "care_leaver_death_notification"]
    assert unknown["condition"] == "applies if 'Death of a care leaver aged 24 or under' holds, not known yet"
    assert unknown["detail"] == f"4 working days left ({unknown['condition']})"
    assert "4 working days left (applies if 'Death of a care leaver aged 24 or under' holds, not known yet)" \
        in cspr("deadlines").stdout
    assert [d["ref"] for d in json.loads(cspr("deadlines", "--overdue", "--json").stdout)] == [REF]
    # 16 June is 4 working days after 10 June
    assert len(json.loads(cspr("deadlines", "--within", "3", "--json").stdout)) == 1
    assert len(json.loads(cspr("deadlines", "--within", "4", "--json").stdout)) == 3
    shown = {d["deadline"]: d for d in json.loads(cspr("case", "show", "LSBU-2026-102", "--json").stdout)["deadlines"]}
    assert shown["care_leaver_death_notification"]["detail"] == (
        "4 working days left (applies if 'Death of a care leaver aged 24 or under' holds, not known yet)")
    assert cspr("case", "fact", "LSBU-2026-102", "care_leaver=no").exit_code == 0
    shown = {d["deadline"]: d for d in json.loads(cspr("case", "show", "LSBU-2026-102", "--json").stdout)["deadlines"]}
    assert shown["care_leaver_death_notification"]["status"] == "not_applicable"
    text = cspr("case", "list").stdout
    assert "2 cases (today 2026-06-10)" in text
    assert "2 working days overdue" in cspr("deadlines").stdout


def test_rebuild_gives_the_same_projection(cspr, db, opened):
    at_case_consideration(cspr)
    listing = cspr("case", "list", "--json").stdout
    db.execute("DELETE FROM case_view", "UPDATE deadline_view SET due = '1999-01-01'")
    assert cspr("case", "list", "--json").stdout != listing
    result = cspr("rebuild")
    assert result.exit_code == 0 and "1 case" in result.stdout
    assert cspr("case", "list", "--json").stdout == listing


def test_the_event_history_refuses_updates_and_deletes(db, opened):
    """Even to the file's owner, or PostgreSQL's superuser: the triggers refuse."""
    for statement in ("UPDATE events SET on_date = '2020-01-01'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"):
            db.execute(statement)


def test_database_is_chosen_by_option_env_or_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("--today", TODAY, "case", "open", REF, "--on", "2026-06-01").exit_code == 0
    assert (tmp_path / "cspr.db").exists()
    env_db = tmp_path / "env.db"
    result = run_cli("--today", TODAY, "case", "open", REF, "--on", "2026-06-01", env={"CSPR_DB": str(env_db)})
    assert result.exit_code == 0 and env_db.exists()
    sub = tmp_path / "sub.db"
    assert run_cli("--today", TODAY, "case", "open", REF, "--on", "2026-06-01", "--db", str(sub)).exit_code == 0
    assert sub.exists()


@pytest.mark.parametrize("setup,words", [
    ("missing", "no database at"),
    ("folder", "is a folder"),
    ("not_sqlite", "is not a cspr database"),
    ("other_sqlite", "not a cspr one"),
    ("newer", "was written by a newer cspr"),
])
def test_unusable_databases_are_refused_clearly(tmp_path, setup, words):
    path = tmp_path / "x.db"
    if setup == "folder":
        path.mkdir()
    elif setup == "not_sqlite":
        path.write_bytes(b"this is not a database at all" * 100)
    elif setup == "other_sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
    elif setup == "newer":
        assert run_cli("--db", str(path), "--today", TODAY, "case", "open", REF, "--on", "2026-06-01").exit_code == 0
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO _migrations VALUES (99, 'from the future', '2030-01-01')")
        conn.commit()
        conn.close()
    result = run_cli("--db", str(path), "--today", TODAY, "case", "list")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert words in result.output


def test_a_missing_folder_is_refused(tmp_path):
    result = run_cli("--db", str(tmp_path / "no" / "such.db"), "--today", TODAY, "case", "open", REF, "--on", "2026-06-01")
    assert result.exit_code == 1 and "does not exist" in result.output


def _nobody() -> tuple[int, int]:
    import pwd

    try:
        user = pwd.getpwnam("nobody")
        return user.pw_uid, user.pw_gid
    except KeyError:
        return 65534, 65534


def _unprivileged(function):
    """Run ``function()`` in a forked child that has given up root for the user 'nobody'; return what it returns.

    Root may write any file, so a read-only check run as root proves nothing (and CI runs as root). The child
    inherits the modules already imported, so it needs no access to the code, only to the files it is given.
    """
    uid, gid = _nobody()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root for good, run, report, and leave without pytest's clean-up
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            payload = json.dumps({"value": function()})
        except BaseException as exc:
            payload = json.dumps({"error": repr(exc)})
        with os.fdopen(write, "w") as out:
            out.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as source:
        answer = json.loads(source.read() or '{"error": "the child died"}')
    os.waitpid(pid, 0)
    assert "error" not in answer, answer.get("error")
    return answer["value"]


@SQLITE_ONLY
def test_a_read_only_database_is_refused_and_unchanged(tmp_path, opened, db, cspr):
    """As an ordinary user, a database file without write permission; as root (CI), the same in a child
    process that has given up root, since root may write any file."""
    if os.geteuid() != 0:
        before = db.dump()
        os.chmod(db.path, 0o400)
        result = cspr("case", "note", REF, "hello")
        assert result.exit_code == 1 and "read-only" in result.output, result.output
        assert db.dump() == before
        return
    import shutil
    import tempfile

    assert cspr("case", "note", REF, "warm-up", "--on", "2026-06-01").exit_code == 0  # every module imported first
    folder = tempfile.mkdtemp(prefix="cspr-readonly-")  # outside root's private pytest folder
    try:
        copy = os.path.join(folder, "cases.db")
        shutil.copy(db.path, copy)
        before = dump(copy)
        os.chown(folder, *_nobody())  # the folder is nobody's own, as a user's folder is theirs
        os.chown(copy, *_nobody())
        os.chmod(copy, 0o400)  # its owner may read it, not write it

        def attempt():
            result = run_cli("--db", copy, "--today", TODAY, "case", "note", REF, "hello")
            return result.exit_code, result.output

        code, output = _unprivileged(attempt)
        assert code == 1 and "read-only" in output, output
        assert dump(copy) == before
    finally:
        shutil.rmtree(folder)


def test_read_only_errors_are_explained():
    from cspr.engine.store.sqlite import _explain

    message = str(_explain(__import__("pathlib").Path("x.db"), sqlite3.OperationalError("attempt to write a readonly database")))
    assert message == "x.db is read-only; nothing was changed (check the file's permissions)"


def test_demo_runs_on_a_new_file_and_refuses_an_existing_one(tmp_path):
    path = tmp_path / "demo.db"
    result = run_cli("demo", "--db", str(path))
    assert result.exit_code == 0, result.output
    for words in ("REFUSED criteria_met", "met 2026-04-13, 1 working day late", "2 working days overdue",
                  "$ cspr deadlines --within 10", "LSBU-2026-015"):
        assert words in result.stdout, words
    again = run_cli("demo", "--db", str(path))
    assert again.exit_code == 1 and "already exists" in again.output


def test_every_data_command_has_json(cspr, opened):
    for args in (["case", "show", REF], ["case", "list"], ["deadlines"], ["rebuild"],
                 ["case", "note", REF, "x"], ["case", "fact", REF, "sudi=no"]):
        result = cspr(*args, "--json")
        assert result.exit_code == 0, (args, result.output)
        json.loads(result.stdout)
