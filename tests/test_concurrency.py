"""Several processes at once, and processes killed mid-write: nothing lost, nothing half-written.
Each test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

from .conftest import ROOT, run_cli

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def writer(*args):
    return subprocess.Popen([sys.executable, "-m", "tests.helpers.writer", *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(processes):
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


def verify(db):
    result = run_cli("--db", db.spec, "--today", "2026-06-10", "audit", "verify", "--json")
    assert result.exit_code in (0, 1) and result.stdout.startswith("{"), result.output
    report = json.loads(result.stdout)
    assert report["ok"], report["findings"]
    return report


def test_eight_processes_writing_fifty_entries_each_to_one_case(database):
    db = database
    assert run_cli("--db", db.spec, "--today", "2026-06-10", "case", "open", "LSBU-2026-001", "--on", "2026-06-01").exit_code == 0
    finish([writer("notes", db.spec, "LSBU-2026-001", 50) for _ in range(8)])
    rows = db.rows("SELECT seq, note, actor FROM events WHERE case_ref = 'LSBU-2026-001' ORDER BY id")
    assert [seq for seq, _, _ in rows] == list(range(1, 402))  # stored once each, in chain order, no gaps
    notes = [note for _, note, _ in rows[1:]]
    assert len(set(notes)) == 400
    assert len({actor for _, _, actor in rows[1:]}) == 8
    assert verify(db)["entries"] == 401


def test_eight_processes_opening_fifty_cases_each(database):
    db = database
    finish([writer("open", db.spec, f"LSBU-20{10 + i}", 50) for i in range(8)])
    report = verify(db)
    assert (report["cases"], report["entries"]) == (400, 400)
    assert len(json.loads(run_cli("--db", db.spec, "--today", "2026-06-10", "case", "list", "--json").stdout)) == 400


def test_a_command_that_loses_a_race_is_refused_not_applied_twice(database):
    db = database
    cspr = lambda *a: run_cli("--db", db.spec, "--today", "2026-06-10", *a)  # noqa: E731
    assert cspr("case", "open", "LSBU-2026-001", "--on", "2026-06-01").exit_code == 0
    assert cspr("case", "signoff", "LSBU-2026-001", "agency_safeguarding_lead", "--on", "2026-06-01").exit_code == 0
    assert cspr("case", "record", "LSBU-2026-001", "referral_submitted", "--on", "2026-06-02", "--fact", "harm=died",
                "--fact", "abuse_or_neglect=suspected", "--fact", "referring_agency=School").exit_code == 0
    outputs = finish([writer("race", db.spec, "LSBU-2026-001", "case_consideration_arranged") for _ in range(4)])
    assert sorted(o.split(":")[0].strip() for o in outputs) == ["ok", "refused", "refused", "refused"]
    assert all("the case is at 'Case consideration meeting with the three partners'" in o for o in outputs if o.startswith("refused"))
    assert db.rows("SELECT COUNT(*) FROM events WHERE name = 'case_consideration_arranged'")[0][0] == 1
    verify(db)


def test_killed_writers_leave_all_or_nothing(database):
    """SIGKILL a busy writer at random moments, 12 times; the database must check out every time."""
    db = database
    rng = random.Random(20261125)
    for attempt in range(12):
        process = writer("churn", db.spec, f"LSBU-{2000 + attempt}")
        assert process.stdout is not None and process.stdout.readline() == "started\n"  # a busy machine starts slowly
        time.sleep(rng.uniform(0.4, 1.2))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        if db.engine == "sqlite":
            assert db.rows("PRAGMA integrity_check")[0][0] == "ok"
        assert verify(db)["integrity_check"] == "ok"  # chains intact, projections match: no command half-applied
    assert db.rows("SELECT COUNT(*) FROM events")[0][0] > 12


def test_verifying_while_eight_processes_write_never_raises_a_false_alarm(database, tmp_path):
    """200 full verifications, each of one snapshot, while 8 processes write: not one reports tampering."""
    db = database
    assert run_cli("--db", db.spec, "--today", "2026-06-10", "case", "open", "LSBU-2026-001", "--on", "2026-06-01").exit_code == 0
    stop = tmp_path / "stop"
    writers = [writer("busy", db.spec, f"LSBU-30{10 + i}", stop, 0.25) for i in range(8)]
    verifier = writer("verify", db.spec, 200, stop)
    alarms, progress = verifier.communicate(timeout=600)
    finish(writers)
    assert verifier.returncode == 0, progress
    assert alarms == "", alarms  # each line would be a verification that failed on an intact database
    sizes = [int(line.split()[1]) for line in progress.splitlines() if line.startswith("entries ")]
    assert len(sizes) == 200 and sizes[-1] > sizes[0]  # the database grew while it was verified
    assert verify(db)["entries"] > sizes[-1] - 1
