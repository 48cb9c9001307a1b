"""The promises of the layout: a generic engine that knows no safeguarding and no click."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from cspr.engine.definition.catalog import shipped

from .conftest import ROOT

ENGINE = sorted((ROOT / "engine").rglob("*.py"))


def test_the_engine_never_imports_click():
    for path in ENGINE:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            assert "click" not in names and not (module or "").startswith("click"), path.name


def test_the_engine_names_nothing_of_the_pan_lancashire_process():
    """Every id of the process (state, event, fact, role, criterion, deadline) is data, never code."""
    ids: set[str] = set()
    for definition in shipped():
        ids |= set(definition.states) | set(definition.events) | set(definition.facts) | set(definition.roles) \
            | set(definition.criteria) | set(definition.deadlines) | set(definition.stages) | set(definition.parties)
    words = {"safeguarding", "lsbu", "panel", "lcspr", "lancashire", "partner", "partners", "aware"}
    plain_english = {"published", "closed", "outcome", "age"}  # ids that are also ordinary words in code
    for path in ENGINE:
        text = path.read_text().lower()
        for name in (ids - plain_english) | words:
            assert not re.search(rf"\b{re.escape(name)}\b", text), f"{path.name} mentions {name!r}"


# Lowest first. A module may import its own layer and those below it, never one above.
# The command line and the web application are two top layers side by side (same rank).
LAYERS = ["errors", "definition", "runtime", "store", "casebook", "render", "cli", "web"]
RANK = {**{layer: rank for rank, layer in enumerate(LAYERS)}, "web": LAYERS.index("cli")}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["cspr", "engine"]:
        return parts[2] if len(parts) > 2 and parts[2] in LAYERS else "errors"
    if parts[:2] in (["cspr", "cli"], ["cspr", "web"]):
        return parts[1]
    return None


def _imports(path):
    """Every cspr module a file imports (relative imports resolved), at any depth of the file."""
    rel = path.relative_to(ROOT)
    top = {"engine": ["cspr", "engine"], "cspr_cli": ["cspr", "cli"], "web": ["cspr", "web"], "cspr": ["cspr"]}[rel.parts[0]]
    package = top + list(rel.parts[1:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


FOLDERS = ("engine", "cspr_cli", "web", "cspr")
CODE = sorted(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))


def _own_layer(rel: Path) -> str | None:
    folder = rel.parts[0]
    if folder == "cspr_cli":
        return "cli"
    if folder == "web":
        return "web"
    return _layer("cspr.engine." + ".".join(rel.with_suffix("").parts[1:])) if folder == "engine" else None


def test_imports_only_point_downward():
    upward = []
    for path in CODE:
        rel = path.relative_to(ROOT)
        own = _own_layer(rel)
        if own is None or rel == Path("engine/__init__.py"):
            continue  # the cspr package and the engine's own __init__ are facades over every layer
        for line, module in _imports(path):
            target = _layer(module)
            if target is not None and RANK[target] > RANK[own]:
                upward.append(f"{rel}:{line}: {own} imports {module} ({target})")
    assert upward == []


# `cspr serve` is the one bridge: the command line starts the web application through
# cspr.web.server.serve (plain values in), and nothing else crosses between the two top layers.
BRIDGE = (Path("cspr_cli/serve.py"), "cspr.web.server")


def test_the_web_and_the_command_line_do_not_import_each_other():
    crossing = []
    for path in CODE:
        rel = path.relative_to(ROOT)
        own = _own_layer(rel)
        for line, module in _imports(path):
            target = _layer(module)
            if own in ("cli", "web") and target in ("cli", "web") and target != own \
                    and not (rel == BRIDGE[0] and module.startswith(BRIDGE[1])):
                crossing.append(f"{rel}:{line}: {own} imports {module}")
    assert crossing == []


def test_the_web_application_never_imports_click():
    for path in (ROOT / "web").rglob("*.py"):
        modules = [module for _, module in _plain_imports(path)]
        assert not any(m == "click" or m.startswith("click.") for m in modules), path.name


def test_code_names_the_installed_package_only():
    """`engine`, `cspr_cli` and `web` are folder names; code imports them as cspr.engine, cspr.cli and cspr.web,
    or two copies of each module (and of each exception class) would exist side by side."""
    wrong = []
    for path in [*CODE, *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for line, module in _imports(path) if path.relative_to(ROOT).parts[0] in FOLDERS else _plain_imports(path):
            if module.split(".")[0] in ("engine", "cspr_cli", "web"):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert wrong == []


def _plain_imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.lineno, node.module or ""
