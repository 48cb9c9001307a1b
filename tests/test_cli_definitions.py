"""`cspr validate`, `cspr process show` and `cspr calendar` through the real CLI."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import FIXTURES, ROOT, run_cli


def test_validate_defaults_to_every_shipped_process(cspr):
    result = cspr("validate")
    assert result.exit_code == 0, result.output
    assert "OK " in result.output and "cspr_pan_lancashire.yaml (cspr_pan_lancashire 2025.2)" in result.output


def test_validate_reports_each_problem_as_file_line_col_path_message(cspr):
    path = FIXTURES / "broken" / "several_problems.yaml"
    result = cspr("validate", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert len(lines) == 2  # the cause first, not the unreachable state it causes
    assert lines[0].endswith(":49:9: events.finish.to: unknown state 'don'; did you mean 'done'?")
    assert "2 problems found." in result.stderr


def test_validate_mixes_valid_and_invalid_files(cspr):
    result = cspr("validate", str(FIXTURES / "minimal.yaml"), str(FIXTURES / "broken" / "empty.yaml"))
    assert result.exit_code == 1
    assert "OK " in result.stdout and "the file is empty" in result.stdout


def test_validate_json(cspr):
    result = cspr("validate", "--json", str(FIXTURES / "minimal.yaml"), str(FIXTURES / "broken" / "unknown_role.yaml"))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [r["valid"] for r in report] == [True, False]
    assert report[0]["content_hash"].startswith("sha256:")
    assert report[1]["problems"][0]["line"] == 50


def test_validate_a_missing_file_is_one_line(cspr):
    result = cspr("validate", "no/such/file.yaml")
    assert result.exit_code == 1
    assert "no such file" in result.stdout
    assert "Traceback" not in result.output


def test_process_show_in_words(cspr):
    result = cspr("process", "show", "cspr_pan_lancashire@2025.1")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for words in (
        "Pan Lancashire child safeguarding practice reviews",
        "Serious incident notification to the National Panel: 5 working days after 'Date the local authority became aware of the incident'",
        "Rapid review sent to the National Panel: 15 working days after the event 'Serious incident notification sent to the National Panel'",
        "signed off by Lancashire and South Cumbria Integrated Care Board, Lancashire Children's Social Care and Lancashire Constabulary",
        "(unverified)",
    ):
        assert words in text, words


def test_process_show_by_file_id_and_version(cspr):
    by_file = cspr("process", "show", "--json", str(FIXTURES / "minimal.yaml"))
    assert json.loads(by_file.stdout)["definition"]["id"] == "minimal"
    by_id = cspr("process", "show", "--json", "cspr_pan_lancashire@2025.1")
    assert json.loads(by_id.stdout)["definition"]["version"] == "2025.1"
    unknown = cspr("process", "show", "nonesuch")
    assert unknown.exit_code == 1 and unknown.output.startswith("Error: no process 'nonesuch'")
    bad_version = cspr("process", "show", "cspr_pan_lancashire@9")
    assert bad_version.exit_code == 1 and "has no version '9'" in bad_version.output


def test_process_show_of_a_broken_file_is_one_line(cspr):
    result = cspr("process", "show", str(FIXTURES / "broken" / "several_problems.yaml"))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "and 1 more problem; run 'cspr validate" in result.output


def test_calendar_add_and_between(cspr):
    result = cspr("calendar", "add", "2023-05-02", "5")
    assert result.exit_code == 0
    assert result.stdout.startswith("2023-05-10 (Wednesday): 5 working days after 2023-05-02 (Tuesday)")
    assert "skipped 2023-05-08 Coronation of Charles III" in result.stdout
    data = json.loads(cspr("calendar", "add", "2023-05-10", "-5", "--json").stdout)
    assert data["date"] == "2023-05-02"
    between = json.loads(cspr("calendar", "between", "2025-12-22", "2026-01-05", "--json").stdout)
    assert between["working_days"] == 7  # 23, 24, 29, 30, 31 Dec, 2 and 5 Jan
    assert [h["date"] for h in between["holidays_skipped"]] == ["2025-12-25", "2025-12-26", "2026-01-01"]


def test_calendar_uses_a_process_calendar_with_closures(cspr):
    plain = json.loads(cspr("calendar", "add", "2024-12-23", "1", "--json").stdout)
    closed = json.loads(cspr("calendar", "add", "2024-12-23", "1", "--json", "--process", str(FIXTURES / "every_key.yaml")).stdout)
    assert (plain["date"], closed["date"]) == ("2024-12-24", "2024-12-27")


@pytest.mark.parametrize("args,status,words", [
    (["calendar", "add", "2023-02-30", "5"], 2, "'2023-02-30' is not a real date"),
    (["calendar", "add", "10/05/2023", "5"], 2, "write it as YYYY-MM-DD"),
    (["calendar", "add", "2023-05-02", "five"], 2, "'five' is not a valid integer"),
    (["calendar", "add", "2023-05-02", "99999"], 2, "99999 is not in the range"),
    (["calendar", "add", "2199-12-01", "3000"], 1, "dates must fall between 1900 and 2200"),
    (["calendar", "between", "2023-05-02"], 2, "Missing argument 'END'"),
    (["calendar", "frobnicate"], 2, "No such command 'frobnicate'"),
    (["process", "show", "missing.yaml"], 1, "no such file"),
    (["validate", "--colour"], 2, "No such option '--colour'"),
])
def test_bad_arguments_get_one_line_and_status(cspr, args, status, words):
    result = cspr(*args)
    assert result.exit_code == status, result.output
    assert result.output.startswith("Error: "), result.output
    assert result.output.count("\n") == 1, result.output
    assert words in result.output


def test_every_command_has_help_text(cspr):
    import click

    from cspr.cli.app import COMMANDS, cli

    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command.help, name
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                assert sub.help, f"{name} {sub.name}"
        assert cspr(name, "--help").exit_code == 0


def _all_commands():
    """Every command and subcommand, as (path, command)."""
    import click

    from cspr.cli.app import cli

    out = []

    def walk(group, path, ctx):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            out.append((f"{path} {name}", command))
            if isinstance(command, click.Group):
                walk(command, f"{path} {name}", click.Context(command, info_name=name, parent=ctx))

    walk(cli, "cspr", click.Context(cli, info_name="cspr"))
    return out


def test_every_summary_is_one_whole_sentence():
    """The first paragraph of each command's docstring is its one-line help: short, and a full sentence."""
    from cspr.cli.groups import summary

    for path, command in _all_commands():
        text = summary(command)
        assert text.endswith(".") and not text.endswith("..."), f"{path}: {text!r}"
        assert len(text) <= 72, f"{path}: keep the summary to one short sentence, more in the next paragraph: {text!r}"
        assert text[0].isupper(), f"{path}: {text!r}"


@pytest.mark.parametrize("columns", ["50", "80", "200"])
def test_help_lists_every_summary_whole_at_any_width(columns):
    """Click's own list cuts summaries to fit ("Open case REF (e.g."); ours wraps them whole."""
    import click

    from cspr.cli.groups import summary


    for path, command in [("cspr", None), *_all_commands()]:
        if command is not None and not isinstance(command, click.Group):
            continue
        args = path.split()[1:]
        result = run_cli(*args, "--help", env={"COLUMNS": columns})
        assert result.exit_code == 0, result.output
        listing = " ".join(result.output.split("Commands:", 1)[1].split())
        assert "..." not in listing, f"{path} --help cuts a summary at {columns} columns"
        group = command or __import__("cspr.cli.app", fromlist=["cli"]).cli
        for name in group.list_commands(click.Context(group)):
            assert f"{name} {summary(group.get_command(click.Context(group), name))}" in listing, (path, name)


def test_help_lists_the_commands(cspr):
    result = cspr("--help")
    assert result.exit_code == 0
    for name in ("validate", "process", "calendar"):
        assert name in result.stdout


def test_validate_a_copied_process_after_editing(tmp_path, cspr):
    """The policy lead's loop: copy, change a timescale, validate."""
    copy = tmp_path / "draft.yaml"
    shutil.copy(ROOT / "processes" / "cspr_pan_lancashire.yaml", copy)
    copy.write_text(copy.read_text().replace("period: {working_days: 15}", "period: {working_days: fifteen}"))
    result = cspr("validate", str(copy))
    assert result.exit_code == 1
    assert "deadlines.rapid_review.period.working_days: expected a whole number, got text" in result.stdout


def test_no_arguments_shows_the_help():
    from .conftest import run_cli

    result = run_cli()
    assert result.exit_code == 0 and result.output == run_cli("--help").output


def test_the_help_imports_no_engine_and_no_heavy_library():
    """Command modules import the engine inside their functions, so `cspr --help` stays fast (bench/)."""
    import subprocess
    import sys

    probe = ("import sys\nfrom cspr.cli.entry import main\nsys.argv = ['cspr', '--help']\ntry:\n    main()\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'jsonschema', 'transitions', "
             "'holidays', 'sqlite_utils', 'sqlite3', 'jinja2') or (m.startswith('cspr.engine.') and m != "
             "'cspr.engine.errors')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_process_show_unverified_lists_every_unverified_reading_with_its_note():
    from cspr.engine.definition.catalog import resolve
    from cspr.engine.definition.describe import citation_verified
    from cspr.engine.definition.readings import citations

    definition = resolve("cspr_pan_lancashire")
    expected = {where for where, _, cite in citations(definition) if not citation_verified(definition, cite)}
    expected |= {f"sources.{s.id}" for s in definition.sources.values() if not s.verified}
    assert expected, "the shipped process has unverified readings"
    result = run_cli("process", "show", "--unverified", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["unverified"]
    assert {item["where"] for item in listed} == expected
    assert all(item["note"] for item in listed), "every unverified reading says what is uncertain"
    text = run_cli("process", "show", "--unverified")
    assert text.exit_code == 0
    assert f"Unverified readings in cspr_pan_lancashire {definition.version}: {len(listed)}" in text.stdout
    for item in listed:
        assert f"{item['where']}: {item['what']}" in text.stdout
