"""Trust: a tamper-evident history, who did what, redaction, and a migration that reaches old databases.

The tests on a database (`db`) run on SQLite and on a real PostgreSQL server; tampering is done as an
insider could (the file's owner; PostgreSQL's superuser), lifting the append-only triggers first."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cspr.engine.casebook.audit import GENESIS, content, digest, link
from cspr.engine.casebook.book import Casebook
from cspr.engine.store.interface import open_store
from cspr.engine.store.migrations import MIGRATIONS, SCHEMA_VERSION
from cspr.engine.store.sqlite import statements

from .conftest import dump, run_cli

TODAY = "2026-06-10"


@pytest.fixture
def db(demo_database):
    return demo_database


def cli(db, *args, env=None):
    return run_cli("--db", getattr(db, "spec", str(db)), "--today", TODAY, *args, env=env)


def tamper(db, *statements):
    db.tamper(*statements)


def findings(db):
    result = cli(db, "audit", "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["ok"] else 1)
    return report


def test_an_untouched_database_verifies(db):
    report = findings(db)
    assert report["ok"] and report["entries"] == 48 and report["cases"] == 4
    assert report["head"].startswith("hmac-sha256:") and report["integrity_check"] == "ok" and report["engine"] == db.engine
    text = cli(db, "audit", "verify").stdout
    assert "Every case chain, the database chain, the anchors and the projections are intact." in text


def test_an_edited_entry_is_named(db):
    tamper(db, "UPDATE events SET facts = '{\"referring_agency\": \"Somebody else\"}' "
               "WHERE case_ref = 'LSBU-2026-015' AND seq = 3")
    report = findings(db)
    first = report["findings"][0]
    assert (first["kind"], first["case"], first["seq"]) == ("altered", "LSBU-2026-015", 3)
    assert "LSBU-2026-015 #3 (transition referral_submitted on 2026-06-02) was altered" in first["message"]


def test_an_edited_date_is_named(db):
    tamper(db, "UPDATE events SET on_date = '2025-12-24' WHERE case_ref = 'LSBU-2025-031' AND seq = 9")
    first = findings(db)["findings"][0]
    assert (first["kind"], first["case"], first["seq"]) == ("altered", "LSBU-2025-031", 9)


def test_a_deleted_entry_is_named(db):
    tamper(db, "DELETE FROM events WHERE case_ref = 'LSBU-2025-031' AND seq = 5")
    first = findings(db)["findings"][0]
    assert (first["kind"], first["case"], first["seq"]) == ("deleted", "LSBU-2025-031", 6)
    assert "entry #5 is missing" in first["message"]


def test_deleting_the_latest_entry_of_a_case_breaks_the_database_chain(db):
    tamper(db, "DELETE FROM events WHERE case_ref = 'LSBU-2025-031' AND seq = 17")
    report = findings(db)
    kinds = {(f["kind"], f["case"]) for f in report["findings"]}
    assert ("chain", "LSBU-2026-007") in kinds  # the next entry written after the deleted one
    assert ("truncated", "LSBU-2025-031") in kinds  # the case list says #17


def test_deleting_a_whole_case_is_caught(db):
    tamper(db, "DELETE FROM events WHERE case_ref = 'LSBU-2026-007'", "DELETE FROM case_view WHERE ref = 'LSBU-2026-007'",
           "DELETE FROM deadline_view WHERE ref = 'LSBU-2026-007'")
    first = findings(db)["findings"][0]
    assert first["kind"] == "chain" and first["case"] == "LSBU-2026-012"


def test_an_inserted_entry_is_named(db):
    tamper(db, "INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, "
               "digest, prev_hash, hash, chain) VALUES ('LSBU-2026-015', 6, 'note', NULL, '2026-06-06', NULL, 'mallory', "
               "'2026-06-06T00:00:00+00:00', '{}', 'forged', '{}', 'sha256:00', 'sha256:00', 'sha256:00', 'sha256:00')")
    first = findings(db)["findings"][0]
    assert (first["kind"], first["case"], first["seq"]) == ("altered", "LSBU-2026-015", 6)


def test_reordered_entries_are_named(db):
    tamper(db, "UPDATE events SET seq = -1 WHERE case_ref = 'LSBU-2025-031' AND seq = 12",
           "UPDATE events SET seq = 12 WHERE case_ref = 'LSBU-2025-031' AND seq = 13",
           "UPDATE events SET seq = 13 WHERE case_ref = 'LSBU-2025-031' AND seq = -1")
    first = findings(db)["findings"][0]
    assert first["case"] == "LSBU-2025-031" and first["seq"] == 12 and first["kind"] in ("altered", "reordered")


def test_a_tampered_projection_is_caught(db):
    db.execute("UPDATE deadline_view SET due = '2030-01-01' WHERE ref = 'LSBU-2026-015'")
    first = findings(db)["findings"][0]
    assert (first["kind"], first["case"]) == ("projection", "LSBU-2026-015")
    assert cli(db, "rebuild").exit_code == 0 and findings(db)["ok"]


def _rechain(db):
    """What an insider who knows the algorithm but not the key could do: recompute every hash after an edit,
    the database chain unkeyed."""
    heads, chain, updates = {}, GENESIS, []
    for row in db.rows("SELECT id, case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data "
                       "FROM events ORDER BY id"):
        row_id, ref, seq, kind, name, on, role, actor, at, facts, note, data = row
        d = digest(content(ref, seq, kind, name, str(on), role, actor, at, json.loads(facts), note, json.loads(data)))
        h = link(heads.get(ref, GENESIS), d)
        chain = link(chain, h)
        updates.append(f"UPDATE events SET digest = '{d}', prev_hash = '{heads.get(ref, GENESIS)}', hash = '{h}', "
                       f"chain = '{chain}' WHERE id = {row_id}")
        heads[ref] = h
    db.tamper(*updates)


def test_an_anchor_catches_a_history_rewritten_with_new_hashes(db):
    anchor = findings(db)["head"]
    assert cli(db, "audit", "verify", "--anchor", anchor).exit_code == 0
    assert cli(db, "case", "note", "LSBU-2026-015", "Later entry").exit_code == 0
    assert cli(db, "audit", "verify", "--anchor", anchor).exit_code == 0  # the chain grew through the anchor
    tamper(db, "UPDATE events SET note = 'rewritten' WHERE case_ref = 'LSBU-2025-031' AND seq = 17")
    _rechain(db)
    found = {f["kind"] for f in findings(db)["findings"]}
    assert {"key", "truncated"} <= found  # no keyed value left, and the anchor log's heads are gone
    result = cli(db, "audit", "verify", "--anchor", anchor)
    assert result.exit_code == 1 and "no longer passes through the anchor" in result.stdout


def test_the_history_refuses_updates_other_than_redaction(db):
    for statement in ("UPDATE events SET on_date = '2020-01-01'", "UPDATE events SET redacted = TRUE",
                      "DELETE FROM events WHERE seq = 1"):
        with pytest.raises(Exception, match="append-only"):
            db.execute(statement)


# --- export, verified without cspr -----------------------------------------------------------------


def verify_export(path):
    data = json.loads(path.read_text())
    script = path.parent / "verify.py"
    script.write_text("\n".join(data["verify_with_python"]) + "\n")
    return subprocess.run([sys.executable, "-I", str(script), str(path)], capture_output=True, text=True,
                          cwd=path.parent, env={"PATH": os.environ.get("PATH", "")})


def test_an_export_is_verified_by_a_plain_python_script(db, tmp_path):
    out = tmp_path / "export.json"
    result = cli(db, "audit", "export", "LSBU-2025-031", "--out", str(out))
    assert result.exit_code == 0 and "Wrote 17 entries of LSBU-2025-031" in result.stdout
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    checked = verify_export(out)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("verified 17 entries of LSBU-2025-031 head sha256:")
    again = cli(db, "audit", "export", "LSBU-2025-031", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.output
    data = json.loads(out.read_text())
    data["entries"][4]["content"]["on"] = "2025-12-28"
    out.write_text(json.dumps(data))
    tampered = verify_export(out)
    assert tampered.returncode != 0 and "entry 5: content does not match its digest" in tampered.stderr


def test_export_of_an_unknown_case_is_one_line(db):
    result = cli(db, "audit", "export", "LSBU-1999-001")
    assert result.exit_code == 1 and result.output.startswith("Error: no case 'LSBU-1999-001'")


# --- redaction ------------------------------------------------------------------------------------


def test_redaction_removes_content_keeps_the_chain_and_records_who(db, tmp_path):
    result = cli(db, "--actor", "A. Auditor", "case", "redact", "LSBU-2026-007", "--reason", "Information Commissioner decision 2026-41")
    assert result.exit_code == 0, result.output
    leftovers = db.rows("SELECT COUNT(*) FROM events WHERE case_ref = 'LSBU-2026-007' AND kind != 'redacted' "
                        "AND (facts != '{}' OR note IS NOT NULL)")[0][0]
    assert leftovers == 0
    assert findings(db)["ok"]
    view = json.loads(cli(db, "case", "show", "LSBU-2026-007", "--json").stdout)
    assert view["state"] == "no_lcspr" and view["facts"] == {}
    last = view["history"][-1]
    assert (last["kind"], last["actor"], last["data"]["reason"]) == ("redacted", "A. Auditor", "Information Commissioner decision 2026-41")
    out = tmp_path / "redacted.json"
    assert cli(db, "audit", "export", "LSBU-2026-007", "--out", str(out)).exit_code == 0
    assert verify_export(out).returncode == 0
    assert all(e["content"] is None for e in json.loads(out.read_text())["entries"][:-1])
    refused = cli(db, "case", "note", "LSBU-2026-007", "one more")
    assert refused.exit_code == 1 and "was redacted" in refused.output
    twice = cli(db, "case", "redact", "LSBU-2026-007", "--reason", "again")
    assert twice.exit_code == 1 and "already redacted" in twice.output
    assert cli(db, "rebuild").exit_code == 0 and findings(db)["ok"]


def test_content_blanked_without_a_recorded_redaction_is_named(db):
    """Behind the guards (which refuse it), content blanked without 'cspr case redact' left no record."""
    db.tamper("UPDATE events SET redacted = TRUE, facts = '{}', note = NULL WHERE case_ref = 'LSBU-2026-007' AND seq <= 3")
    kinds = {(f["kind"], f["case"], f["seq"]) for f in findings(db)["findings"]}
    assert ("redaction", "LSBU-2026-007", 3) in kinds


def test_a_note_with_control_characters_is_refused(db):
    before = cli(db, "audit", "verify", "--json").stdout
    result = cli(db, "case", "note", "LSBU-2026-015", "bell\x07 and nul\x00")
    assert result.exit_code == 1 and "control character" in result.output
    assert cli(db, "audit", "verify", "--json").stdout == before


# --- who did it -------------------------------------------------------------------------------------


def test_every_entry_records_the_actor_and_role(db):
    assert cli(db, "--actor", "Sam Officer", "case", "note", "LSBU-2026-015", "Rang the ICB", "--by", "lsbu").exit_code == 0
    assert cli(db, "case", "note", "LSBU-2026-015", "Second", env={"CSPR_ACTOR": "Pat Lead"}).exit_code == 0
    history = json.loads(cli(db, "case", "show", "LSBU-2026-015", "--json").stdout)["history"]
    assert (history[-2]["actor"], history[-2]["role"]) == ("Sam Officer", "lsbu")
    assert history[-1]["actor"] == "Pat Lead"
    text = cli(db, "case", "show", "LSBU-2026-015").stdout
    assert "[Sam Officer, " in text
    bad = cli(db, "--actor", " ", "case", "note", "LSBU-2026-015", "x")
    assert bad.exit_code == 2 and "--actor" in bad.output


def test_the_default_actor_is_the_operating_system_user(tmp_path):
    """The command line names the operating-system user when nobody else is named; the engine never guesses:
    a Casebook opened without an actor reads but cannot write."""
    import getpass

    from cspr.engine.errors import CsprError

    db = tmp_path / "x.db"
    assert run_cli("--db", str(db), "case", "open", "LSBU-2026-001", "--on", "2026-06-01").exit_code == 0
    store = open_store(db)
    try:
        assert store.records("LSBU-2026-001")[0].actor == getpass.getuser()
        book = Casebook(store)
        assert book.actor is None and book.show("LSBU-2026-001").case.ref == "LSBU-2026-001"
        before = dump(db)
        with pytest.raises(CsprError, match="nobody is named"):
            book.note("LSBU-2026-001", "who wrote this?", on=dt.date(2026, 6, 2))
        assert dump(db) == before
    finally:
        store.close()


# --- an old database is migrated ----------------------------------------------------------------


def test_a_schema_1_database_is_hashed_on_first_use(tmp_path):
    path = tmp_path / "old.db"
    assert run_cli("demo", "--db", str(tmp_path / "new.db")).exit_code == 0
    new = sqlite3.connect(tmp_path / "new.db")
    rows = new.execute("SELECT case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data "
                       "FROM events ORDER BY id").fetchall()
    processes = new.execute("SELECT hash, process_id, version, effective_from, title, source_text, stored_at FROM processes").fetchall()
    new.close()
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    for statement in statements(MIGRATIONS[0].sqlite):
        old.execute(statement)
    old.execute("INSERT INTO _migrations VALUES (1, 'v1', '2026-01-01')")
    old.execute("PRAGMA application_id = 1129533522")
    old.executemany("INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    old.executemany("INSERT INTO processes VALUES (?, ?, ?, ?, ?, ?, ?)", processes)
    old.commit()
    old.close()
    assert cli(path, "rebuild").exit_code == 0  # first use migrates 1 -> latest, then rebuilds
    store = open_store(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    report = findings(path)
    assert report["ok"] and report["database"] is None  # not sealed with a key until its first write
    unkeyed = GENESIS
    for (entry_hash,) in sqlite3.connect(tmp_path / "new.db").execute("SELECT hash FROM events ORDER BY id"):
        unkeyed = link(unkeyed, entry_hash)
    assert report["head"] == unkeyed  # the same entries, hashed as the first hashed databases were
    assert cli(path, "case", "note", "LSBU-2026-015", "the first keyed entry").exit_code == 0
    sealed = findings(path)
    assert sealed["ok"] and sealed["head"].startswith("hmac-sha256:") and sealed["database"]


def test_a_schema_7_database_gets_each_deadlines_settled_status_and_lateness(tmp_path):
    """Migrations 8 and 9 fill the new deadline columns as the deadline rules decide them (audit verify
    replays every case and compares its projection), without a rebuild."""
    path = tmp_path / "old.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    new = sqlite3.connect(path)
    expected = new.execute("SELECT ref, deadline, settled, late_by FROM deadline_view ORDER BY ref, deadline").fetchall()
    new.execute("ALTER TABLE deadline_view DROP COLUMN settled")
    new.execute("ALTER TABLE deadline_view DROP COLUMN late_by")
    _drop_language_2_projections(new)
    new.execute("DELETE FROM _migrations WHERE version > 7")
    new.commit()
    new.close()
    assert findings(path)["ok"]  # opening it migrates
    migrated = sqlite3.connect(path)
    got = migrated.execute("SELECT ref, deadline, settled, late_by FROM deadline_view ORDER BY ref, deadline").fetchall()
    migrated.close()
    assert got == expected
    assert {row[2] for row in got} >= {"met", "met_late", None} and any(row[3] for row in got)


def _drop_language_2_projections(conn):
    """Undo migration 10: the deadline columns, task and link tables language 2 added."""
    for column in ("statutory_due", "extended_by", "paused_since", "late_in"):
        conn.execute(f"ALTER TABLE deadline_view DROP COLUMN {column}")
    conn.execute("DROP TABLE task_view")
    conn.execute("DROP TABLE case_link")


def test_a_schema_9_database_gets_the_language_2_projections(tmp_path):
    """Migration 10 adds the columns and tables language 2 needs; the existing rows stay right (audit verify
    replays every case and compares), and language-2 cases can then be opened in it."""
    path = tmp_path / "old.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    old = sqlite3.connect(path)
    _drop_language_2_projections(old)
    old.execute("DELETE FROM _migrations WHERE version > 9")
    old.commit()
    old.close()
    assert findings(path)["ok"]  # opening it migrates
    migrated = sqlite3.connect(path)
    assert migrated.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == SCHEMA_VERSION
    assert migrated.execute("SELECT COUNT(*) FROM task_view").fetchone()[0] == 0
    assert {r[1] for r in migrated.execute("PRAGMA table_info(deadline_view)")} >= {"statutory_due", "extended_by"}
    migrated.close()


def test_the_hash_chain_is_computed_in_one_place():
    """Every store seals entries through chain.Chainer; only chain.py hashes (audit verify recomputes to check)."""
    store_dir = Path(__file__).resolve().parent.parent / "engine" / "store"
    for path in store_dir.glob("*.py"):
        if path.name == "chain.py":
            continue
        text = path.read_text(encoding="utf-8")
        for made_here in ("link(", "digest(", "hashlib", "sha256"):
            assert made_here not in text, f"{path.name} computes a hash itself ({made_here})"


def test_an_export_with_content_removed_and_no_redaction_fails_its_own_verifier(db, tmp_path):
    out = tmp_path / "case.json"
    assert cli(db, "audit", "export", "LSBU-2026-015", "--out", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    data["entries"][2]["content"] = None
    data["entries"][2]["redacted"] = True
    (tmp_path / "nulled.json").write_text(json.dumps(data))
    checked = verify_export(tmp_path / "nulled.json")
    assert checked.returncode != 0 and "entries [3]: content removed, but no redaction entry names them" in checked.stderr
    data["entries"].pop()  # an entry cut from the end no longer ends at the head
    (tmp_path / "cut.json").write_text(json.dumps(data))
    assert verify_export(tmp_path / "cut.json").returncode != 0


def test_a_redaction_names_its_entries_and_fields_and_its_reason_is_bounded(db):
    long = cli(db, "case", "redact", "LSBU-2026-012", "--reason", "x" * 501)
    assert long.exit_code == 1 and "at most 500" in long.output
    done = json.loads(cli(db, "case", "redact", "LSBU-2026-012", "--reason", "ICO 2026-7", "--json").stdout)
    last = done["history"][-1]
    assert last["data"]["entries"] == list(range(1, last["seq"])) and last["data"]["fields"] == ["facts", "note"]
    assert done["redaction"]["blanked"] == last["seq"] - 1


def test_redacted_text_is_left_neither_in_the_file_nor_in_its_journal(demo_db):
    secret = "Unmistakable-Secret-Name-4471"
    cspr = lambda *a: run_cli("--db", str(demo_db), "--today", TODAY, *a)  # noqa: E731
    assert cspr("case", "note", "LSBU-2026-012", secret).exit_code == 0
    files = [demo_db, Path(f"{demo_db}-wal")]
    assert any(secret.encode() in f.read_bytes() for f in files if f.exists())
    result = cspr("case", "redact", "LSBU-2026-012", "--reason", "test")
    assert result.exit_code == 0 and "Warning" not in result.output
    for f in files:
        assert not f.exists() or secret.encode() not in f.read_bytes(), f


def test_a_reader_that_keeps_the_journal_from_being_emptied_is_reported(demo_db):
    secret = "Another-Secret-Name-9182"
    cspr = lambda *a: run_cli("--db", str(demo_db), "--today", TODAY, *a)  # noqa: E731
    assert cspr("case", "note", "LSBU-2026-012", secret).exit_code == 0
    reader = sqlite3.connect(demo_db)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM events").fetchone()  # holds a read snapshot
    try:
        result = cspr("case", "redact", "LSBU-2026-012", "--reason", "test")
        assert result.exit_code == 0
        assert "Warning: another program was reading" in result.output and "cspr rebuild" in result.output
    finally:
        reader.close()
    rebuilt = cspr("rebuild")
    assert rebuilt.exit_code == 0 and "Warning" not in rebuilt.output
    for f in (demo_db, Path(f"{demo_db}-wal")):
        assert not f.exists() or secret.encode() not in f.read_bytes(), f


def test_audit_anchor_prints_the_checked_head_and_verify_accepts_it(db):
    result = cli(db, "audit", "anchor")
    assert result.exit_code == 0, result.output
    head = json.loads(cli(db, "audit", "anchor", "--json").stdout)["head"]
    assert f"Head: {head}" in result.output and head.startswith("hmac-sha256:")
    assert cli(db, "case", "note", "LSBU-2026-015", "later").exit_code == 0
    assert cli(db, "audit", "verify", "--anchor", head).exit_code == 0
    db.tamper("UPDATE events SET actor = 'x' WHERE case_ref = 'LSBU-2026-015' AND seq = 1")
    refused = cli(db, "audit", "anchor")
    assert refused.exit_code == 1 and "does not verify" in refused.output and "Head:" not in refused.output


def test_what_a_migrated_database_can_prove(tmp_path, monkeypatch):
    """Before its first keyed write an old database proves only that its hashes agree (rewriting them all is
    undetectable); from its first keyed write on, the keyed value pins everything before it too."""
    path = tmp_path / "old.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    monkeypatch.setenv("CSPR_ANCHOR_LOG", str(tmp_path / "anchors.log"))  # a database from before anchor logs
    conn = sqlite3.connect(path)  # make it a database from before keys: unkeyed chain, no identity
    conn.execute("DROP TRIGGER events_append_only_update")
    conn.execute("DROP TRIGGER _meta_append_only_delete")
    conn.execute("DELETE FROM _meta")
    chain = GENESIS
    for row_id, entry_hash in conn.execute("SELECT id, hash FROM events ORDER BY id").fetchall():
        chain = link(chain, entry_hash)
        conn.execute("UPDATE events SET chain = ? WHERE id = ?", (chain, row_id))
    conn.commit()
    conn.close()
    assert cli(path, "rebuild").exit_code == 0  # puts back the guards
    assert findings(path)["ok"]
    assert cli(path, "case", "note", "LSBU-2026-015", "sealed from here").exit_code == 0
    from .helpers.databases import SqliteDatabase

    old = SqliteDatabase(path)
    old.tamper("UPDATE events SET note = 'changed' WHERE case_ref = 'LSBU-2025-031' AND seq = 17")
    _rechain_unkeyed_prefix(old)
    assert any(f["kind"] == "chain" for f in findings(path)["findings"])


def _rechain_unkeyed_prefix(db):
    """Recompute every hash of the entries written before the key, as an insider without the key could."""
    heads, chain, updates = {}, GENESIS, []
    for row in db.rows("SELECT id, case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, chain "
                       "FROM events ORDER BY id"):
        row_id, ref, seq, kind, name, on, role, actor, at, facts, note, data, old_chain = row
        if old_chain.startswith("hmac-"):
            break
        d = digest(content(ref, seq, kind, name, str(on), role, actor, at, json.loads(facts), note, json.loads(data)))
        h = link(heads.get(ref, GENESIS), d)
        chain = link(chain, h)
        updates.append(f"UPDATE events SET digest = '{d}', prev_hash = '{heads.get(ref, GENESIS)}', hash = '{h}', "
                       f"chain = '{chain}' WHERE id = {row_id}")
        heads[ref] = h
    db.tamper(*updates)


def test_every_test_the_readme_names_for_an_attack_exists():
    """The trust section names the test for each attack; each must exist (a name that lost its test is a gap)."""
    import re as regex

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text[text.index("## Trust"):text.index("## Running on PostgreSQL")]
    named = regex.findall(r"`(test_\w+\.py)::(test_\w+?)(?:…)?`", section)
    assert len(named) > 20
    for file, name in named:
        source = (Path(__file__).resolve().parent / file).read_text()
        assert regex.search(rf"def {regex.escape(name)}", source), (file, name)
