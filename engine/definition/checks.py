"""Stage 3 of loading a definition: cross-references and the shape of the graph.

Runs on a document that already matches the JSON Schema, so every section has
the expected structure. Finds, all at once:

* references to things that do not exist (states, roles, facts, criteria,
  events, stages, sources), with the nearest existing name suggested;
* values that do not fit a fact's type (``equals: maybe`` on a boolean);
* impossible dates, bad regular expressions, unknown holiday regions;
* criteria that refer to themselves in a loop;
* graph faults: not exactly one initial state, unreachable states, non-final
  states with no way out, events leaving a final state.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cspr.engine.errors import Problem

from .yamlsafe import Parsed, Path, format_path

_TYPE_OF_VALUE = {bool: "boolean", int: "integer", str: "text"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


class _Checker:
    def __init__(self, parsed: Parsed, file: str):
        self.parsed = parsed
        self.doc: dict[str, Any] = parsed.data
        self.file = file
        self.problems: list[Problem] = []

    # -- helpers ------------------------------------------------------------

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        line, column = self.parsed.where(path, key=key)
        self.problems.append(Problem(self.file, line, column, format_path(path), message, "checks"))

    def section(self, name: str) -> dict[str, Any]:
        value = self.doc.get(name)
        return value if isinstance(value, dict) else {}

    def ref(self, path: Path, value: str, section: str, what: str) -> bool:
        """Check that ``value`` names an entry of ``section``; say so if not."""
        known = self.section(section)
        if value in known:
            return True
        close = difflib.get_close_matches(value, list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known {section}: {', '.join(known) or 'none'}"
        self.add(path, f"unknown {what} {value!r}{hint}")
        return False

    def refs(self, path: Path, value: Any, section: str, what: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.ref(path + (i,), item, section, what)
        elif value is not None:
            self.ref(path, value, section, what)

    def date(self, path: Path, value: Any) -> None:
        if isinstance(value, str) and _parse_date(value) is None:
            self.add(path, f"{value!r} is not a real date")

    def citations(self) -> Iterator[tuple[Path, Any]]:
        calendar = self.doc.get("calendar")
        if isinstance(calendar, dict) and "cite" in calendar:
            yield ("calendar", "cite"), calendar["cite"]
        for section in ("roles", "facts", "criteria", "stages", "states", "events", "deadlines", "actions"):
            for item_id, item in self.section(section).items():
                if isinstance(item, dict) and "cite" in item:
                    yield (section, item_id, "cite"), item["cite"]

    # -- the checks -----------------------------------------------------------

    def run(self) -> list[Problem]:
        self.check_identity()
        self.check_sources()
        self.check_calendar()
        self.check_facts()
        self.check_criteria()
        self.check_states()
        self.check_events()
        self.check_deadlines()
        self.check_actions()
        self.check_graph()
        self.problems.sort(key=lambda p: (p.line, p.column, p.message))
        return self.problems

    def check_identity(self) -> None:
        self.date(("effective_from",), self.doc.get("effective_from"))
        if self.doc.get("supersedes") is not None and self.doc.get("supersedes") == self.doc.get("version"):
            self.add(("supersedes",), "a version cannot supersede itself")
        reference = self.doc.get("reference")
        if isinstance(reference, dict):
            try:
                pattern = re.compile(reference["pattern"])
            except re.error as exc:
                self.add(("reference", "pattern"), f"not a valid regular expression: {exc}")
            else:
                if not pattern.fullmatch(reference["example"]):
                    self.add(("reference", "example"), f"{reference['example']!r} does not match the pattern {reference['pattern']!r}")
        opening = self.doc.get("opening", {})
        date_fact = opening.get("date_fact")
        if self.ref(("opening", "date_fact"), date_fact, "facts", "fact"):
            kind = self.section("facts")[date_fact].get("type")
            if kind != "date":
                self.add(("opening", "date_fact"), f"the opening fact {date_fact!r} must be a date fact, not {kind}")
        self.refs(("opening", "facts"), opening.get("facts"), "facts", "fact")

    def check_sources(self) -> None:
        for source_id, source in self.section("sources").items():
            self.date(("sources", source_id, "published"), source.get("published"))
        for path, cite in self.citations():
            if isinstance(cite, dict):
                self.ref(path + ("source",), str(cite.get("source")), "sources", "source")
            else:
                self.ref(path, cite, "sources", "source")

    def check_calendar(self) -> None:
        calendar = self.doc.get("calendar")
        if not isinstance(calendar, dict):
            return
        region = calendar.get("holidays")
        if isinstance(region, dict):
            from .workdays import holiday_region_problem

            problem = holiday_region_problem(region.get("country"), region.get("subdivision"))
            if problem:
                self.add(("calendar", "holidays"), problem)
        for i, closure in enumerate(_as_list(calendar.get("closures"))):
            self.date(("calendar", "closures", i, "date"), closure.get("date"))

    def check_facts(self) -> None:
        for fact_id, fact in self.section("facts").items():
            path: Path = ("facts", fact_id)
            kind = fact.get("type")
            is_enum = kind == "enum" or (kind == "list" and fact.get("items") == "enum")
            if "values" in fact and not is_enum:
                self.add(path + ("values",), "'values' is only for enum facts and lists of enum items")
            if is_enum and "values" not in fact:
                self.add(path, "an enum needs 'values': each allowed value and its meaning", key=True)
            if "items" in fact and kind != "list":
                self.add(path + ("items",), "'items' is only for list facts")
            for bound in ("minimum", "maximum"):
                if bound in fact and kind != "integer":
                    self.add(path + (bound,), f"'{bound}' is only for integer facts")
            if "max_length" in fact and not (kind == "text" or (kind == "list" and fact.get("items") == "text")):
                self.add(path + ("max_length",), "'max_length' is only for text facts and lists of text")
            if isinstance(fact.get("minimum"), int) and isinstance(fact.get("maximum"), int) and fact["minimum"] > fact["maximum"]:
                self.add(path + ("minimum",), f"minimum {fact['minimum']} is larger than maximum {fact['maximum']}")

    def check_criteria(self) -> None:
        criteria = self.section("criteria")
        uses: dict[str, set[str]] = {}
        for criterion_id, criterion in criteria.items():
            uses[criterion_id] = set()
            self.check_rule(("criteria", criterion_id, "rule"), criterion.get("rule"), uses[criterion_id])
        for cycle_start in _cycles(uses):
            self.add(("criteria", cycle_start, "rule"),
                     f"criterion {cycle_start!r} depends on itself through other criteria; break the loop")

    def check_rule(self, path: Path, rule: Any, uses: set[str]) -> None:
        if not isinstance(rule, dict):
            return
        for key in ("all", "any"):
            if key in rule:
                for i, child in enumerate(rule[key]):
                    self.check_rule(path + (key, i), child, uses)
        if "not" in rule:
            self.check_rule(path + ("not",), rule["not"], uses)
        if "criterion" in rule:
            if self.ref(path + ("criterion",), rule["criterion"], "criteria", "criterion"):
                uses.add(rule["criterion"])
        if "fact" in rule:
            fact_id = rule["fact"]
            if not self.ref(path + ("fact",), fact_id, "facts", "fact"):
                return
            fact = self.section("facts")[fact_id]
            if "equals" in rule:
                self.check_value(path + ("equals",), fact_id, fact, rule["equals"])
            if "one_of" in rule:
                for i, value in enumerate(rule["one_of"]):
                    self.check_value(path + ("one_of", i), fact_id, fact, value)
            if "includes" in rule:
                if fact.get("type") != "list":
                    self.add(path + ("includes",), f"'includes' tests a list fact; {fact_id!r} is {fact.get('type')}: use equals")
                elif fact.get("items") == "enum" and rule["includes"] not in (fact.get("values") or {}):
                    values = ", ".join(fact.get("values") or {})
                    self.add(path + ("includes",), f"{rule['includes']!r} is not one of the values of {fact_id!r}: {values}")

    def check_value(self, path: Path, fact_id: str, fact: dict[str, Any], value: Any) -> None:
        kind = fact.get("type")
        if kind == "list":
            self.add(path, f"{fact_id!r} is a list; test it with 'includes'")
            return
        if kind == "enum":
            values = fact.get("values") or {}
            if value not in values:
                self.add(path, f"{value!r} is not one of the values of {fact_id!r}: {', '.join(values)}")
            return
        if kind == "date":
            if not isinstance(value, str) or _parse_date(value) is None:
                self.add(path, f"{fact_id!r} is a date; compare it with a date written YYYY-MM-DD")
            return
        actual = _TYPE_OF_VALUE.get(type(value))
        if actual != kind:
            self.add(path, f"{fact_id!r} is {kind}, but {value!r} is {actual}" + ("; write true or false" if kind == "boolean" else ""))

    def check_states(self) -> None:
        states = self.section("states")
        for state_id, state in states.items():
            self.ref(("states", state_id, "stage"), state.get("stage"), "stages", "stage")
            if state.get("initial") and state.get("final"):
                self.add(("states", state_id), "a state cannot be both initial and final", key=True)
        used = {state.get("stage") for state in states.values()}
        for stage_id in self.section("stages"):
            if stage_id not in used:
                self.add(("stages", stage_id), f"stage {stage_id!r} has no states; remove it or put a state in it", key=True)

    def check_events(self) -> None:
        states = self.section("states")
        for event_id, event in self.section("events").items():
            path: Path = ("events", event_id)
            for i, source in enumerate(_as_list(event.get("from"))):
                where = path + (("from", i) if isinstance(event.get("from"), list) else ("from",))
                if self.ref(where, source, "states", "state") and states[source].get("final"):
                    self.add(where, f"{source!r} is a final state; no event may leave it")
            self.ref(path + ("to",), event.get("to"), "states", "state")
            self.refs(path + ("by",), event.get("by"), "roles", "role")
            requires = event.get("requires") or {}
            self.refs(path + ("requires", "facts"), requires.get("facts"), "facts", "fact")
            self.refs(path + ("requires", "criteria"), requires.get("criteria"), "criteria", "criterion")
            self.refs(path + ("requires", "signoff"), requires.get("signoff"), "roles", "role")

    def check_deadlines(self) -> None:
        for deadline_id, deadline in self.section("deadlines").items():
            path: Path = ("deadlines", deadline_id)
            self.refs(path + ("owner",), deadline.get("owner"), "roles", "role")
            self.refs(path + ("met_by",), deadline.get("met_by"), "events", "event")
            self.refs(path + ("applies_when",), deadline.get("applies_when"), "criteria", "criterion")
            for direction in ("after", "before"):
                anchor = deadline.get(direction)
                if not isinstance(anchor, dict):
                    continue
                if "fact" in anchor and self.ref(path + (direction, "fact"), anchor["fact"], "facts", "fact"):
                    kind = self.section("facts")[anchor["fact"]].get("type")
                    if kind != "date":
                        self.add(path + (direction, "fact"), f"a deadline is counted from a date fact; {anchor['fact']!r} is {kind}")
                if "event" in anchor and self.ref(path + (direction, "event"), anchor["event"], "events", "event"):
                    if anchor["event"] in _as_list(deadline.get("met_by")):
                        self.add(path + (direction, "event"), f"the deadline starts and is met by the same event {anchor['event']!r}")

    def check_actions(self) -> None:
        for stage_id, rule in self.section("actions").items():
            self.ref(("actions", stage_id), stage_id, "stages", "stage")
            self.refs(("actions", stage_id, "agreed_by"), rule.get("agreed_by"), "roles", "role")

    def check_graph(self) -> None:
        states = self.section("states")
        events = self.section("events")
        initial = [s for s, v in states.items() if v.get("initial")]
        if len(initial) != 1:
            where = ("states", initial[1]) if len(initial) > 1 else ("states",)
            named = ", ".join(initial) if initial else "none"
            self.add(where, f"exactly one state must be 'initial: true' (found {len(initial)}: {named})", key=bool(initial))
        exits: dict[str, set[str]] = {s: set() for s in states}
        for event in events.values():
            for source in _as_list(event.get("from")):
                if source in exits and event.get("to") in states:
                    exits[source].add(event["to"])
        if len(initial) == 1:
            reached = set(_reach(initial[0], exits))
            for state_id in states:
                if state_id not in reached:
                    self.add(("states", state_id), f"state {state_id!r} cannot be reached from the initial state "
                             f"{initial[0]!r}; add an event leading to it", key=True)
        for state_id, state in states.items():
            has_exit = any(state_id in _as_list(e.get("from")) for e in events.values())
            if not state.get("final") and not has_exit:
                self.add(("states", state_id), f"state {state_id!r} is not final but no event leaves it; "
                         "add an event or mark it 'final: true'", key=True)


def _reach(start: str, edges: dict[str, set[str]]) -> Iterable[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _cycles(uses: dict[str, set[str]]) -> list[str]:
    """Criteria that can reach themselves through their references."""
    return [c for c in uses if c in set(_reach_excluding_self(c, uses))]


def _reach_excluding_self(start: str, edges: dict[str, set[str]]) -> Iterable[str]:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


def check_references(parsed: Parsed, file: str) -> list[Problem]:
    """Every cross-reference and graph problem in a schema-valid document."""
    return _Checker(parsed, file).run()
