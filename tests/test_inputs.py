"""Inputs that cannot hurt: bounded regular files, databases that are ours, a process version that is its
content, references matched in full, files created owner-only through symbolic links, a rebuild that carries on,
a migration that checks what the new state needs, and a holiday cache that cannot move due dates."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import threading

import pytest

from .conftest import FIXTURES, ROOT, dump, run_cli

TODAY = "2026-06-10"


@pytest.fixture
def db(demo_db):
    return demo_db


def cli(db, *args, env=None):
    return run_cli("--db", str(db), "--today", TODAY, *args, env=env)


# --- bounded, regular files ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("validate", "/dev/zero"), ("process", "show", "/dev/zero"), ("graph", "/dev/zero"),
    ("case", "open", "LSBU-2026-201", "--on", "2026-06-01", "--process", "/dev/zero"),
    ("case", "open", "LSBU-2026-201", "--on", "2026-06-01", "--facts", "/dev/zero"),
    ("case", "fact", "LSBU-2026-015", "--facts", "/dev/zero"),
    ("calendar", "add", "2026-06-01", "5", "--process", "/dev/zero"),
], ids=lambda a: " ".join(a[:2]) + (" --facts" if "--facts" in a else " --process" if "--process" in a else ""))
def test_a_device_is_refused_at_once_not_read_forever(db, args):
    before = dump(db)
    result = cli(db, *args)
    assert result.exit_code == 1, result.output
    assert "is a device" in result.output and "regular file" in result.output
    assert dump(db) == before


def test_a_pipe_is_refused_at_once_without_waiting_for_a_writer(db, tmp_path):
    fifo = tmp_path / "facts.fifo"
    os.mkfifo(fifo)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault(
        "result", cli(db, "case", "fact", "LSBU-2026-015", "--facts", str(fifo))), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "reading a pipe hung"
    assert outcome["result"].exit_code == 1 and "is a pipe" in outcome["result"].output


def test_read_bounded_refuses_a_file_over_its_limit_and_a_folder(tmp_path):
    from cspr.engine.files import FileProblem, read_bounded

    path = tmp_path / "f"
    path.write_bytes(b"x" * 11)
    assert read_bounded(path, 11) == b"x" * 11
    with pytest.raises(FileProblem, match="at most 10 bytes"):
        read_bounded(path, 10)
    with pytest.raises(FileProblem, match="is a folder"):
        read_bounded(tmp_path, 10)


# --- databases: ours, readable, created owner-only -------------------------------------------------


def test_a_database_created_through_a_symbolic_link_is_owner_only(tmp_path):
    target = tmp_path / "real" / "cases.db"
    target.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(target)
    old = os.umask(0o022)
    try:
        result = run_cli("--db", str(link), "--today", TODAY, "case", "open", "LSBU-2026-001", "--on", "2026-06-01")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.is_file()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for companion in target.parent.glob("cases.db-*"):
        assert stat.S_IMODE(companion.stat().st_mode) == 0o600, companion


def _as_nobody(function):
    """Run ``function`` without root's power to read any file (CI runs as root)."""
    if os.geteuid() != 0:
        return function()
    from .test_cli_cases import _unprivileged

    return _unprivileged(function)


def test_an_unreadable_database_is_reported_as_such_not_as_a_folder_problem(db, tmp_path):
    import tempfile

    folder = tempfile.mkdtemp(prefix="cspr-unreadable-")
    os.chmod(folder, 0o777)
    path = os.path.join(folder, "cases.db")
    with open(db, "rb") as source, open(path, "wb") as copy:
        copy.write(source.read())
    os.chmod(path, 0o000)

    def attempt():
        result = run_cli("--db", path, "--today", TODAY, "case", "list")
        return [result.exit_code, result.output]

    code, output = _as_nobody(attempt)
    assert code == 1 and "cannot be read (permission denied)" in output and "folder" not in output, output


# --- a process version is its content ------------------------------------------------------------------


def test_the_same_id_and_version_with_other_rules_is_refused_naming_both_hashes(db, tmp_path):
    from cspr.engine.definition.catalog import resolve

    current = resolve("cspr_pan_lancashire@2025.2")
    changed = (ROOT / "processes" / "cspr_pan_lancashire.yaml").read_text().replace(
        "working_days: 5", "working_days: 6", 1)
    assert changed != current.source_text
    path = tmp_path / "tweaked.yaml"
    path.write_text(changed)
    from cspr.engine.definition.loader import load_file

    tweaked = load_file(path)
    assert (tweaked.id, tweaked.version) == (current.id, current.version)
    # the demo's cases are under 2025.1: a case under the shipped 2025.2 stores that version's content first
    assert cli(db, "case", "open", "LSBU-2026-200", "--on", "2026-06-01").exit_code == 0
    before = dump(db)
    result = cli(db, "case", "open", "LSBU-2026-201", "--on", "2026-06-01", "--process", str(path))
    assert result.exit_code == 1, result.output
    assert current.content_hash in result.output and tweaked.content_hash in result.output
    assert "new version" in result.output
    assert dump(db) == before


def test_a_draft_with_an_installed_version_but_other_rules_is_refused_before_any_database_stores_it(db, tmp_path):
    """A policy lead's copy of the shipped file, changed but not renumbered: `cspr validate` says so at its
    `version:` line, and no database takes it (even one that has not stored the shipped version yet), so one
    label never means two rule sets. A scenario run in memory still rehearses the draft."""
    import json

    from cspr.engine.definition.catalog import resolve

    current = resolve("cspr_pan_lancashire@2025.2")
    path = tmp_path / "draft.yaml"
    path.write_text(current.source_text.replace("working_days: 5", "working_days: 6", 1))
    line = next(n for n, text in enumerate(current.source_text.splitlines(), 1) if text.startswith("version:"))

    checked = run_cli("validate", str(path))
    assert checked.exit_code == 1
    assert checked.stdout.startswith(f"{path}:{line}:1: version: cspr_pan_lancashire 2025.2 is already installed "
                                     "with other rules"), checked.stdout
    assert current.content_hash in checked.stdout and "needs a new version number" in checked.stdout
    report = json.loads(run_cli("validate", str(path), "--json").stdout)
    assert report[0]["valid"] is False and report[0]["problems"][0]["path"] == "version"
    assert run_cli("validate", str(ROOT / "processes" / "cspr_pan_lancashire.yaml")).exit_code == 0

    from cspr.engine.store.interface import open_store

    store = open_store(str(db))
    try:  # the demo's cases are all under 2025.1: this database has not stored 2025.2
        assert "2025.2" not in {row["version"] for row in store.processes()}
    finally:
        store.close()
    before = dump(db)
    opened = cli(db, "case", "open", "LSBU-2026-202", "--on", "2026-06-01", "--process", str(path))
    assert opened.exit_code == 1 and "already installed with other rules" in opened.output, opened.output
    assert dump(db) == before

    rehearsed = run_cli("check", str(ROOT / "scenarios" / "point5_early_notification_flagged.yaml"),
                        "--process", str(path))
    assert "already installed" not in rehearsed.output, rehearsed.output
    assert re.search(r"\b[1-9]\d* passed, \d+ failed", rehearsed.output), rehearsed.output  # the scenario ran


# --- references matched in full ----------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["LSBU-2026-201\n", "LSBU-2026-201\nX", "\nLSBU-2026-201"])
def test_a_reference_with_a_line_break_is_refused(db, ref):
    before = dump(db)
    result = cli(db, "case", "open", ref, "--on", "2026-06-01")
    assert result.exit_code == 1
    assert dump(db) == before


def test_reference_checks_are_full_matches_even_without_a_process_pattern(tmp_path):
    import datetime as dt

    from cspr.engine.casebook.book import Casebook
    from cspr.engine.definition.loader import load_file
    from cspr.engine.errors import InputError
    from cspr.engine.store.interface import open_store

    store = open_store(tmp_path / "x.db", create=True)
    try:
        book = Casebook(store, today=dt.date(2026, 6, 10), actor="t")
        with pytest.raises(InputError, match="not a usable case reference"):
            book.open_case("A-1\n", load_file(FIXTURES / "minimal.yaml"), dt.date(2026, 6, 1), check_reference=False)
    finally:
        store.close()


# --- rebuild carries on ------------------------------------------------------------------------------


def test_rebuild_carries_on_past_a_case_that_does_not_replay_and_fails(db):
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("UPDATE events SET name = 'no_such_event' WHERE case_ref = 'LSBU-2026-007' AND seq = 4")
    conn.execute("DELETE FROM deadline_view WHERE ref IN ('LSBU-2026-015', 'LSBU-2025-031')")
    conn.commit()
    kept = conn.execute("SELECT * FROM case_view WHERE ref = 'LSBU-2026-007'").fetchall()
    conn.close()
    result = cli(db, "rebuild")
    assert result.exit_code == 1
    assert "Rebuilt the projections of 3 of 4 cases" in result.output
    assert "FAILED LSBU-2026-007" in result.output and "no_such_event" in result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM deadline_view WHERE ref = 'LSBU-2026-015'").fetchone()[0] > 0
    assert conn.execute("SELECT * FROM case_view WHERE ref = 'LSBU-2026-007'").fetchall() == kept
    conn.close()
    report = json.loads(cli(db, "rebuild", "--json").stdout)
    assert report["ok"] is False and report["failed"][0]["case"] == "LSBU-2026-007"


# --- a migration into a state checks the facts that state needs -------------------------------------


def test_mapping_a_case_into_a_closed_state_needs_the_facts_of_the_way_in(db):
    """LSBU-2025-031 (2025.1, lcspr_in_progress) does not replay under 2018.1; mapped to 'closed' it would
    skip the reason a case is closed."""
    before = dump(db)
    result = cli(db, "case", "migrate", "LSBU-2025-031", "--to", "2018.1", "--map", "lcspr_in_progress=closed")
    assert result.exit_code == 1, result.output
    assert "closure_reason" in result.output and "record it first" in result.output
    assert dump(db) == before
    dry = cli(db, "case", "migrate", "LSBU-2025-031", "--to", "2018.1", "--map", "lcspr_in_progress=closed", "--dry-run")
    assert dry.exit_code == 1 and "closure_reason" in dry.output


# --- the holiday cache ---------------------------------------------------------------------------------


def test_an_edited_holiday_cache_does_not_move_a_due_date(db, tmp_path, monkeypatch):
    from cspr.engine.definition import workdays
    from cspr.engine.runtime import deadlines

    monkeypatch.setenv("CSPR_CACHE_DIR", str(tmp_path / "cache"))

    def fresh():
        workdays._cached.cache_clear()
        workdays._holiday_dates.cache_clear()
        deadlines.calendar_for.cache_clear()

    fresh()
    due = json.loads(cli(db, "case", "show", "LSBU-2026-015", "--json").stdout)["deadlines"][0]["due"]
    files = list((tmp_path / "cache").glob("holidays-GB-ENG-*.json"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    data = json.loads(files[0].read_text())
    data["dates"] += ["2026-06-02", "2026-06-03", "2026-06-04"]  # three invented bank holidays
    files[0].write_text(json.dumps(data))
    fresh()
    assert json.loads(cli(db, "case", "show", "LSBU-2026-015", "--json").stdout)["deadlines"][0]["due"] == due
    # an edit that also fixes up the digest is caught by audit verify, which compares with the package
    data["sha256"] = workdays._cache_digest("GB", "ENG", workdays._package_stamp(), data["dates"])
    files[0].write_text(json.dumps(data))
    fresh()
    report = json.loads(cli(db, "audit", "verify", "--json").stdout)
    assert any(f["kind"] == "holidays" for f in report["findings"]), report["findings"]
    fresh()
    assert json.loads(cli(db, "case", "show", "LSBU-2026-015", "--json").stdout)["deadlines"][0]["due"] == due


@pytest.mark.parametrize("args, words", [
    (["BAD-REF", "--on", "2026-06-01"], "does not look like"),
    (["LSBU-2026-001", "--on", "2026-06-11"], "is in the future"),
    (["LSBU-2026-001", "--on", "2026-06-01", "--linked", "LSBU-2026-009"], "no case 'LSBU-2026-009'"),
])
def test_a_refused_first_case_leaves_no_new_database_file(tmp_path, args, words):
    """The first case of a new database is tried in memory first: refused, it leaves no file behind."""
    path = tmp_path / "new.db"
    result = run_cli("--db", str(path), "--today", TODAY, "case", "open", *args)
    assert result.exit_code == 1 and words in result.output, result.output
    assert list(tmp_path.iterdir()) == []
    opened = run_cli("--db", str(path), "--today", TODAY, "case", "open", "LSBU-2026-001", "--on", "2026-06-01")
    assert opened.exit_code == 0 and path.exists()


def test_a_refused_first_case_through_a_dangling_link_leaves_no_file(tmp_path):
    link = tmp_path / "cases.db"
    link.symlink_to(tmp_path / "target.db")  # the store would create the link's target
    result = run_cli("--db", str(link), "--today", TODAY, "case", "open", "BAD-REF", "--on", "2026-06-01")
    assert result.exit_code == 1 and "does not look like" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.db"] and not (tmp_path / "target.db").exists()
