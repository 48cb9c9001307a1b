"""Bad and hostile input: every command answers with one line and status 0, 1 or 2, and a
refused command changes nothing. A corpus of hostile YAML files and database files."""

from __future__ import annotations

import shutil
import sqlite3
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FIXTURES, ROOT, dump, examples, run_cli

HOSTILE = sorted((FIXTURES / "hostile").glob("*.yaml"))
CURRENT = ROOT / "processes" / "cspr_pan_lancashire.yaml"




# Commands whose exit status 1 is an answer, not a failure (problems found, differences, findings).
REPORTERS = (["validate"], ["diff"], ["audit", "verify"])


def assert_clean(result, allowed=(0, 1, 2), command=()):
    assert result.exit_code in allowed, result.output
    assert "Traceback" not in result.output
    assert "Error: unexpected " not in result.output, result.output  # the catch-all means a bug
    if result.exit_code and not (result.exit_code == 1 and list(command) in REPORTERS):
        errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, result.output


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "demo.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    return path


# --- Hypothesis over arguments and fact values -----------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40)
TOKENS = st.one_of(
    TEXT,
    st.sampled_from(["LSBU-2026-015", "LSBU-2025-031", "LSBU-9999-999", "referral_submitted", "criteria_met",
                     "icb", "lsbu", "2026-06-10", "2026-02-30", "1999-01-01", "2999-01-01", "-5", "0", "99999",
                     "harm=died", "harm=", "=x", "sudi=maybe", "children_count=-3", "children_count=4",
                     "agencies_involved=health,,police", "--json", "--on", "--by", "--fact", "--facts", "--note",
                     "--within", "--overdue", "--state", "--anchor", "--format", "--to", "--map", "a=b",
                     str(CURRENT), str(FIXTURES / "hostile" / "billion_laughs.yaml"), "/dev/null", "/", "x" * 5000,
                     "../../etc/passwd", "é☃\u202e", "\t\n"]),
    st.text(alphabet=string.printable, max_size=12),
)
COMMANDS = st.sampled_from([
    ["case", "open"], ["case", "record"], ["case", "signoff"], ["case", "note"], ["case", "fact"], ["case", "show"],
    ["case", "list"], ["case", "migrate"], ["case", "redact"], ["deadlines"], ["calendar", "add"],
    ["calendar", "between"], ["validate"], ["process", "show"], ["diff"], ["impact"], ["graph"],
    ["audit", "verify"], ["audit", "export"], ["rebuild"],
])


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=COMMANDS, args=st.lists(TOKENS, max_size=6))
def test_any_arguments_give_one_line_and_change_nothing_when_refused(template, tmp_path, command, args):
    db = tmp_path / "fuzz.db"
    shutil.copy(template, db)
    before = dump(db)
    result = run_cli("--db", str(db), "--today", "2026-06-10", *command, *args)
    assert_clean(result, command=command)
    if result.exit_code != 0:
        assert dump(db) == before


FACT_VALUES = st.one_of(TEXT, st.integers().map(str), st.sampled_from(["yes", "no", "true", "2026-01-01", "died", ""]))


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(["harm", "sudi", "children_count", "aware_on", "agencies_involved", "referring_agency",
                             "lcspr_decision", "nonexistent"]), value=FACT_VALUES)
def test_any_fact_value_is_stored_typed_or_refused(template, tmp_path, name, value):
    db = tmp_path / "facts.db"
    shutil.copy(template, db)
    before = dump(db)
    result = run_cli("--db", str(db), "--today", "2026-06-10", "case", "fact", "LSBU-2026-015", f"{name}={value}")
    assert_clean(result, allowed=(0, 1))
    if result.exit_code:
        assert dump(db) == before


# --- hostile YAML ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
@pytest.mark.parametrize("use", ["validate", "process", "facts", "open", "diff", "calendar"])
def test_hostile_yaml_is_refused_in_one_line(template, tmp_path, path, use):
    db = tmp_path / "h.db"
    shutil.copy(template, db)
    before = dump(db)
    args = {
        "validate": ["validate", str(path)],
        "process": ["process", "show", str(path)],
        "facts": ["case", "fact", "LSBU-2026-015", "--facts", str(path)],
        "open": ["case", "open", "LSBU-2026-099", "--on", "2026-06-01", "--process", str(path)],
        "diff": ["diff", str(path), str(CURRENT)],
        "calendar": ["calendar", "add", "2026-06-01", "5", "--process", str(path)],
    }[use]
    result = run_cli("--db", str(db), "--today", "2026-06-10", *args)
    assert result.exit_code in (1, 2), result.output
    assert_clean(result, command=args[:1])
    assert dump(db) == before


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.yaml"
    with open(huge, "w") as handle:
        handle.write("a: " + "x" * 3_000_000 + "\n")
    assert "may be at most" in run_cli("validate", str(huge)).output
    result = run_cli("--db", str(tmp_path / "x.db"), "--today", "2026-06-10", "case", "open", "LSBU-2026-001",
                     "--on", "2026-06-01", "--facts", str(huge))
    assert result.exit_code == 1 and "at most 1,000,000 bytes" in result.output
    assert not (tmp_path / "x.db").exists()


# --- hostile database files ------------------------------------------------------------------------


def make(kind: str, path, template) -> None:
    if kind == "text":
        path.write_text("this is not a database\n" * 50)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "truncated":
        path.write_bytes(template.read_bytes()[:3000])
    elif kind == "other_app":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE patients (name TEXT)")
        conn.commit()
        conn.close()
    elif kind == "other_app_with_migrations":  # another application's file that happens to version its schema too
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.execute("CREATE TABLE invoices (amount INTEGER)")
        conn.commit()
        conn.close()
    elif kind == "newer":
        shutil.copy(template, path)
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO _migrations VALUES (999, 'the future', '2099-01-01')")
        conn.commit()
        conn.close()
    elif kind == "folder":
        path.mkdir()


DB_KINDS = ["text", "empty", "garbage", "truncated", "other_app", "other_app_with_migrations", "newer", "folder"]


@pytest.mark.parametrize("kind", DB_KINDS)
@pytest.mark.parametrize("args", [["case", "list"], ["case", "show", "LSBU-2026-015"], ["deadlines"],
                                  ["audit", "verify"], ["rebuild"],
                                  ["case", "open", "LSBU-2026-099", "--on", "2026-06-01"]],
                         ids=lambda a: "-".join(a[:2]))
def test_hostile_database_files_are_refused_and_left_alone(template, tmp_path, kind, args):
    path = tmp_path / "bad.db"
    make(kind, path, template)
    before = path.read_bytes() if path.is_file() else None
    result = run_cli("--db", str(path), "--today", "2026-06-10", *args)
    if kind == "empty" and args[:2] == ["case", "open"]:
        # an empty file is a database waiting to be created: it becomes one, readable by its owner only
        assert result.exit_code == 0 and oct(path.stat().st_mode & 0o777) == "0o600"
        return
    assert result.exit_code == 1, result.output
    assert_clean(result)
    if before is not None:
        assert path.read_bytes() == before


def test_a_read_only_database_is_refused(template, tmp_path):
    """A database on a read-only mount (permissions do not stop root, a read-only filesystem does)."""
    import os
    import subprocess

    mount = tmp_path / "ro"
    mount.mkdir()
    shutil.copy(template, mount / "cases.db")
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(mount), str(mount)], capture_output=True).returncode == 0
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("this machine does not allow a read-only bind mount")
        os.chmod(mount / "cases.db", 0o400)
        os.chmod(mount, 0o500)
    try:
        before = (mount / "cases.db").read_bytes()
        result = run_cli("--db", str(mount / "cases.db"), "--today", "2026-06-10", "case", "note", "LSBU-2026-015", "x")
        assert result.exit_code == 1, result.output
        assert_clean(result)
        assert "read-only" in result.output
        assert (mount / "cases.db").read_bytes() == before
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        else:
            os.chmod(mount, 0o700)
