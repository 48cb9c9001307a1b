"""The promises of the layout: a generic engine that knows no safeguarding and no click."""

from __future__ import annotations

import ast
import re

from engine.catalog import resolve

from .conftest import ROOT

ENGINE = sorted((ROOT / "engine").glob("*.py"))


def test_the_engine_never_imports_click():
    for path in ENGINE:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            assert "click" not in names and not (module or "").startswith("click"), path.name


def test_the_engine_names_nothing_of_the_pan_lancashire_process():
    """Every id of the process (state, event, fact, role, criterion, deadline) is data, never code."""
    definition = resolve("cspr_pan_lancashire@2025.1")
    ids = set(definition.states) | set(definition.events) | set(definition.facts) | set(definition.roles) \
        | set(definition.criteria) | set(definition.deadlines) | set(definition.stages)
    words = {"safeguarding", "lsbu", "panel", "lcspr", "lancashire", "partner", "partners", "aware"}
    plain_english = {"published", "closed", "outcome"}  # ids that are also ordinary words in code
    for path in ENGINE:
        text = path.read_text().lower()
        for name in (ids - plain_english) | words:
            assert not re.search(rf"\b{re.escape(name)}\b", text), f"{path.name} mentions {name!r}"
