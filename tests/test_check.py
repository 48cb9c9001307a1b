"""`cspr check`: scenario files run through the engine in memory, each failed expectation at its line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from .conftest import ROOT, run_cli

SCENARIO = """\
# yaml-language-server: $schema=../../schemas/scenario.v1.schema.json
process: {process}
today: 2025-12-15
cases:
  - ref: SAR-2024-07
    open:
      on: 2024-12-20
      facts: {{adult_outcome: adult_died}}
    steps:
      - on: 2024-12-20
        event: sar_referral_made
        facts: {{has_care_support_needs: true, abuse_neglect_belief: belief_suspected, joint_working_concern: true}}
      - expect:
          state: subgroup_screening
          deadlines:
            sar_screening_decision: {{due: 2025-01-16, status: overdue}}
      - {{on: 2025-01-14, event: sar_agreed, refused: "needs sign-off"}}
"""


def write(folder: Path, text: str, name: str = "one.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def process_path() -> str:
    return str(ROOT / "tests" / "fixtures" / "processes" / "adult_review.yaml")


def test_a_passing_scenario_folder_exits_0_and_counts(tmp_path):
    write(tmp_path / "ok", SCENARIO.format(process=process_path()))
    result = run_cli("check", str(tmp_path / "ok"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "4 passed, 0 failed\n"


def test_a_wrong_expectation_exits_1_and_names_the_file_and_line(tmp_path):
    text = SCENARIO.format(process=process_path()).replace("due: 2025-01-16", "due: 2025-01-15")
    path = write(tmp_path / "wrong", text)
    result = run_cli("check", str(tmp_path / "wrong"))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:16: expected deadline sar_screening_decision due 2025-01-15, got 2025-01-16",
        "3 passed, 1 failed",
    ]


def test_a_refusal_that_does_not_come_is_a_failure_at_its_line(tmp_path):
    text = SCENARIO.format(process=process_path()).replace('refused: "needs sign-off"', 'refused: "no such words"')
    path = write(tmp_path / "refusal", text)
    result = run_cli("check", "--json", str(path))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["failed"] == 1 and report["passed"] == 3 and report["files"] == [str(path)]
    (failure,) = report["failures"]
    assert failure["line"] == 17 and failure["what"] == "a refusal saying"
    assert "needs sign-off from Independent chair" in failure["got"]


def test_a_malformed_scenario_is_reported_at_its_line(tmp_path):
    text = SCENARIO.format(process=process_path()).replace("          state: subgroup_screening",
                                                           "          stat: subgroup_screening")
    path = write(tmp_path / "bad", text)
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(f"{path}:14: expected a valid scenario")
    assert "unknown key 'stat'; did you mean 'state'?" in result.stdout


def test_check_writes_no_database(tmp_path):
    write(tmp_path / "ok", SCENARIO.format(process=process_path()))
    before = set(tmp_path.rglob("*"))
    done = subprocess.run([str(Path(__import__("sys").executable).parent / "cspr"), "check", str(tmp_path / "ok")],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert set(tmp_path.rglob("*")) == before  # no cspr.db, no journal, nothing


def test_process_gives_a_draft_of_the_same_process(tmp_path):
    """A draft with a longer screening period: the scenarios written for the process run under the draft."""
    draft = tmp_path / "draft.yaml"
    draft.write_text(Path(process_path()).read_text().replace("period: {working_days: 15}", "period: {working_days: 16}"))
    write(tmp_path / "ok", SCENARIO.format(process="sar_care_act_s44@0.1").replace(
        "process: sar_care_act_s44@0.1", f"process: {process_path()}"))
    result = run_cli("check", "--process", str(draft), str(tmp_path / "ok"))
    assert result.exit_code == 1
    assert "expected deadline sar_screening_decision due 2025-01-16, got 2025-01-17" in result.stdout


def test_every_shipped_scenario_passes():
    result = run_cli("check", str(ROOT / "scenarios"), str(ROOT / "tests" / "scenarios"))
    assert result.exit_code == 0, result.stdout
    assert re.fullmatch(r"\d+ passed, 0 failed\n", result.stdout)


def test_the_cli_names_no_process():
    """No domain words in the CLI's help or messages outside the demo (issue 10)."""
    found = []
    for path in [*sorted((ROOT / "cspr_cli").glob("*.py")), ROOT / "cli.py"]:
        if path.name == "demo.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"child|lsbu|panel|aware", line, re.I):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []


def test_with_no_path_it_runs_the_scenarios_folder_here_and_says_so(tmp_path, monkeypatch):
    write(tmp_path / "scenarios", SCENARIO.format(process=process_path()))
    monkeypatch.chdir(tmp_path)
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Checking the scenarios in ./scenarios/\n4 passed, 0 failed\n"


def test_with_no_path_and_no_scenarios_folder_it_runs_the_installed_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    first, last = result.stdout.splitlines()
    assert first.startswith("Checking the installed scenarios (") and re.fullmatch(r"\d+ passed, 0 failed", last)


def test_scenarios_run_in_memory_touch_neither_the_key_file_nor_the_anchor_log(tmp_path, monkeypatch):
    """A scenario run keeps nothing: its databases live in memory, sealed with keys made for them, and none of
    their heads goes to the anchor log (which names only databases that are kept)."""
    key, log = tmp_path / "key", tmp_path / "anchors.log"
    monkeypatch.setenv("CSPR_KEY_FILE", str(key))
    monkeypatch.setenv("CSPR_ANCHOR_LOG", str(log))
    result = run_cli("check", str(ROOT / "scenarios"))
    assert result.exit_code == 0, result.output
    assert re.search(r"\b[1-9]\d* passed, 0 failed", result.output)
    assert not key.exists() and not log.exists()
