"""Scenario tests: cases written as data (tests/scenarios/*.yaml and the demo),
run through the real engine on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspr.engine.casebook.book import Casebook
from cspr.engine.casebook.scenario import Scenario
from cspr.engine.store.interface import open_store

from .conftest import ROOT

SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios").glob("*.yaml"))


def run(path: Path, spec: str) -> tuple[Casebook, list]:
    scenario = Scenario.load(path)
    store = open_store(spec, create=True)
    book = Casebook(store, today=scenario.today, actor="test")
    return book, list(scenario.run(book))


def test_there_are_enough_scenarios():
    assert len(SCENARIOS) >= 13


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path, database):
    book, outcomes = run(path, database.spec)
    try:
        failures = [f"{o.ref} {o.step}: {f}" for o in outcomes for f in o.failures]
        assert failures == []
        assert any(o.action == "checked" for o in outcomes), "a scenario must check something"
        # The projection a scenario leaves equals one rebuilt from the events alone.
        before = book.list_cases(), book.open_deadlines()
        book.rebuild()
        assert (book.list_cases(), book.open_deadlines()) == before
    finally:
        book.store.close()


@pytest.mark.parametrize("version", ["2025.1"])
def test_scenarios_reach_every_final_state_of_the_pan_lancashire_process(tmp_path, version):
    from cspr.engine.definition.catalog import resolve

    definition = resolve(f"cspr_pan_lancashire@{version}")
    finals = {s for s, state in definition.states.items() if state.final}
    reached = set()
    for i, path in enumerate(SCENARIOS):
        if Scenario.load(path).definition() != definition:
            continue
        folder = tmp_path / str(i)
        folder.mkdir()
        book, _ = run(path, str(folder / "scenario.db"))
        reached |= {row["state"] for row in book.list_cases()}
        book.store.close()
    assert finals - reached == set()
