"""The tamper corpus: each attack someone with write access to the database (but not the deployment's key or
anchor log) could make, on SQLite and on a real PostgreSQL server, and the finding `cspr audit verify` names.

Tampering is done as such an insider would: as the file's owner (SQLite) or PostgreSQL's superuser, lifting the
append-only guards first where the attack needs it. The README's trust section lists these attacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cspr.engine.store.chain import GENESIS, content, digest, keyed_link, link

from .conftest import copy_database_file, run_cli

TODAY = "2026-06-10"
NEWEST = "LSBU-2026-015"  # the demo's last case: its entries are the newest of the database (#1 to #5)


@pytest.fixture
def db(demo_database):
    return demo_database


def cli(db, *args):
    return run_cli("--db", db.spec, "--today", TODAY, *args)


def verify(db, *args):
    result = cli(db, "audit", "verify", "--json", *args)
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["ok"] else 1)
    return report


def kinds(report):
    return {(f["kind"], f["case"], f["seq"]) for f in report["findings"]}


def entry(db, ref, seq):
    names = ("id", "case_ref", "seq", "kind", "name", "on_date", "role", "actor", "recorded_at", "facts", "note",
             "data", "digest", "prev_hash", "hash", "chain")
    row = db.rows(f"SELECT {', '.join(names)} FROM events WHERE case_ref = ? AND seq = ?", (ref, seq))[0]
    return dict(zip(names, row, strict=True))


def the_key() -> bytes:
    return bytes.fromhex(Path(os.environ["CSPR_KEY_FILE"]).read_text().strip())


def database_id(db) -> str:
    return db.rows("SELECT value FROM _meta WHERE key = 'database_id'")[0][0]


def test_an_untouched_demo_verifies_against_its_anchor_log(db):
    report = verify(db)
    assert report["ok"] and report["anchors_checked"] >= 1 and report["head"].startswith("hmac-sha256:")
    assert report["database"].startswith("db:") and report["key"].startswith("key:")


# --- content altered --------------------------------------------------------------------------------------


def test_the_actor_alone_changed_is_named(db):
    db.tamper(f"UPDATE events SET actor = 'someone else' WHERE case_ref = '{NEWEST}' AND seq = 2")
    assert ("altered", NEWEST, 2) in kinds(verify(db))


def test_only_the_link_to_the_previous_entry_changed_is_named_reordered(db):
    db.tamper(f"UPDATE events SET prev_hash = '{GENESIS}' WHERE case_ref = '{NEWEST}' AND seq = 3")
    report = verify(db)
    assert ("reordered", NEWEST, 3) in kinds(report)
    assert not any(f["kind"] == "altered" for f in report["findings"])


def test_an_entry_rehashed_in_its_case_chain_breaks_the_keyed_database_chain(db):
    """An insider who knows the algorithm edits an entry and recomputes its digest and case hashes: the database
    chain's value cannot be recomputed without the key."""
    row = entry(db, NEWEST, 5)
    row["note"] = "rewritten"
    new_digest = digest(content(row["case_ref"], row["seq"], row["kind"], row["name"], str(row["on_date"]), row["role"],
                                row["actor"], row["recorded_at"], json.loads(row["facts"]), row["note"],
                                json.loads(row["data"])))
    db.tamper(f"UPDATE events SET note = 'rewritten', digest = '{new_digest}', "
              f"hash = '{link(row['prev_hash'], new_digest)}' WHERE id = {row['id']}")
    assert ("chain", NEWEST, 5) in kinds(verify(db))


# --- the newest entries deleted: the anchor log says the history was longer ----------------------------------


def test_deleting_the_newest_entries_is_named_and_rebuild_will_not_hide_it(db):
    db.tamper(f"DELETE FROM events WHERE case_ref = '{NEWEST}' AND seq >= 4")
    report = verify(db)
    found = kinds(report)
    assert ("truncated", NEWEST, 5) in found  # the anchor log's latest head was NEWEST #5
    assert ("truncated", NEWEST, 4) in found  # the case list says #5, the history ends at #3
    text = cli(db, "audit", "verify").stdout
    advice = [line for line in text.splitlines() if "rebuild" in line and "would hide this" not in line
              and "before 'cspr rebuild' puts it back" not in line and "do not rebuild" not in line]
    assert advice == []  # a rebuild is never advised for a history problem
    before = db.dump()
    refused = cli(db, "rebuild")
    assert refused.exit_code == 1 and "cspr rebuild refused, nothing was changed" in refused.output
    assert db.dump() == before
    assert not verify(db)["ok"]


def test_deleting_the_newest_case_with_its_list_and_deadline_rows_is_named(db):
    db.tamper(f"DELETE FROM events WHERE case_ref = '{NEWEST}'", f"DELETE FROM case_view WHERE ref = '{NEWEST}'",
              f"DELETE FROM deadline_view WHERE ref = '{NEWEST}'", f"DELETE FROM action_view WHERE ref = '{NEWEST}'")
    report = verify(db)
    assert ("truncated", NEWEST, 5) in kinds(report)
    assert cli(db, "rebuild").exit_code == 1


def test_an_older_copy_restored_is_named(tmp_path, demo_db):
    older = tmp_path / "older.db"
    copy_database_file(demo_db, older)
    assert run_cli("--db", str(demo_db), "--today", TODAY, "case", "note", NEWEST, "after the backup").exit_code == 0
    copy_database_file(older, demo_db)  # the backup put back
    report = json.loads(run_cli("--db", str(demo_db), "--today", TODAY, "audit", "verify", "--json").stdout)
    assert ("truncated", NEWEST, 6) in kinds(report)


# --- forged appends -----------------------------------------------------------------------------------------


def _forge(db, chain_value):
    """Append a note to the newest case with a correct digest and case hash, and the given database chain value."""
    last = entry(db, NEWEST, 5)
    body = content(NEWEST, 6, "note", None, "2026-06-05", None, "mallory", "2026-06-05T10:00:00+00:00", {}, "forged", {})
    d = digest(body)
    h = link(last["hash"], d)
    db.tamper("INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, "
              f"digest, prev_hash, hash, chain) VALUES ('{NEWEST}', 6, 'note', NULL, '2026-06-05', NULL, 'mallory', "
              f"'2026-06-05T10:00:00+00:00', '{{}}', 'forged', '{{}}', '{d}', '{last['hash']}', '{h}', "
              f"'{chain_value(last['chain'], h)}')",
              f"UPDATE case_view SET last_seq = 6 WHERE ref = '{NEWEST}'")


def test_an_appended_entry_with_unkeyed_hashes_is_named(db):
    _forge(db, lambda previous, h: link(previous, h))
    assert ("chain", NEWEST, 6) in kinds(verify(db))


def test_an_appended_entry_sealed_with_another_key_is_named(db):
    _forge(db, lambda previous, h: keyed_link(b"\x01" * 32, database_id(db), previous, h))
    assert ("chain", NEWEST, 6) in kinds(verify(db))


def test_a_history_rewritten_with_the_stolen_key_is_caught_by_the_anchor_log(db):
    """Beyond the threat model (the key was taken too): the anchor log still shows the history was rewritten."""
    anchor = verify(db)["head"]
    key, database = the_key(), database_id(db)
    rows = db.rows("SELECT id, case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data "
                   "FROM events ORDER BY id")
    heads, chain, updates = {}, GENESIS, []
    for row_id, ref, seq, kind, name, on, role, actor, at, facts, note, data in rows:
        if (ref, seq) == ("LSBU-2025-031", 9):
            note = "rewritten"
        d = digest(content(ref, seq, kind, name, str(on), role, actor, at, json.loads(facts), note, json.loads(data)))
        h = link(heads.get(ref, GENESIS), d)
        chain = keyed_link(key, database, chain, h)
        quoted = "NULL" if note is None else "'" + note.replace("'", "''") + "'"
        updates.append(f"UPDATE events SET note = {quoted}, digest = '{d}', prev_hash = '{heads.get(ref, GENESIS)}', "
                       f"hash = '{h}', chain = '{chain}' WHERE id = {row_id}")
        heads[ref] = h
    db.tamper(*updates)
    report = verify(db, "--anchor", anchor)
    found = {k for k, _, _ in kinds(report)}
    assert {"truncated", "anchor"} <= found and "chain" not in found


# --- the key ------------------------------------------------------------------------------------------------


def test_without_the_key_the_chain_cannot_be_checked_and_nothing_is_written(db, tmp_path, monkeypatch):
    monkeypatch.setenv("CSPR_KEY_FILE", str(tmp_path / "nowhere" / "key"))
    assert ("key", None, None) in kinds(verify(db))
    before = db.dump()
    result = cli(db, "case", "note", NEWEST, "x")
    assert result.exit_code == 1 and "no key file" in result.output and "CSPR_KEY_FILE" in result.output
    assert db.dump() == before and not (tmp_path / "nowhere").exists()


def test_another_key_is_refused_for_writes_and_named_by_verify(db, tmp_path, monkeypatch):
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    os.chmod(other, 0o600)
    monkeypatch.setenv("CSPR_KEY_FILE", str(other))
    assert ("key", None, None) in kinds(verify(db))
    before = db.dump()
    result = cli(db, "case", "note", NEWEST, "x")
    assert result.exit_code == 1 and "is not the key this database is sealed with" in result.output
    assert db.dump() == before


def test_a_key_file_others_may_read_is_refused(db, tmp_path, monkeypatch):
    shared = tmp_path / "shared.key"
    shared.write_text(the_key().hex() + "\n")
    os.chmod(shared, 0o644)
    monkeypatch.setenv("CSPR_KEY_FILE", str(shared))
    result = cli(db, "case", "note", NEWEST, "x")
    assert result.exit_code == 1 and "chmod 600" in result.output


def test_the_database_identity_changed_is_named(db):
    statements = ["UPDATE _meta SET value = 'db:other' WHERE key = 'database_id'"]
    if db.engine == "postgresql":
        db.execute("ALTER TABLE _meta DISABLE TRIGGER USER", *statements, "ALTER TABLE _meta ENABLE TRIGGER USER")
    else:
        db.execute("DROP TRIGGER _meta_append_only_update", *statements)
    report = verify(db)
    assert any(k == "chain" for k, _, _ in kinds(report))


# --- redaction ------------------------------------------------------------------------------------------------


def test_blanking_without_a_recorded_redaction_is_refused_by_the_guard(db):
    before = db.dump()
    with pytest.raises(Exception, match="only a recorded redaction"):
        db.execute(f"UPDATE events SET redacted = TRUE, facts = '{{}}', note = NULL WHERE case_ref = '{NEWEST}'")
    assert db.dump() == before


def test_blanking_behind_the_guards_is_named(db):
    db.tamper("UPDATE events SET redacted = TRUE, facts = '{}', note = NULL "
              "WHERE case_ref = 'LSBU-2026-007' AND seq <= 3")
    found = kinds(verify(db))
    assert {("redaction", "LSBU-2026-007", seq) for seq in (1, 2, 3)} <= found


def test_a_redaction_entry_itself_blanked_is_named(db):
    assert cli(db, "case", "redact", "LSBU-2026-012", "--reason", "ICO decision 2026-9").exit_code == 0
    seq = db.rows("SELECT seq FROM events WHERE case_ref = 'LSBU-2026-012' AND kind = 'redacted'")[0][0]
    db.tamper(f"UPDATE events SET redacted = TRUE, data = '{{}}' WHERE case_ref = 'LSBU-2026-012' AND seq = {seq}")
    assert ("redaction", "LSBU-2026-012", seq) in kinds(verify(db)) or ("altered", "LSBU-2026-012", seq) in kinds(verify(db))


COLUMNS = {"case_ref": "'LSBU-2025-031'", "seq": "99", "kind": "'facts'", "name": "'x'", "on_date": "'2020-01-01'",
           "role": "'lsbu'", "actor": "'mallory'", "recorded_at": "'2020-01-01T00:00:00+00:00'", "data": "'{\"a\":1}'",
           "digest": "'sha256:0'", "prev_hash": "'sha256:0'", "hash": "'sha256:0'", "chain": "'sha256:0'"}


def test_the_guard_allows_the_exact_redaction_change_and_nothing_more(db):
    """A redaction entry names #1-#5 of the newest case but they are not blanked yet: blanking them is allowed,
    blanking them while changing any other column (the actor, say) is not."""
    import datetime as dt

    from cspr.engine.casebook.book import Casebook
    from cspr.engine.runtime.kinds import RecordKind
    from cspr.engine.store.interface import open_store

    store = open_store(db.spec)
    try:
        book = Casebook(store, today=dt.date(2026, 6, 10), actor="auditor")
        with book.transaction():
            book.append(book.load(NEWEST), RecordKind.REDACTED, dt.date(2026, 6, 10),
                        data={"entries": [1, 2, 3, 4, 5], "fields": ["facts", "note"], "reason": "test"})
    finally:
        store.close()
    blank = "redacted = TRUE, facts = '{}', note = NULL"
    before = db.dump()
    for column, value in COLUMNS.items():
        with pytest.raises(Exception, match="append-only|can only be updated"):
            db.execute(f"UPDATE events SET {blank}, {column} = {value} WHERE case_ref = '{NEWEST}' AND seq = 2")
        assert db.dump() == before, column
    with pytest.raises(Exception, match="append-only"):  # another case's entry: no redaction names it
        db.execute(f"UPDATE events SET {blank} WHERE case_ref = 'LSBU-2026-007' AND seq = 2")
    with pytest.raises(Exception, match="append-only"):  # the redaction entry itself
        db.execute(f"UPDATE events SET {blank} WHERE case_ref = '{NEWEST}' AND seq = 6")
    db.execute(f"UPDATE events SET {blank} WHERE case_ref = '{NEWEST}' AND seq = 2")  # exactly a redaction: allowed
    assert db.rows(f"SELECT redacted FROM events WHERE case_ref = '{NEWEST}' AND seq = 2")[0][0] in (1, True)


# --- the guards ----------------------------------------------------------------------------------------------


def test_dropped_guards_are_named_and_rebuild_puts_them_back(db):
    if db.engine == "sqlite":
        db.execute("DROP TRIGGER events_append_only_update", "DROP TRIGGER events_append_only_delete",
                   "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events WHEN 0 BEGIN SELECT 1; END")
        expected = {"events_append_only_update", "events_append_only_delete"}
    else:
        db.execute("ALTER TABLE events DISABLE TRIGGER events_append_only_update",
                   "DROP TRIGGER events_append_only_delete ON events", "GRANT UPDATE ON events TO cspr_app")
        expected = {"events_append_only_update on events", "events_append_only_delete on events",
                    "UPDATE on events granted to cspr_app (it may only read and append)"}
    report = verify(db)
    named = {f["message"].split("guard ")[1].split(" is missing")[0] for f in report["findings"] if f["kind"] == "trigger"}
    assert named == expected
    spec = db.spec if db.engine == "sqlite" else db.server.url(db.name, "cspr_owner")
    if db.engine == "postgresql":  # the application's role may not put them back; the owner may
        refused = cli(db, "rebuild")
        assert refused.exit_code == 1 and "only the schema's owner" in refused.output
    result = run_cli("--db", spec, "--today", TODAY, "rebuild")
    assert result.exit_code == 0, result.output
    assert all(f"Put back the append-only guard {name}." in result.output for name in expected)
    assert verify(db)["ok"]
    with pytest.raises(Exception, match="append-only"):
        db.execute(f"DELETE FROM events WHERE case_ref = '{NEWEST}'")
