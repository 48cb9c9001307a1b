"""The README's shell sessions are real: each `$ cspr ...` line runs in a subprocess
and must print exactly what the README shows, with the exit status it shows.
A session line `$ export NAME=VALUE` sets NAME for the lines after it, as in a
shell: the README's first session states the date it was run on that way
(`export CSPR_TODAY=...`), so it reads true on any day.

To refresh the README after a deliberate change of output:

    .venv/bin/python -m tests.test_readme --update
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_EXPORT = re.compile(r"export ([A-Z_]+)=(\S+)")


@dataclass
class Step:
    command: str
    expected: str
    status: int


def sessions(text: str) -> list[list[Step]]:
    """Each ```console block: `$ command` lines, output, and an optional `[exit N]` line."""
    blocks = []
    for block in _BLOCK.findall(text):
        steps: list[Step] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:], "", 0))
            elif steps:
                match = re.fullmatch(r"\[exit (\d+)\]", line)
                if match:
                    steps[-1].status = int(match.group(1))
                else:
                    steps[-1].expected += line + "\n"
        blocks.append(steps)
    return blocks


def environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CSPR_DB"] = str(workdir / "readme.db")
    env.pop("CSPR_TODAY", None)  # the README states its own date
    env["COLUMNS"] = "100"
    env.pop("CSPR_DEBUG", None)
    return env


def run(step: Step, workdir: Path, exports: dict[str, str]) -> tuple[str, int]:
    """Run one session line; an `export NAME=VALUE` line only sets NAME for the lines after it."""
    match = _EXPORT.fullmatch(step.command)
    if match:
        exports[match.group(1)] = match.group(2)
        return "", 0
    done = subprocess.run(
        step.command, shell=True, cwd=ROOT, env=environment(workdir) | exports,
        capture_output=True, text=True, timeout=120,
    )
    return done.stdout + done.stderr, done.returncode


def test_readme_starts_with_make_demo_and_make_test():
    head = README.read_text().split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head
    assert head.index("make demo") < head.index("make test")


def test_readme_has_sessions():
    assert sum(len(s) for s in sessions(README.read_text())) >= 5


def test_readme_states_the_date_its_sessions_ran_on():
    """The first session starts with `$ export CSPR_TODAY=...`: the examples read true on any day."""
    first = sessions(README.read_text())[0][0]
    assert _EXPORT.fullmatch(first.command) and first.command.startswith("export CSPR_TODAY="), first.command


def test_readme_sessions_run_as_shown(tmp_path):
    """The sessions run in order on one database, as a reader would type them."""
    exports: dict[str, str] = {}
    for block in sessions(README.read_text()):
        for step in block:
            output, status = run(step, tmp_path, exports)
            assert (output.rstrip(), status) == (step.expected.rstrip(), step.status), f"$ {step.command}"


def test_readme_definition_examples_validate():
    """Every ```yaml block of the README is a whole definition that validates, with its initial and final states;
    the 'Language 2' section's blocks are parts of one, checked by tests/test_readme_language.py."""
    from cspr.engine.definition.loader import check_text

    text = README.read_text()
    before, rest = text.split("\n## Language 2\n", 1)
    after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
    blocks = re.findall(r"```yaml\n(.*?)```", before + after, re.S)
    assert blocks
    for block in blocks:
        definition, problems = check_text(block, "README.md")
        assert definition is not None, [str(p) for p in problems]
        assert "initial: true" in block and "final: true" in block


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_runs_in_a_subprocess(tmp_path):
    """`make demo`, as a new user types it, using the environment these tests run in."""
    venv = Path(sys.prefix)
    done = subprocess.run(
        ["make", "--no-print-directory", "demo", f"VENV={venv}"],
        cwd=ROOT, env=environment(tmp_path), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    # the README's abridged ending: each of its lines, in its order, is a line the demo printed
    shown = README.read_text().split("It ends like this (abridged):\n\n```text\n", 1)[1].split("```", 1)[0]
    printed = iter(line.rstrip() for line in done.stdout.splitlines())
    for line in (line.rstrip() for line in shown.splitlines() if line.strip()):
        assert line in printed, f"the README's demo ending shows {line!r}, which the demo no longer prints there"


def test_the_performance_section_quotes_the_last_benchmark_run():
    """Every ratio in the README's performance tables is one bench/results.json holds (to two or three places)."""
    import json

    results = json.loads((ROOT / "bench" / "results.json").read_text())
    measured = {f"{value:.{places}f}" for value in results["ratios"].values() for places in (2, 3)}
    section = README.read_text().split("## Performance", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    quoted = [number for cells in rows[1:] if cells[1].strip() != "measure"
              for number in re.findall(r"(?<![\d,.])\d+\.\d\d\d?(?!\d)", cells[3].split("(")[0])]
    assert quoted, "the performance section quotes no ratio"
    stale = [number for number in quoted if number not in measured]
    assert not stale, f"the README quotes {stale}, which bench/results.json does not hold: copy the new figures"


def update() -> None:
    """Rewrite each session's output with what the commands print now."""
    import tempfile

    text = README.read_text()
    exports: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def refresh(match: re.Match[str]) -> str:
            out = []
            for step in sessions(match.group(0))[0]:
                output, status = run(step, Path(tmp), exports)
                out.append(f"$ {step.command}\n{output.rstrip()}\n" if output.strip() else f"$ {step.command}\n")
                if status:
                    out.append(f"[exit {status}]\n")
            return "```console\n" + "".join(out) + "```"

        README.write_text(_BLOCK.sub(refresh, text))


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
