"""Language 1 stays exactly as it was; language 2 is language 1 with additions.

Databases store each process by its content hash and refuse a stored process
that no longer loads to the same hash, so the hashes below are promises: they
were taken before language 2 existed, and every language-1 file must keep
its own for as long as cspr reads it.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from cspr.engine.definition.builder import build
from cspr.engine.definition.loader import load_file, load_text
from cspr.engine.definition.resources import schema_path

from .conftest import FIXTURES, ROOT

# Content hashes of every shipped process and every valid fixture, taken before language 2 was added.
LANGUAGE_1_HASHES = {
    "processes/history/cspr_pan_lancashire_panel2025.yaml": "sha256:e598799933621e9a848278f09c66174f11db63122deb362c7fc0c201f4ac568e",
    "processes/history/cspr_pan_lancashire_wt2018.yaml": "sha256:1050a8425f02d39223d77ce0e4a52cd909f88d736330f7aee4e69cce7d037c09",
    "processes/history/cspr_pan_lancashire_wt2022.yaml": "sha256:81993fb8afdbc48057cd967500709859e1b68fdf2ea2d4478a173253f247c68e",
    "processes/history/cspr_pan_lancashire_wt2023.yaml": "sha256:8900376ee5b2c0ac30fe5cd133f49ed5965feb407401a5ed96acfba302678db6",
    "tests/fixtures/every_key.yaml": "sha256:0b844ef5b6301a8be9e6030618f2f5004a257ddf367cbbdc1b26dbd7c36de26c",
    "tests/fixtures/minimal.yaml": "sha256:3fe340b5e4f1a97b1284b2d9250d660e833993ff5903ced1893625bd9d2d46d1",
    "tests/fixtures/processes/adult_review.yaml": "sha256:2c5fe1c9b6ff5d79ff433e786a2c0f663e0ad0734126fd3740fb6ca024fd5ffb",
    "tests/fixtures/web/injection.yaml": "sha256:64951de0cdfe9dea25215fedc3a16e16936674f874b30d2bc58d882141efeee4",
}

# The language-1 schema is frozen. Its only change since language 2 began is in two descriptions (which
# never change what it accepts): an anchor's event counts from its latest occurrence, as the engine always
# did, not its first, as the description used to say (issue 10, item 3).
LANGUAGE_1_SCHEMA_SHA256 = "c16bcf337d5c9a9f832c4bbc77355075818e82afbc083016833158f934f8521d"


@pytest.mark.parametrize("name", sorted(LANGUAGE_1_HASHES))
def test_every_language_1_file_keeps_its_hash(name):
    definition = load_file(ROOT / name)
    assert definition.language_version == 1
    assert definition.content_hash == LANGUAGE_1_HASHES[name]


def test_every_shipped_and_fixture_language_1_file_is_pinned():
    """A new language-1 file must be added above, so its hash is pinned too."""
    from cspr.engine.definition.loader import check_file

    found = set()
    for path in [*sorted((ROOT / "processes").rglob("*.yaml")), *sorted(FIXTURES.rglob("*.yaml"))]:
        definition, _ = check_file(path)
        if definition is not None and definition.language_version == 1:
            found.add(str(path.relative_to(ROOT)))
    assert found == set(LANGUAGE_1_HASHES)


def test_the_language_1_schema_is_frozen():
    assert hashlib.sha256(schema_path(1).read_bytes()).hexdigest() == LANGUAGE_1_SCHEMA_SHA256


def test_the_language_1_schema_says_an_event_counts_from_its_latest_occurrence():
    """Item 3 of issue 10: the documentation and the behaviour agree (the behaviour: tests/test_cycles.py)."""
    anchor = json.loads(schema_path(1).read_text())["$defs"]["anchor"]
    assert "latest occurrence" in anchor["description"]
    assert "first" not in anchor["description"]


VALID = [*LANGUAGE_1_HASHES, "tests/fixtures/every_key_v2.yaml"]


@pytest.mark.parametrize("name", VALID)
def test_the_normal_form_is_a_fixed_point(name):
    """Building the model from its own normal form gives the same definition (the same hash)."""
    definition = load_file(ROOT / name)
    again = build(json.loads(json.dumps(definition.canonical())))
    assert again.content_hash == definition.content_hash
    assert again.canonical() == definition.canonical()


def test_a_language_1_file_relabelled_language_2_is_valid_with_the_same_meaning():
    """Language 2 accepts every language-1 document; only the language version differs in the normal form."""
    for name in LANGUAGE_1_HASHES:
        text = (ROOT / name).read_text()
        relabelled = load_text(text.replace("language_version: 1", "language_version: 2", 1), name)
        original = load_file(ROOT / name)
        assert relabelled.language_version == 2
        assert {**relabelled.canonical(), "language_version": 1} == original.canonical()


def test_a_language_2_key_is_reported_as_such_in_a_language_1_file():
    from cspr.engine.definition.loader import check_text

    text = (FIXTURES / "minimal.yaml").read_text().replace("    met_by: finish\n",
                                                             "    met_by: finish\n    roll: next_working_day\n")
    definition, problems = check_text(text, "minimal.yaml")
    assert definition is None
    assert [p.message for p in problems] == [
        "unknown key 'roll'; 'roll' is part of language 2: write 'language_version: 2' at the top of the file"]


def test_a_language_this_cspr_does_not_read_is_named():
    from cspr.engine.definition.loader import check_text

    text = (FIXTURES / "minimal.yaml").read_text().replace("language_version: 1", "language_version: 3")
    _, problems = check_text(text, "minimal.yaml")
    assert [p.message for p in problems] == ["3 is not a language this cspr reads; write 1 or 2"]


def test_every_language_2_key_written_reaches_the_normal_form():
    definition = load_file(FIXTURES / "every_key_v2.yaml")
    c = definition.canonical()
    assert c["opening"]["option"] == "started-on"
    assert c["parties"]["council"] == {"organisations": ["North Council", "South Council"], "required": True,
                                       "description": "The council where it happened.",
                                       "cite": {"source": "guide", "verified": True}}
    assert c["parties"]["judge"]["default"] == "The Court"
    assert c["parties"]["agency"] == {"multiple": True}
    assert c["tasks"]["report"]["after"] == {"event": "reports_asked"}
    assert c["tasks"]["report"]["warn"] == {"working_days": 5}
    assert c["consistency"]["born_before_opening"]["rule"] == {"fact": "born_on", "on_or_before": {"fact": "opened_on"}}
    assert c["facts"]["age"]["derive"] == {"from": {"fact": "born_on"}, "to": {"fact": "opened_on"}, "in": "years"}
    rules = c["criteria"]["grown"]["rule"]["all"]
    assert {next(k for k in r if k not in ("fact", "event", "party", "tasks")) for r in rules} == {
        "at_least", "at_most", "between", "after", "before", "on_or_after", "within", "happened", "one_of",
        "equals", "is_set", "all_received"}
    events = c["events"]
    assert "to" not in events["stopped"] and events["stopped"]["from"] == ["asked", "open"]
    assert events["reports_asked"]["off_route"] == {"from": ["open"], "words": "asked before the judge agreed"}
    assert events["finish"]["requires"]["signoff"] == [
        "judge", {"role": "council", "when": {"party": "council", "equals": "North Council"}}]
    deadlines = c["deadlines"]
    assert deadlines["ask_in_time"]["after"] == {"earliest": [{"event": "stopped", "occurrence": "first"},
                                                             {"fact": "opened_on"}]}
    assert deadlines["ask_in_time"]["roll"] == "next_working_day"
    assert deadlines["ask_in_time"]["late_in"] == "calendar_days"
    assert deadlines["finish_in_time"]["after"] == {"event": "reports_asked", "occurrence": "each"}
    assert deadlines["finish_in_time"]["extension"]["agreed_by"] == ["judge"]
    assert deadlines["finish_in_time"]["pauses"] == [{"paused_by": "stopped", "resumed_by": "restarted"}]
    assert deadlines["latest_of_two"]["after"]["latest"] == [{"event": "reports_asked"}, {"fact": "opened_on"}]


def test_defaults_written_out_do_not_change_the_hash():
    text = (FIXTURES / "every_key_v2.yaml").read_text()
    written = text.replace("after: {event: reports_asked}\n    warn: {working_days: 5}",
                           "after: {event: reports_asked, occurrence: latest}\n    warn: {working_days: 5}")
    assert written != text
    spelled = text.replace("    late_in: calendar_days\n", "    late_in: working_days\n")
    without = text.replace("    late_in: calendar_days\n", "")
    assert load_text(written).content_hash == load_file(FIXTURES / "every_key_v2.yaml").content_hash
    assert load_text(spelled).content_hash == load_text(without).content_hash
