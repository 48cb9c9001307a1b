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


def test_repeatable_flags_accept_comma_lists():
    from cspr.cli.output import comma_list

    assert comma_list(None, None, ("a,b", "c")) == ("a", "b", "c")  # type: ignore[arg-type]
    refused = run_cli("action", "add", "X", "text", "--stage", "s", "--owner", "o", "--due", "2026-01-01",
                      "--agreed-by", "a,,b")
    assert refused.exit_code == 2 and "empty item" in refused.output


def test_validate_without_files_checks_processes_here_and_names_them(tmp_path, monkeypatch):
    (tmp_path / "processes").mkdir()
    (tmp_path / "processes" / "broken.yaml").write_text("id: [\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate")
    assert result.exit_code == 1
    assert "processes/broken.yaml:" in result.output and "Checked 1 file in ./processes/." in result.output
    (tmp_path / "processes" / "broken.yaml").unlink()
    (tmp_path / "processes").rmdir()
    installed = run_cli("validate")
    assert installed.exit_code == 0 and "Checked" in installed.output and "the installed processes" in installed.output


def test_every_command_that_prints_data_takes_json():
    import json

    graph = json.loads(run_cli("graph", "--json").stdout)
    assert graph["stages"] and graph["transitions"]
    diff = json.loads(run_cli("diff", "cspr_pan_lancashire@2023.1", "cspr_pan_lancashire@2025.1", "--json").stdout)
    assert diff["differences"] > 0


def test_export_takes_json(tmp_path):
    import json

    db = str(tmp_path / "c.db")
    run_cli("--db", db, "--today", "2026-06-03", "case", "open", "LSBU-2026-101", "--on", "2026-06-01",
            "--fact", "harm=died")
    rows = json.loads(run_cli("--db", db, "export", "cases", "--json").stdout)
    assert [r["ref"] for r in rows] == ["LSBU-2026-101"]


def test_text_fits_the_terminal_only_when_there_is_one():
    from cspr.cli.output import Row, fit

    long = "  word " * 30
    assert fit([long, Row("R" * 200)], None) == [long, Row("R" * 200)]
    wrapped = fit([long, Row("R" * 200)], 40)
    assert all(len(line) <= 40 for line in wrapped)
    assert wrapped[-1] == "R" * 39 + "…"
    assert all(line.startswith("      ") for line in wrapped[1:-1])


def test_text_on_a_terminal_is_fitted_to_columns(tmp_path):
    import pty

    primary, secondary = pty.openpty()
    done = subprocess.run([CSPR, "diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1"],
                          stdout=secondary, stderr=subprocess.PIPE, env=dict(os.environ, COLUMNS="80"), timeout=60)
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    lines = out.decode().splitlines()
    assert done.returncode == 1 and len(lines) > 20
    assert max(len(line) for line in lines) <= 80
    piped = subprocess.run([CSPR, "diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1"],
                           capture_output=True, text=True, env=dict(os.environ, COLUMNS="80"), timeout=60)
    assert max(len(line) for line in piped.stdout.splitlines()) > 80  # piped: every line whole
