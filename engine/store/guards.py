"""The append-only guards of the history, in both engines: what each trigger is, so that a migration can
create it, ``cspr audit verify`` can check it is there, and ``cspr rebuild`` can put it back.

What the guards allow on ``events``: INSERT, and one UPDATE, the redaction of an
entry: ``redacted`` from false to true, ``facts`` to ``{}``, ``note`` to NULL,
every other column unchanged, and only while a later ``redacted`` entry of the
same case names this entry's seq (``cspr case redact`` appends that entry first,
then blanks). No DELETE (nor TRUNCATE). ``_meta`` (the database's id and its
key's id) takes INSERT only.

A guard is only a guard while it exists: whoever owns the file (SQLite) or the
schema (PostgreSQL) can drop it. Verification does not rely on them: the chains
catch what a dropped guard let through; the guards make an honest mistake
impossible and an attack visible twice.
"""

from __future__ import annotations

_EXACT_REDACTION_SQLITE = """OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.facts = '{}' AND NEW.note IS NULL
                  AND NEW.id = OLD.id AND NEW.case_ref = OLD.case_ref AND NEW.seq = OLD.seq AND NEW.kind = OLD.kind
                  AND NEW.name IS OLD.name AND NEW.on_date = OLD.on_date AND NEW.role IS OLD.role
                  AND NEW.actor = OLD.actor AND NEW.recorded_at = OLD.recorded_at AND NEW.data = OLD.data
                  AND NEW.digest = OLD.digest AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                  AND NEW.chain = OLD.chain"""

_NAMED_BY_A_REDACTION_SQLITE = """EXISTS (SELECT 1 FROM events r, json_each(r.data, '$.entries') e
                          WHERE r.case_ref = OLD.case_ref AND r.kind = 'redacted' AND r.seq > OLD.seq
                            AND e.value = OLD.seq)"""

SQLITE_TRIGGERS: dict[str, str] = {
    "events_append_only_update": f"""
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        WHEN NOT ({_EXACT_REDACTION_SQLITE}
                  AND {_NAMED_BY_A_REDACTION_SQLITE})
        BEGIN SELECT RAISE(ABORT,
            'the event history is append-only; only a recorded redaction may blank an entry''s facts and note'); END;""",
    "events_append_only_delete": """
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;""",
    "_meta_append_only_update": """
        CREATE TRIGGER _meta_append_only_update BEFORE UPDATE ON _meta
        BEGIN SELECT RAISE(ABORT, 'the database''s identity is append-only'); END;""",
    "_meta_append_only_delete": """
        CREATE TRIGGER _meta_append_only_delete BEFORE DELETE ON _meta
        BEGIN SELECT RAISE(ABORT, 'the database''s identity is append-only'); END;""",
}

# PostgreSQL: the functions (created by the migrations) and the triggers that call them, on schema cspr.
POSTGRESQL_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION events_only_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.redacted = false AND NEW.redacted = true AND NEW.facts = '{}' AND NEW.note IS NULL
       AND (NEW.id, NEW.case_ref, NEW.seq, NEW.kind, NEW.on_date, NEW.actor, NEW.recorded_at, NEW.data,
            NEW.digest, NEW.prev_hash, NEW.hash, NEW.chain)
           = (OLD.id, OLD.case_ref, OLD.seq, OLD.kind, OLD.on_date, OLD.actor, OLD.recorded_at, OLD.data,
              OLD.digest, OLD.prev_hash, OLD.hash, OLD.chain)
       AND NEW.name IS NOT DISTINCT FROM OLD.name AND NEW.role IS NOT DISTINCT FROM OLD.role
       AND EXISTS (SELECT 1 FROM cspr.events r
                   WHERE r.case_ref = OLD.case_ref AND r.kind = 'redacted' AND r.seq > OLD.seq
                     AND jsonb_typeof(r.data::jsonb -> 'entries') = 'array'
                     AND (r.data::jsonb -> 'entries') @> jsonb_build_array(OLD.seq)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event history is append-only; only a recorded redaction may blank an entry''s facts and note'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION meta_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the database''s identity is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
-- The one way to blank content: runs with its owner's rights; blanks the entries of one case that a
-- redaction entry (appended first, in the same transaction) names, and nothing else (the trigger checks).
CREATE OR REPLACE FUNCTION redact_case(ref text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = cspr, pg_temp AS $$
DECLARE
    blanked integer;
BEGIN
    UPDATE events SET redacted = true, facts = '{}', note = NULL
        WHERE case_ref = ref AND redacted = false AND kind <> 'redacted';
    GET DIAGNOSTICS blanked = ROW_COUNT;
    RETURN blanked;
END $$;
REVOKE ALL ON FUNCTION redact_case(text) FROM PUBLIC;
"""

POSTGRESQL_TRIGGERS: dict[tuple[str, str], str] = {
    ("events", "events_append_only_update"):
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_only_redaction()",
    ("events", "events_append_only_delete"):
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_refuse_change()",
    ("events", "events_append_only_truncate"):
        "CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()",
    ("_meta", "_meta_append_only"):
        "CREATE TRIGGER _meta_append_only BEFORE UPDATE OR DELETE ON _meta "
        "FOR EACH ROW EXECUTE FUNCTION meta_refuse_change()",
    ("_meta", "_meta_append_only_truncate"):
        "CREATE TRIGGER _meta_append_only_truncate BEFORE TRUNCATE ON _meta "
        "FOR EACH STATEMENT EXECUTE FUNCTION meta_refuse_change()",
}

META_TABLE_SQLITE = "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
META_TABLE_POSTGRESQL = "CREATE TABLE IF NOT EXISTS _meta (key text PRIMARY KEY, value text NOT NULL)"


def seal_sqlite(conn: object) -> None:
    """SQLite migration 10: the _meta table, and the guards as they are now (the update guard replaced)."""
    execute = conn.execute  # type: ignore[attr-defined]
    execute(META_TABLE_SQLITE)
    execute("DROP TRIGGER IF EXISTS events_append_only_update")
    present = {r[0] for r in execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()}
    for name, ddl in SQLITE_TRIGGERS.items():
        if name not in present:
            execute(ddl)


def seal_postgresql(conn: object) -> None:
    """PostgreSQL migration 10: the _meta table, the functions as they are now, and the _meta guards."""
    execute = conn.execute  # type: ignore[attr-defined]
    execute(META_TABLE_POSTGRESQL)
    execute(POSTGRESQL_FUNCTIONS)
    for (table, name), ddl in POSTGRESQL_TRIGGERS.items():
        if table == "_meta":
            execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            execute(ddl)
