"""The definition language: shipped files, the schema, the loader, the hash."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cspr.engine.definition import model
from cspr.engine.definition.loader import check_file, load_file, load_text
from cspr.engine.definition.resources import process_files, schema, schema_path
from cspr.engine.definition.yamlsafe import parse_yaml
from cspr.engine.errors import DefinitionError

from .conftest import FIXTURES, ROOT, examples

# --- the shipped files -------------------------------------------------------------------


def test_every_shipped_process_validates():
    files = process_files()
    assert any(f.name == "cspr_pan_lancashire.yaml" for f in files)
    for path in files:
        definition, problems = check_file(path)
        assert problems == [], f"{path}: {[str(p) for p in problems]}"
        assert definition is not None


def test_shipped_files_are_the_repository_folders():
    assert process_files()[0].parent == ROOT / "processes"
    assert schema_path().parent == ROOT / "schemas"


def test_pan_lancashire_carries_the_yaml_language_server_line():
    first = (ROOT / "processes" / "cspr_pan_lancashire.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/process-definition.v2.schema.json"


def test_pan_lancashire_models_the_statutory_timescales():
    d = load_file(ROOT / "processes" / "cspr_pan_lancashire.yaml")
    sin = d.deadlines["serious_incident_notification"]
    assert (sin.period.amount, sin.period.unit, sin.anchor.kind, sin.anchor.ref) == (5, "working_days", "fact", "aware_on")
    rr = d.deadlines["rapid_review"]
    # from the notification, whether it was sent before the partners agreed or after (2025.2, point 5)
    assert (rr.period.amount, rr.period.unit, rr.anchor.kind) == (15, "working_days", "earliest")
    assert [(a.kind, a.ref, a.occurrence) for a in rr.anchor.parts] == [
        ("event", "early_notification_sent", "first"), ("event", "notification_sent", "first")]
    lcspr = d.deadlines["lcspr_completion"]
    assert (lcspr.period.amount, lcspr.period.unit) == (6, "months")
    assert not lcspr.cite.verified  # the start point is not confirmed: must say so
    publication = d.deadlines["final_report_before_publication"]
    assert (publication.direction, publication.period.amount) == ("before", 7)
    # the LCSPR decision needs all three statutory partners
    assert set(d.events["lcspr_decision_agreed"].requires.signoff) == {"icb", "children_social_care", "constabulary"}
    # every role, criterion, deadline and event carries a citation to a listed source
    for section in (d.roles, d.criteria, d.deadlines, d.events):
        for item in section.values():
            assert item.cite.source in d.sources


# --- the schema ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", [1, 2])
def test_schema_is_valid_draft_2020_12_with_a_versioned_id(language):
    document = schema(language)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert f"/v{language}/" in document["$id"]


def _walk_schema(node: Any, path: str = "#"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk_schema(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_schema(value, f"{path}/{i}")


@pytest.mark.parametrize("language", [1, 2])
def test_every_schema_property_has_a_description_and_objects_are_closed(language):
    for path, node in _walk_schema(schema(language)):
        if "/if" in path:
            continue  # conditions, not documentation
        for name, prop in node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else []:
            if path.endswith("/properties"):
                continue  # a property *named* "properties"
            assert "description" in prop, f"{path}/properties/{name} has no description"
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, f"{path} is not closed"


# Each schema object and the model class whose KEYS the loader reads.
SCHEMA_TO_MODEL = {
    "#": model.Definition,
    "#/$defs/source": model.Source,
    "#/$defs/calendar": model.CalendarSpec,
    "#/$defs/role": model.Role,
    "#/$defs/fact": model.Fact,
    "#/$defs/criterion": model.Criterion,
    "#/$defs/stage": model.Stage,
    "#/$defs/state": model.State,
    "#/$defs/requirements": model.Requirements,
    "#/$defs/event": model.Event,
    "#/$defs/period": model.Period,
    "#/$defs/anchor": model.Anchor,
    "#/$defs/deadline": model.Deadline,
    "#/$defs/action_rule": model.ActionRule,
    "#/properties/opening": model.Opening,
    "#/properties/reference": model.ReferenceFormat,
    # language 2
    "#/$defs/party": model.PartySpec,
    "#/$defs/task": model.TaskKind,
    "#/$defs/derivation": model.Derivation,
    "#/$defs/conditional_signoff": model.ConditionalSignoff,
    "#/$defs/extension": model.ExtensionRule,
    "#/$defs/pause": model.Pause,
}
LANGUAGE_2_ONLY = {pointer for pointer in SCHEMA_TO_MODEL if pointer.rsplit("/", 1)[-1] in
                   ("party", "task", "derivation", "conditional_signoff", "extension", "pause")}


def _resolve(pointer: str, language: int = 2) -> dict[str, Any]:
    node: Any = schema(language)
    for part in pointer.lstrip("#/").split("/") if pointer != "#" else []:
        node = node[part]
    return node


def test_schema_keys_and_loader_keys_cannot_drift():
    """The newest schema's keys are the model's; every language-1 key is still a key of language 2."""
    for pointer, cls in SCHEMA_TO_MODEL.items():
        assert set(_resolve(pointer)["properties"]) == set(cls.KEYS), pointer
        if pointer not in LANGUAGE_2_ONLY:
            assert set(_resolve(pointer, 1)["properties"]) <= set(cls.KEYS), pointer
    assert set(_resolve("#/$defs/rule")["properties"]) == set(model.RULE_KEYS)
    citation_object = _resolve("#/$defs/citation")["anyOf"][1]
    assert set(citation_object["properties"]) == set(model.Citation.KEYS)
    closure = _resolve("#/$defs/calendar")["properties"]["closures"]["items"]
    assert set(closure["properties"]) == set(model.Closure.KEYS)
    holidays = _resolve("#/$defs/calendar")["properties"]["holidays"]
    assert set(holidays["properties"]) == set(model.CalendarSpec.HOLIDAY_KEYS)
    date_ref = _resolve("#/$defs/date_ref")["anyOf"][1]
    assert set(date_ref["properties"]) == set(model.DateRef.KEYS)
    off_route = _resolve("#/$defs/event")["properties"]["off_route"]
    assert set(off_route["properties"]) == set(model.OffRoute.KEYS)


def test_every_key_written_reaches_the_model():
    """A document using every optional key: each value survives into the normal form."""
    parsed, problems = parse_yaml((FIXTURES / "every_key.yaml").read_bytes(), "every_key.yaml")
    assert problems == []
    definition = load_file(FIXTURES / "every_key.yaml")
    canonical = definition.canonical()

    def same(written: Any, kept: Any) -> bool:
        if isinstance(written, list) and isinstance(kept, list):
            return sorted(map(json.dumps, written)) == sorted(map(json.dumps, kept))
        if isinstance(written, str) and isinstance(kept, list):
            return kept == [written]
        return written == kept

    for section in ("roles", "facts", "criteria", "stages", "states", "events", "deadlines", "sources", "actions"):
        for item_id, item in parsed.data[section].items():
            for key, value in item.items():
                if key == "cite":
                    value = {"source": value} if isinstance(value, str) else value
                    value = {"verified": True, **value}
                if key == "requires":
                    value = {k: value.get(k, []) for k in ("facts", "criteria", "signoff")}
                    assert canonical[section][item_id][key] == {k: sorted(v) for k, v in value.items()}
                    continue
                assert key in canonical[section][item_id], f"{section}.{item_id}.{key} was dropped"
                assert same(value, canonical[section][item_id][key]), f"{section}.{item_id}.{key}"
    for key in ("supersedes", "description", "reference", "calendar", "opening"):
        assert key in canonical, key


# --- broken definitions: one fixture per failure mode ------------------------------------------

# file -> [(line, path, words the message must contain)]; every problem reported is listed.
BROKEN = {
    "syntax_error.yaml": [(32, "", "did not find expected ',' or '}'")],
    "duplicate_key.yaml": [(43, "states.done.title", "duplicate key 'title' (first written on line 42)")],
    "yes_is_not_true.yaml": [(40, "states.open.initial", "'yes' is text here, write true or false")],
    "alias_bomb.yaml": [(62, "description", "aliases that multiply in size are refused")],
    "empty.yaml": [(1, "", "the file is empty")],
    "top_level_list.yaml": [(2, "", "the top level is a list")],
    "unknown_key.yaml": [
        (37, "states.open", "missing required key 'title'"),
        (38, "states.open.titel", "unknown key 'titel'; did you mean 'title'?"),
    ],
    "missing_required.yaml": [(46, "events.finish", "missing required key 'to'")],
    "version_not_text.yaml": [(5, "version", 'write it in quotes, e.g. "1.0"')],
    "impossible_date.yaml": [(7, "effective_from", "'2024-02-30' is not a real date")],
    "bad_identifier.yaml": [(41, "states.Done-State", "not a valid identifier")],
    # the cause only: the states an unknown name leaves unreachable are not listed on top of it
    "unknown_state.yaml": [(49, "events.finish.to", "unknown state 'don'; did you mean 'done'?")],
    "unknown_role.yaml": [(50, "events.finish.by", "unknown role 'clark'; did you mean 'clerk'?")],
    "unknown_fact_in_rule.yaml": [(31, "criteria.agreed.rule.fact", "unknown fact 'anser'; did you mean 'answer'?")],
    "value_not_in_enum.yaml": [(31, "criteria.agreed.rule.equals", "'maybe' is not one of the values of 'answer': yes, no")],
    "two_initial_states.yaml": [
        (41, "states.done", "exactly one state must be 'initial: true' (found 2: open, done)"),
        (41, "states.done", "is not final but no event leaves it"),
    ],
    "unreachable_state.yaml": [(45, "states.limbo", "state 'limbo' cannot be reached")],
    "dead_end_state.yaml": [(41, "states.done", "state 'done' is not final but no event leaves it")],
    "event_from_final_state.yaml": [(56, "events.reopen.from", "'done' is a final state; no event may leave it")],
    "deadline_unknown_event.yaml": [(60, "deadlines.finish_in_time.met_by", "unknown event 'finished'")],
    "deadline_anchor_not_a_date.yaml": [(59, "deadlines.finish_in_time.after.fact", "counted from a date fact; 'answer' is enum")],
    "unknown_source.yaml": [(32, "criteria.agreed.cite", "unknown source 'gide'; did you mean 'guide'?")],
    "criteria_loop.yaml": [(31, "criteria.agreed.rule", "depends on itself")],
    "python_tag.yaml": [(12, "sources.guide.title", "is not allowed")],
    "two_units_in_period.yaml": [(58, "deadlines.finish_in_time.period", "exactly one of working_days, calendar_days or months")],
    "rule_without_test.yaml": [(31, "criteria.agreed.rule", "not a valid rule")],
    "unknown_holiday_region.yaml": [(11, "calendar.holidays", "no country 'XX'")],
    "merge_key.yaml": [(18, "roles.typist", "merge keys ('<<') are not supported")],
    "two_documents.yaml": [(62, "", "more than one YAML document")],
    "several_problems.yaml": [
        (49, "events.finish.to", "unknown state 'don'"),
        (50, "events.finish.by", "unknown role 'clark'"),
    ],
    "citation_with_unknown_key.yaml": [(33, "criteria.agreed.cite.page", "unknown key 'page' (allowed here: note, section, source, verified)")],
    "binary.yaml": [(1, "", "binary file")],
    "not_utf8.yaml": [(4, "", "not UTF-8")],
    # found in the trial of language 2 (issue 10, item 10)
    "tab_indent.yaml": [(6, "", "tab character at 6:1; YAML indents with spaces")],
    "under_indented.yaml": [(39, "", "indentation: line 39 is indented 3 spaces, which lines up with no level above it")],
    "warn_longer_than_period.yaml": [
        (48, "deadlines.finish_in_time.warn", "the warning period is longer than the deadline's own period"),
        (56, "deadlines.finish_in_a_month.warn", "the warning period is longer than the deadline's own period"),
    ],
    "schema_error_does_not_hide_the_others.yaml": [
        (41, "events.finish.when", "unknown key 'when' (allowed here: by, cite, description, from, requires, title, to)"),
        (45, "events.abandon.to", "unknown state 'don'; did you mean 'done'?"),
        (51, "deadlines.finish_in_time.owner", "unknown role 'clark'; did you mean 'clerk'?"),
    ],
    "language_2_key_in_language_1.yaml": [
        (37, "events.finish.from", "unknown state 'any'; 'from: any' is part of language 2: write 'language_version: 2'"),
        (48, "deadlines.finish_in_time.extension", "'extension' is part of language 2: write 'language_version: 2'"),
    ],
    # language 2: one fixture per group of additions, every problem at its line
    "v2_parties_and_tasks.yaml": [
        (10, "opening.option", "'--on' is already an option of 'cspr case open'"),
        (24, "parties.council.default", "'South Council' is not one of the organisations listed for 'council'"),
        (26, "parties.counsel", "unknown role 'counsel'; did you mean 'council'?"),
        (30, "tasks.report.party", "list 'clerk' under 'parties'"),
        (33, "tasks.report.warn", "the warning period is longer than the task's own period"),
        (45, "criteria.agreed.rule.all[0].equals", "'West Council' is not one of the organisations listed for 'council'"),
        (46, "criteria.agreed.rule.all[1].party", "unknown party 'clerk'"),
        (47, "criteria.agreed.rule.all[2].tasks", "unknown kind of task 'memo'"),
        (69, "events.finish.requires.signoff[0].role", "unknown role 'judge'"),
    ],
    "v2_rules_and_facts.yaml": [
        (32, "facts.age.type", "a derived fact is a whole number of years: write 'type: integer'"),
        (35, "facts.age.derive", "'age' is derived, so it cannot be asked for when a case is opened"),
        (35, "facts.age.derive.from.fact", "'answer' is enum, not a date"),
        (35, "facts.age.derive.to.event", "unknown event 'finsh'; did you mean 'finish'?"),
        (42, "criteria.agreed.rule.all[0].at_least", "'at_least' compares numbers; 'answer' is enum"),
        (43, "criteria.agreed.rule.all[1].between", "the first number (5) is larger than the second (1)"),
        (44, "criteria.agreed.rule.all[2].before", "'before' compares dates; 'count' is integer"),
        (45, "criteria.agreed.rule.all[3].after.fact", "'count' is integer, not a date"),
        (46, "criteria.agreed.rule.all[4].on_or_before", "'2024-02-30' is not a real date"),
        (47, "criteria.agreed.rule.all[5].event", "unknown event 'finsh'"),
        (53, "consistency.in_order.rule.after.event", "unknown event 'strat'"),
        (74, "events.finish.requires.facts[0]", "'age' is derived from dates, not recorded"),
    ],
    "v2_events_and_deadlines.yaml": [
        (30, "states.any", "'any' is the word for every state in an event's 'from'; choose another id"),
        (42, "events.noted.off_route.from[0]", "the event cannot be recorded at 'done' (it is possible from: open)"),
        (64, "deadlines.finish_in_time.after.earliest[1].event", "unknown event 'nothed'; did you mean 'noted'?"),
        (66, "deadlines.finish_in_time.roll", "a working-day deadline always falls on a working day"),
        (67, "deadlines.finish_in_time.extension.agreed_by", "unknown role 'judge'"),
        (69, "deadlines.finish_in_time.pauses[0].resumed_by", "a pause must end with a different event"),
        (75, "deadlines.before_each.before.occurrence", "cannot repeat with each occurrence"),
        (78, "deadlines.before_each.pauses", "only a deadline counted after a date can be paused"),
    ],
}


def test_every_broken_fixture_is_listed():
    assert {p.name for p in (FIXTURES / "broken").glob("*.yaml")} == set(BROKEN)
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_definition_is_reported_at_its_line_and_path(name):
    path = FIXTURES / "broken" / name
    definition, problems = check_file(path)
    assert definition is None
    got = [(p.line, p.path, p.message) for p in problems]
    expected = BROKEN[name]
    assert len(got) == len(expected), got
    for (line, where, message), (want_line, want_path, words) in zip(got, expected, strict=True):
        assert (line, where) == (want_line, want_path), got
        assert words in message, message
    for problem in problems:
        assert problem.file == str(path)
        assert "\n" not in problem.message


def test_load_file_raises_one_error_carrying_every_problem():
    with pytest.raises(DefinitionError) as caught:
        load_file(FIXTURES / "broken" / "several_problems.yaml")
    assert len(caught.value.problems) == 2
    assert "and 1 more problem" in str(caught.value)


def test_missing_file_and_folder_are_problems_not_crashes(tmp_path):
    assert "no such file" in check_file(tmp_path / "nope.yaml")[1][0].message
    assert "is a folder" in check_file(tmp_path)[1][0].message


def test_oversized_file_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2_100_000)
    assert "may be at most" in check_file(big)[1][0].message


# --- YAML 1.2 scalars ----------------------------------------------------------------------------


def test_yes_no_on_off_times_and_dates_stay_text():
    parsed, problems = parse_yaml("a: yes\nb: no\nc: on\nd: off\ne: 12:30\nf: 2025-01-01\ng: true\nh: 0o17\n", "t")
    assert problems == []
    assert parsed.data == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "12:30", "f": "2025-01-01", "g": True, "h": 15}


def test_enum_values_yes_and_no_are_usable(minimal_text):
    definition = load_text(minimal_text)
    assert definition.facts["answer"].value_ids == ("yes", "no")


# --- the content hash -----------------------------------------------------------------------------


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@pytest.fixture(scope="module")
def pan_lancashire_data() -> dict[str, Any]:
    parsed, _ = parse_yaml((ROOT / "processes" / "cspr_pan_lancashire.yaml").read_bytes(), "x")
    return parsed.data


@settings(max_examples=examples(30))
@given(seed=st.integers(0, 2**32 - 1), comment=st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), max_size=40))
def test_hash_ignores_key_order_comments_and_layout(pan_lancashire_data, seed, comment):
    reference = load_text(yaml.safe_dump(pan_lancashire_data, sort_keys=True))
    shuffled = _shuffled(pan_lancashire_data, random.Random(seed))
    text = f"# {comment}\n" + yaml.safe_dump(shuffled, sort_keys=False, default_flow_style=bool(seed % 2), width=60 + seed % 100)
    assert load_text(text).content_hash == reference.content_hash


def test_hash_treats_single_items_and_one_item_lists_alike(minimal_text):
    listed = minimal_text.replace("    by: clerk", "    by: [clerk]").replace("    from: open", "    from: [open]")
    assert load_text(listed).content_hash == load_text(minimal_text).content_hash


@pytest.mark.parametrize("old,new", [
    ("{working_days: 5}", "{working_days: 6}"),
    ("{working_days: 5}", "{calendar_days: 5}"),
    ("title: Clerk", "title: Clerk") ,  # no change: control
    ("name: Clerk", "name: Clerk of the court"),
    ("after: {fact: opened_on}", "before: {fact: opened_on}"),
])
def test_hash_changes_exactly_when_the_meaning_does(minimal_text, old, new):
    before = load_text(minimal_text).content_hash
    after = load_text(minimal_text.replace(old, new)).content_hash
    assert (before != after) == (old != new)


def test_definitions_are_immutable(minimal_text):
    definition = load_text(minimal_text)
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.version = "2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        definition.states["x"] = definition.states["open"]  # type: ignore[index]
