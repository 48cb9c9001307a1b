"""Editions: version pinning, the semantic diff, impact on open cases, migration, diagrams."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cspr.engine.definition.catalog import resolve, shipped
from cspr.engine.definition.diff import diff
from cspr.engine.definition.loader import load_file, load_text
from cspr.engine.definition.yamlsafe import parse_yaml
from cspr.engine.errors import DefinitionError

from .conftest import FIXTURES, ROOT, dump, examples, run_cli

CURRENT = ROOT / "processes" / "history" / "cspr_pan_lancashire_panel2025.yaml"  # 2025.1, the text the edits below change
WT2023 = ROOT / "processes" / "history" / "cspr_pan_lancashire_wt2023.yaml"
WT2018 = ROOT / "processes" / "history" / "cspr_pan_lancashire_wt2018.yaml"




# --- versions in effect ------------------------------------------------------------------


def test_the_editions_are_shipped_and_chained():
    versions = {d.version: d for d in shipped() if d.id == "cspr_pan_lancashire"}
    assert set(versions) == {"2018.1", "2018.2", "2022.1", "2022.2", "2023.1", "2023.2", "2025.1", "2025.2"}
    assert versions["2025.2"].supersedes == "2025.1"
    # corrections (issue 11): the same effective date, superseding the uncorrected version, which stays shipped
    for old, new in [("2018.1", "2018.2"), ("2022.1", "2022.2"), ("2023.1", "2023.2"), ("2025.1", "2025.2")]:
        assert versions[new].supersedes == old and versions[new].effective_from == versions[old].effective_from
    assert versions["2025.1"].supersedes == "2023.1"
    assert versions["2023.1"].supersedes == "2022.1"
    assert versions["2022.1"].supersedes == "2018.1"
    assert versions["2018.1"].supersedes is None


@pytest.mark.parametrize("aware_on,version", [
    ("2019-03-01", "2018.2"), ("2022-06-30", "2018.2"), ("2022-07-01", "2022.2"), ("2023-12-14", "2022.2"),
    ("2023-12-15", "2023.2"),
    ("2025-05-31", "2023.2"), ("2025-06-01", "2025.2"), ("2026-11-25", "2025.2"),
])
def test_a_new_case_takes_the_version_in_effect_on_its_awareness_date(aware_on, version, tmp_path):
    assert resolve("cspr_pan_lancashire", dt.date.fromisoformat(aware_on)).version == version
    result = run_cli("--db", str(tmp_path / "x.db"), "--today", "2026-11-25", "case", "open", "LSBU-2024-001",
                     "--on", aware_on, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["process"]["version"] == version


def test_a_correction_with_the_same_effective_date_replaces_the_version_it_supersedes():
    from cspr.engine.definition.catalog import in_effect

    text = (FIXTURES / "processes" / "adult_review.yaml").read_text(encoding="utf-8")
    original = load_text(text)
    correction = load_text(text.replace('version: "0.1"', 'version: "0.2"\nsupersedes: "0.1"', 1))
    tenth = load_text(text.replace('version: "0.1"', 'version: "0.10"\nsupersedes: "0.2"', 1))
    on = original.effective_from
    for order in ([original, correction], [correction, original]):
        assert in_effect(order, on) is correction
    assert in_effect([original, correction, tenth], on) is tenth
    assert in_effect([original, correction], on - dt.timedelta(days=1)) is None


def test_no_version_before_the_first_edition():
    with pytest.raises(Exception, match="no version of cspr_pan_lancashire was in effect on 2017-01-01"):
        resolve("cspr_pan_lancashire", dt.date(2017, 1, 1))


# --- diff ----------------------------------------------------------------------------------


def test_diff_of_a_file_with_itself_and_with_a_cosmetic_copy_is_empty(tmp_path):
    assert run_cli("diff", str(CURRENT), str(CURRENT)).exit_code == 0
    parsed, _ = parse_yaml(CURRENT.read_bytes(), "x")
    items = list(parsed.data.items())
    random.Random(4).shuffle(items)
    cosmetic = tmp_path / "cosmetic.yaml"
    cosmetic.write_text("# reordered, re-indented, comments changed\n" + yaml.safe_dump(dict(items), sort_keys=False, indent=4))
    result = run_cli("diff", str(CURRENT), str(cosmetic))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("No differences.")


def variant(tmp_path, old: str, new: str, source=CURRENT, count: int = 1):
    text = source.read_text()
    assert old in text, old
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new, count))
    return path


@pytest.mark.parametrize("old,new,words", [
    ("period: {working_days: 15}", "period: {working_days: 10}",
     "Deadline 'Rapid review sent to the National Panel': 15 working days after the event 'Serious incident notification sent to the National Panel' → 10 working days after the event"),
    ("    name: Lancashire Constabulary\n", "    name: Lancashire Police\n",
     "Role 'constabulary' renamed: 'Lancashire Constabulary' → 'Lancashire Police'"),
    ("        - not: {criterion: care_leaver_death}\n    cite: {source: pan_lancs_brief, section: Criteria}\n  looked_after",
     "    cite: {source: pan_lancs_brief, section: Criteria}\n  looked_after",
     "Criterion 'Meets the criteria for a rapid review': removed condition not 'Death of a care leaver'"),
    ("  rapid_review_to_send:\n    title: Rapid review to be sent to the National Panel\n    stage: rapid_review",
     "  rapid_review_to_send:\n    title: Rapid review to be sent to the National Panel\n    stage: lcspr",
     "State 'Rapid review to be sent to the National Panel': moved from stage 'Rapid review' to 'Local child safeguarding practice review'"),
    ("    from: awaiting_panel\n    to: lcspr_decision\n", "    from: awaiting_panel\n    to: rapid_review_meeting\n",
     "Event 'Partners reconsider the LCSPR decision after the Panel disagreed': leads to 'Partners deciding whether to hold an LCSPR' → 'Rapid review meeting to be held'"),
    ("      facts: [publication_planned_on]\n      signoff: *partners", "      facts: [publication_planned_on]\n      signoff: [icb, children_social_care]",
     "Event 'All three partners agree the final report': sign-off needed from: removed 'Lancashire Constabulary'"),
    ("    description: Makes the serious incident notification to the National Panel.\n    cite: {source: children_act_2004}",
     "    description: Makes the serious incident notification to the National Panel.\n    cite: {source: children_act_2004, section: Section 16C(1)}",
     "Role 'Lancashire County Council': citation Children Act 2004, Section 16C (duty to notify the Child Safeguarding Practice Review Panel) → Children Act 2004, Section 16C(1)"),
    ("  closed:\n    title: Closed (withdrawn or duplicate)", "  closed:\n    title: Closed early",
     "State 'closed' renamed: 'Closed (withdrawn or duplicate)' → 'Closed early'"),
])
def test_each_kind_of_change_is_reported_in_words(tmp_path, old, new, words):
    result = run_cli("diff", str(CURRENT), str(variant(tmp_path, old, new)))
    assert result.exit_code == 1, result.output
    assert words in result.stdout


def test_an_added_state_and_event_are_reported(tmp_path):
    path = variant(tmp_path, "  closed:\n    title: Closed (withdrawn or duplicate)\n    stage: outcome\n    final: true\n",
                   "  closed:\n    title: Closed (withdrawn or duplicate)\n    stage: outcome\n    final: true\n"
                   "  merged:\n    title: Merged into another case\n    stage: outcome\n    final: true\n")
    text = path.read_text().replace("deadlines:\n", "  case_merged:\n    title: Merged with another case\n    from: referral_received\n"
                                    "    to: merged\n    by: lsbu\n    cite: pan_lancs_brief\n\ndeadlines:\n", 1)
    path.write_text(text)
    result = run_cli("diff", str(CURRENT), str(path))
    assert "State 'Merged into another case' (merged) added" in result.stdout
    assert "Event 'Merged with another case' (case_merged) added" in result.stdout


def test_editions_2023_to_2025_differ_in_the_rapid_review_clock():
    result = run_cli("diff", "cspr_pan_lancashire@2023.1", "cspr_pan_lancashire@2025.1")
    assert result.exit_code == 1
    assert ("Deadline 'Rapid review sent to the National Panel': 15 working days after 'Date the local authority "
            "became aware of the incident' → 15 working days after the event 'Serious incident notification sent to "
            "the National Panel'") in result.stdout


def test_editions_2018_to_2025_in_words():
    text = run_cli("diff", str(WT2018), str(CURRENT)).stdout
    assert "Role 'NHS clinical commissioning groups in Lancashire' (ccg) replaced by 'Lancashire and South Cumbria Integrated Care Board' (icb)" in text
    assert "State 'Care leaver's death notified' (care_leaver_notified) added" in text
    assert "Fact 'Is this the death of a care leaver aged 24 or under?' (care_leaver) added" in text
    assert "Version: 2018.1 → 2025.1" in text
    assert "\nCitations\n" in text
    # the role swap is not repeated as sign-off changes on every event
    assert "sign-off needed from: added 'Lancashire and South Cumbria Integrated Care Board'" not in text


def test_diff_formats(tmp_path):
    path = variant(tmp_path, "period: {working_days: 15}", "period: {working_days: 10}")
    markdown = run_cli("diff", str(CURRENT), str(path), "--format", "markdown").stdout
    assert markdown.startswith("# Changes: ") and "\n## Deadlines\n\n- Deadline" in markdown
    data = json.loads(run_cli("diff", str(CURRENT), str(path), "--format", "json").stdout)
    assert data["differences"] == 1 and data["changes"][0]["section"] == "deadlines"
    assert data["changes"][0]["old"]["period"] == {"working_days": 15}


def test_diff_against_a_version_stored_in_the_database(tmp_path):
    db = tmp_path / "d.db"
    assert run_cli("--db", str(db), "--today", "2026-11-25", "case", "open", "LSBU-2025-001", "--on", "2025-01-10").exit_code == 0
    result = run_cli("--db", str(db), "diff", "cspr_pan_lancashire@2023.1", str(CURRENT))
    assert result.exit_code == 1 and "Rapid review" in result.stdout


@pytest.mark.parametrize("args,words", [
    (["diff", "missing.yaml", str(CURRENT)], "no such file"),
    (["diff", str(FIXTURES / "broken" / "unknown_role.yaml"), str(CURRENT)], "unknown role 'clark'"),
    (["diff", "nonesuch@1", str(CURRENT)], "no process 'nonesuch'"),
])
def test_diff_trouble_is_exit_status_2(args, words):
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and words in result.output


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _mutate(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


BASE = parse_yaml((FIXTURES / "every_key.yaml").read_bytes(), "x")[0].data
BASE_LEAVES = list(_leaves(BASE))


@settings(max_examples=examples(60))
@given(index=st.integers(0, len(BASE_LEAVES) - 1), how=st.sampled_from(["text", "number", "flip", "same"]), seed=st.integers(0, 999))
def test_diff_is_empty_exactly_when_the_hashes_agree(index, how, seed):
    path, value = BASE_LEAVES[index]
    data = json.loads(json.dumps(BASE))
    if how == "text" and isinstance(value, str):
        _mutate(data, path, value + " (revised)")
    elif how == "number" and isinstance(value, int) and not isinstance(value, bool):
        _mutate(data, path, value + 1)
    elif how == "flip" and isinstance(value, bool):
        _mutate(data, path, not value)
    items = list(data.items())
    random.Random(seed).shuffle(items)
    try:
        a = load_text(yaml.safe_dump(BASE))
        b = load_text(yaml.safe_dump(dict(items), sort_keys=False))
    except DefinitionError:
        assume(False)
        return
    assert diff(a, a) == []
    changes = diff(a, b)
    assert bool(changes) == (a.content_hash != b.content_hash)
    assert all(c.text for c in changes)


# --- impact and migration ------------------------------------------------------------------------


@pytest.fixture
def demo_db(tmp_path):
    path = tmp_path / "demo.db"
    assert run_cli("demo", "--db", str(path)).exit_code == 0
    return path


def cli(db, *args):
    return run_cli("--db", str(db), "--today", "2026-06-10", *args)


def test_impact_reports_moved_deadlines_and_writes_nothing(demo_db):
    before = dump(demo_db)
    result = cli(demo_db, "impact", str(WT2023))
    assert result.exit_code == 1, result.output  # as diff: 1 means changes
    assert "Impact of cspr_pan_lancashire 2023.1" in result.stdout and "on 2 open cases" in result.stdout
    # the rapid review of LSBU-2025-031 counted from awareness (22 Dec 2025) instead of the notification (30 Dec)
    assert "LSBU-2025-031 (2025.1 → 2023.1)\n  deadline 'Rapid review sent to the National Panel': due 2026-01-21 (met) → 2026-01-15 (met late)" in result.stdout
    # the open case's rapid review clock starts at once: 15 working days from 1 June 2026
    assert "LSBU-2026-015 (2025.1 → 2023.1)\n  deadline 'Rapid review sent to the National Panel': due - (not started) → 2026-06-22 (upcoming)" in result.stdout
    data = json.loads(cli(demo_db, "impact", str(WT2023), "--json").stdout)
    assert [c["ref"] for c in data["cases"]] == ["LSBU-2025-031", "LSBU-2026-015"]
    assert dump(demo_db) == before


def test_impact_names_the_first_event_that_no_longer_fits(demo_db):
    result = cli(demo_db, "impact", str(WT2018))
    assert "LSBU-2025-031 (2025.1 → 2018.1): history not valid under cspr_pan_lancashire 2018.1" in result.stdout
    assert "first event that fails: #5 sign-off by icb on 2025-12-29: no role 'icb' in cspr_pan_lancashire 2018.1" in result.stdout


def test_migration_dry_run_then_for_real(demo_db):
    before = dump(demo_db)
    dry = cli(demo_db, "case", "migrate", "LSBU-2026-015", "--to", "2023.1", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would move from cspr_pan_lancashire 2025.1 to cspr_pan_lancashire 2023.1 (dry run: nothing was written)" in dry.stdout
    assert dump(demo_db) == before
    real = cli(demo_db, "case", "migrate", "LSBU-2026-015", "--to", "2023.1", "--json")
    assert real.exit_code == 0, real.output
    view = json.loads(cli(demo_db, "case", "show", "LSBU-2026-015", "--json").stdout)
    assert view["process"]["version"] == "2023.1"
    record = view["history"][-1]
    assert record["kind"] == "migrated" and record["data"]["from_version"] == "2025.1"
    assert record["data"]["to_hash"] == load_file(WT2023).content_hash and record["actor"]
    rapid = next(d for d in view["deadlines"] if d["deadline"] == "rapid_review")
    assert rapid["due"] == "2026-06-22"
    # the history still replays, and the next event is checked against the new version
    listing = cli(demo_db, "case", "list", "--json").stdout
    assert cli(demo_db, "rebuild").exit_code == 0
    assert cli(demo_db, "case", "list", "--json").stdout == listing
    assert cli(demo_db, "case", "signoff", "LSBU-2026-015", "children_social_care").exit_code == 0


def test_a_history_that_does_not_fit_is_refused_unless_a_map_makes_it_fit(demo_db):
    before = dump(demo_db)
    refused = cli(demo_db, "case", "migrate", "LSBU-2025-031", "--to", "2018.1")
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    assert "history does not fit at #5 (sign-off by icb on 2025-12-29)" in refused.output
    assert "--map lcspr_in_progress=STATE" in refused.output
    assert dump(demo_db) == before
    mapped = cli(demo_db, "case", "migrate", "LSBU-2025-031", "--to", "2018.1", "--map", "lcspr_in_progress=lcspr_in_progress")
    assert mapped.exit_code == 0, mapped.output
    assert "history does not fit; state mapped: lcspr_in_progress → lcspr_in_progress" in mapped.stdout
    view = json.loads(cli(demo_db, "case", "show", "LSBU-2025-031", "--json").stdout)
    assert view["process"]["version"] == "2018.1" and view["state"] == "lcspr_in_progress"
    assert cli(demo_db, "case", "record", "LSBU-2025-031", "draft_report_submitted").exit_code == 0


@pytest.mark.parametrize("args,words", [
    (["--to", "2025.1"], "already on cspr_pan_lancashire 2025.1"),
    (["--to", "9.9"], "has no version '9.9'"),
    (["--to", str(FIXTURES / "minimal.yaml")], "it can only move to another version of it"),
    (["--to", "2018.1", "--map", "nowhere=published"], "has no state 'nowhere'"),
    (["--to", "2018.1", "--map", "lcspr_in_progress=limbo"], "has no state 'limbo'"),
    (["--to", "2018.1", "--map", "lcspr_in_progress"], "write OLD_STATE=NEW_STATE"),
])
def test_migration_refusals(demo_db, args, words):
    before = dump(demo_db)
    result = cli(demo_db, "case", "migrate", "LSBU-2025-031", *args)
    assert result.exit_code in (1, 2), result.output
    assert result.output.startswith("Error: ") and words in result.output
    assert dump(demo_db) == before


# --- diagrams --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_the_diagram_has_every_state_transition_and_deadline(fmt):
    definition = load_file(CURRENT)
    result = run_cli("graph", str(CURRENT), "--format", fmt)
    assert result.exit_code == 0
    text = result.stdout
    arrow = "-->" if fmt == "mermaid" else "->"
    for state in definition.states.values():
        assert f"s_{state.id}" in text and state.title.replace('"', "") in text.replace("#quot;", "").replace('\\"', "")
    for event in definition.events.values():
        for source in event.sources:
            assert f"s_{source} {arrow}" in text and event.id in text
    for stage in definition.stages.values():
        assert stage.title in text
    for deadline in definition.deadlines.values():
        assert f"d_{deadline.id}" in text


def test_the_readme_shows_the_current_diagram():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == run_cli("graph").stdout


def test_impact_exit_status_is_diffs(demo_db):
    """0 no case would change, 1 some would, 2 trouble: the same as cspr diff."""
    assert cli(demo_db, "impact", str(CURRENT)).exit_code == 0
    assert cli(demo_db, "impact", str(WT2023), "--json").exit_code == 1
    assert cli(demo_db, "impact", "/nonexistent.yaml").exit_code == 2
    assert run_cli("diff", str(CURRENT), "/nonexistent.yaml").exit_code == 2


def test_diff_starts_with_a_summary_and_can_hide_citation_only_changes():
    full = run_cli("diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1")
    assert full.exit_code == 1
    lines = full.stdout.splitlines()
    assert lines[2] == "Summary"
    summary = lines[3:lines.index("", 3)]
    assert [line.split(":")[0].strip() for line in summary[:4]] == [
        "Deadlines", "Criteria", "Roles", "Route (states and events)"]
    assert summary[-1].startswith("  Citations only: ")
    short = run_cli("diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1", "--no-citations")
    assert short.exit_code == 1 and "\nCitations\n" not in short.stdout and "\nCitations\n" in full.stdout
    data = json.loads(run_cli("diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1", "--json",
                              "--no-citations").stdout)
    cited = json.loads(run_cli("diff", "cspr_pan_lancashire@2018.1", "cspr_pan_lancashire@2025.1", "--json").stdout)
    assert data["citations_hidden"] > 0 and data["differences"] + data["citations_hidden"] == cited["differences"]
    assert all(c["field"] != "cite" for c in data["changes"])
