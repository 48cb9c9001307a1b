"""Validation found in the trial of language 2 (issue 10, item 10), through `cspr validate` as a policy lead runs it."""

from __future__ import annotations

from .conftest import ROOT, run_cli

DHR = (ROOT / "tests" / "fixtures" / "processes" / "dhr.yaml").read_text()


def validate(tmp_path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "draft.yaml"
    path.write_text(text)
    result = run_cli("validate", str(path))
    return result.exit_code, [line.replace(str(path), "draft.yaml") for line in result.output.splitlines()]


def test_a_tab_names_itself(tmp_path):
    status, lines = validate(tmp_path, DHR.replace("  csp_chair:\n    name: Chair", "  csp_chair:\n\tname: Chair", 1))
    assert status == 1
    assert lines[0] == "draft.yaml:54:1: (document): tab character at 54:1; YAML indents with spaces"


def test_a_schema_error_does_not_hide_the_other_problems_of_the_document(tmp_path):
    text = DHR.replace("    period: {working_days: 30}\n", "    period: {working_days: thirty}\n", 1)
    text = text.replace("    met_by: report_published\n", "    met_by: report_publishd\n", 1)
    status, lines = validate(tmp_path, text)
    assert status == 1
    assert lines == [
        "draft.yaml:93:28: tasks.agency_report.period.working_days: expected a whole number, got text",
        "draft.yaml:282:13: deadlines.publication.met_by: unknown event 'report_publishd'; did you mean 'report_published'?",
        "2 problems found.",
    ]


def test_a_warning_period_longer_than_its_deadline_is_refused(tmp_path):
    text = DHR.replace("    warn: {working_days: 5}\n", "    warn: {working_days: 40}\n", 1)
    text = text.replace("    warn: {calendar_days: 28}\n", "    warn: {months: 7}\n", 1)
    status, lines = validate(tmp_path, text)
    assert status == 1
    assert lines == [
        "draft.yaml:95:11: tasks.agency_report.warn: the warning period is longer than the task's own period",
        "draft.yaml:260:11: deadlines.overview_report.warn: the warning period is longer than the deadline's own period; "
        "it would count as due soon before it starts",
        "2 problems found.",
    ]



def test_the_engine_names_no_process():
    """No domain words in engine/ (issue 10). 'child' is left out: the engine uses it for a rule's or a YAML
    node's children, never for a person."""
    import re

    found = []
    for path in sorted((ROOT / "engine").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".css", ".j2", ".txt"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if re.search(r"lsbu|panel|aware|safeguard|lancashire|\bchildren's\b", line, re.I):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
