"""The newcomer's path (issue 15): one set of conventions across commands, blockers that say what
to type, a demo that leaves nothing behind when interrupted, and click's shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cspr.cli.app import hoist_global_options

from .conftest import run_cli

CSPR = str(Path(sys.executable).parent / "cspr")


def test_global_options_after_the_subcommand_mean_the_same():
    assert hoist_global_options(["case", "show", "X", "--today", "2026-01-02", "--actor=ann"]) == [
        "--today", "2026-01-02", "--actor=ann", "case", "show", "X"]
    assert hoist_global_options(["--today", "2026-01-02", "case", "list"]) == ["--today", "2026-01-02", "case", "list"]
    assert hoist_global_options(["case", "note", "X", "--", "--today"]) == ["case", "note", "X", "--", "--today"]


def test_today_after_the_subcommand_works_on_a_real_database(tmp_path):
    db = str(tmp_path / "c.db")
    opened = run_cli("case", "open", "LSBU-2026-101", "--on", "2026-06-01", "--fact", "harm=died",
                     "--db", db, "--today", "2026-06-03")
    assert opened.exit_code == 0, opened.output
    before = run_cli("--db", db, "--today", "2026-06-03", "deadlines")
    after = run_cli("deadlines", "--db", db, "--today", "2026-06-03")
    assert after.exit_code == 0 and after.output == before.output
    assert "(today 2026-06-03)" in after.output


def test_a_blocker_about_a_missing_fact_names_the_fact_and_the_command(tmp_path):
    db = str(tmp_path / "c.db")
    run_cli("--db", db, "--today", "2026-06-03", "case", "open", "LSBU-2026-101", "--on", "2026-06-01",
            "--fact", "harm=died", "--fact", "abuse_or_neglect=suspected")
    shown = run_cli("--db", db, "--today", "2026-06-03", "case", "show", "LSBU-2026-101")
    assert "(cspr case fact LSBU-2026-101 sudi=yes|no)" in shown.output
    recorded = run_cli("--db", db, "--today", "2026-06-03", "case", "fact", "LSBU-2026-101", "sudi=no")
    assert recorded.exit_code == 0, recorded.output


def test_an_interrupted_demo_leaves_nothing_and_a_rerun_works(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CSPR_DB", "CSPR_TODAY")}
    head = subprocess.run(f"'{CSPR}' demo --db demo.db | head -1", shell=True, cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert head.stdout.startswith("cspr demo:")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    done = subprocess.run([CSPR, "demo", "--db", "demo.db"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]
    hint = done.stdout.strip().splitlines()[-1]
    assert hint.startswith("Try: ") and "--db demo.db" in hint


def test_shell_completion_script_is_produced():
    for shell, marker in (("bash", "_cspr_completion"), ("zsh", "#compdef cspr"), ("fish", "complete")):
        done = subprocess.run([CSPR], env=dict(os.environ, _CSPR_COMPLETE=f"{shell}_source"),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and marker in done.stdout, (shell, done.stdout[:200], done.stderr)
    words = subprocess.run([CSPR], env=dict(os.environ, _CSPR_COMPLETE="bash_complete", COMP_WORDS="cspr ca",
                                            COMP_CWORD="1"), capture_output=True, text=True, timeout=60)
    assert "plain,case" in words.stdout.splitlines()
