"""Stage 3 of loading a definition: cross-references and the shape of the graph.

Finds, all at once:

* references to things that do not exist (states, roles, facts, criteria,
  events, stages, sources), with the nearest existing name suggested;
* values that do not fit a fact's type (``equals: maybe`` on a boolean);
* impossible dates, bad regular expressions, unknown holiday regions;
* criteria that refer to themselves in a loop;
* a warning period longer than its deadline's period;
* graph faults: not exactly one initial state, unreachable states, non-final
  states with no way out, events leaving a final state;
* in language 2, the cross-checks of its additions
  (:mod:`cspr.engine.definition.checks_v2`).

It runs on the parts of a document that match the JSON Schema: an item the
schema found fault with (``skip``) is still a name others may refer to, but
its own contents are not checked, so one schema error does not hide the
other problems of the same document. The graph is checked only when every
state and event is well formed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cspr.engine.errors import Problem

from .checks_v2 import LanguageTwoChecks
from .yamlsafe import Parsed, Path, format_path

_TYPE_OF_VALUE = {bool: "boolean", int: "integer", str: "text"}
_UNITS = ("working_days", "calendar_days", "months")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def period_parts(period: Any) -> tuple[str, int] | None:
    if isinstance(period, dict) and len(period) == 1:
        (unit, amount), = period.items()
        if unit in _UNITS and isinstance(amount, int) and not isinstance(amount, bool):
            return unit, amount
    return None


def _calendar_days(unit: str, amount: int) -> tuple[int, int]:
    """The fewest and the most calendar days a period can span, wherever it starts.

    n working days span at least n days plus a weekend for each full five (none skipped for holidays),
    and at most that plus a weekend more and a generous allowance for bank holidays and closures.
    """
    if unit == "calendar_days":
        return amount, amount
    if unit == "months":
        return 28 * amount, 31 * amount
    return amount + 2 * (amount // 5), amount + 2 * ((amount + 4) // 5) + 2 + amount // 20 * 2 + 4


def longer(warn: Any, period: Any) -> bool:
    """Whether the period ``warn`` is certainly longer than ``period`` (exactly, when the units agree)."""
    a, b = period_parts(warn), period_parts(period)
    if a is None or b is None:
        return False
    if a[0] == b[0]:
        return a[1] > b[1]
    return _calendar_days(*a)[0] > _calendar_days(*b)[1]


class _Checker(LanguageTwoChecks):
    def __init__(self, parsed: Parsed, file: str, skip: Iterable[Path] = ()):
        self.parsed = parsed
        self.doc: dict[str, Any] = parsed.data if isinstance(parsed.data, dict) else {}
        self.file = file
        self.problems: list[Problem] = []
        self.skip = {tuple(p) for p in skip}
        said = self.doc.get("language_version")
        self.language: int = said if said in (1, 2) else 2

    # -- helpers ------------------------------------------------------------

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        line, column = self.parsed.where(path, key=key)
        self.problems.append(Problem(self.file, line, column, format_path(path), message, "checks"))

    def section(self, name: str) -> dict[str, Any]:
        """Every entry of a section, for names to resolve against (well formed or not)."""
        value = self.doc.get(name)
        return value if isinstance(value, dict) else {}

    def broken(self, *path: str | int) -> bool:
        """Whether the schema found fault with this part of the document (or a part containing it)."""
        return any(path[:n] in self.skip for n in range(len(path) + 1))

    def items(self, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The entries of a section whose contents are well formed, to check."""
        for item_id, item in self.section(name).items():
            if isinstance(item, dict) and not self.broken(name, item_id):
                yield item_id, item

    def usable(self, section: str, item_id: Any) -> dict[str, Any] | None:
        """An entry another entry refers to, if its contents can be relied on."""
        item = self.section(section).get(item_id)
        return item if isinstance(item, dict) and not self.broken(section, item_id) else None

    def ref(self, path: Path, value: Any, section: str, what: str) -> bool:
        """Check that ``value`` names an entry of ``section``; say so if not."""
        known = self.section(section)
        if isinstance(value, str) and value in known:
            return True
        if (section,) in self.skip:
            return False  # the section itself is malformed or missing: the schema said so
        close = difflib.get_close_matches(str(value), list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known {section}: {', '.join(known) or 'none'}"
        if self.language == 1 and section == "states" and value == "any":
            hint = "; 'from: any' is part of language 2: write 'language_version: 2' at the top of the file"
        self.add(path, f"unknown {what} {value!r}{hint}")
        return False

    def refs(self, path: Path, value: Any, section: str, what: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.ref(path + (i,), item, section, what)
        elif value is not None:
            self.ref(path, value, section, what)

    def date(self, path: Path, value: Any) -> None:
        if isinstance(value, str) and parse_date(value) is None:
            self.add(path, f"{value!r} is not a real date")

    def citations(self) -> Iterator[tuple[Path, Any]]:
        calendar = self.doc.get("calendar")
        if isinstance(calendar, dict) and "cite" in calendar and not self.broken("calendar"):
            yield ("calendar", "cite"), calendar["cite"]
        for section in ("roles", "facts", "criteria", "stages", "states", "events", "deadlines", "actions",
                        "parties", "tasks", "consistency"):
            for item_id, item in self.items(section):
                if "cite" in item:
                    yield (section, item_id, "cite"), item["cite"]
                extension = item.get("extension") if section == "deadlines" else None
                if isinstance(extension, dict) and "cite" in extension:
                    yield (section, item_id, "extension", "cite"), extension["cite"]

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
        self.check_language_2()
        self.check_graph()
        self.problems.sort(key=lambda p: (p.line, p.column, p.message))
        return self.problems

    def check_identity(self) -> None:
        if not self.broken("effective_from"):
            self.date(("effective_from",), self.doc.get("effective_from"))
        if self.doc.get("supersedes") is not None and self.doc.get("supersedes") == self.doc.get("version"):
            self.add(("supersedes",), "a version cannot supersede itself")
        reference = self.doc.get("reference")
        if isinstance(reference, dict) and not self.broken("reference"):
            try:
                pattern = re.compile(reference["pattern"])
            except re.error as exc:
                self.add(("reference", "pattern"), f"not a valid regular expression: {exc}")
            else:
                if not pattern.fullmatch(reference["example"]):
                    self.add(("reference", "example"), f"{reference['example']!r} does not match the pattern {reference['pattern']!r}")
        opening = self.doc.get("opening")
        if not isinstance(opening, dict) or self.broken("opening"):
            return
        date_fact = opening.get("date_fact")
        if self.ref(("opening", "date_fact"), date_fact, "facts", "fact"):
            fact = self.usable("facts", date_fact)
            kind = fact.get("type") if fact is not None else "date"
            if kind != "date":
                self.add(("opening", "date_fact"), f"the opening fact {date_fact!r} must be a date fact, not {kind}")
        self.refs(("opening", "facts"), opening.get("facts"), "facts", "fact")

    def check_sources(self) -> None:
        for source_id, source in self.items("sources"):
            self.date(("sources", source_id, "published"), source.get("published"))
        for path, cite in self.citations():
            if isinstance(cite, dict):
                self.ref(path + ("source",), str(cite.get("source")), "sources", "source")
            else:
                self.ref(path, cite, "sources", "source")

    def check_calendar(self) -> None:
        calendar = self.doc.get("calendar")
        if not isinstance(calendar, dict) or self.broken("calendar"):
            return
        region = calendar.get("holidays")
        if isinstance(region, dict):
            from .workdays import holiday_region_problem

            problem = holiday_region_problem(region.get("country"), region.get("subdivision"))
            if problem:
                self.add(("calendar", "holidays"), problem)
        for i, closure in enumerate(as_list(calendar.get("closures"))):
            self.date(("calendar", "closures", i, "date"), closure.get("date"))

    def check_facts(self) -> None:
        for fact_id, fact in self.items("facts"):
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
            if "derive" in fact:
                self.check_derivation(path, fact)

    def check_criteria(self) -> None:
        uses: dict[str, set[str]] = {}
        for criterion_id, criterion in self.items("criteria"):
            uses[criterion_id] = set()
            self.check_rule(("criteria", criterion_id, "rule"), criterion.get("rule"), uses[criterion_id])
        for cycle_start in _cycles(uses):
            self.add(("criteria", cycle_start, "rule"),
                     f"criterion {cycle_start!r} depends on itself through other criteria; break the loop")

    def check_rule(self, path: Path, rule: Any, uses: set[str]) -> None:
        if not isinstance(rule, dict):
            return
        for key in ("all", "any"):
            if isinstance(rule.get(key), list):
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
            fact = self.usable("facts", fact_id)
            if fact is None:
                return
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
            self.check_comparison(path, fact_id, fact, rule)
        self.check_rule_v2(path, rule)

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
            if not isinstance(value, str) or parse_date(value) is None:
                self.add(path, f"{fact_id!r} is a date; compare it with a date written YYYY-MM-DD")
            return
        actual = _TYPE_OF_VALUE.get(type(value))
        if actual != kind:
            self.add(path, f"{fact_id!r} is {kind}, but {value!r} is {actual}" + ("; write true or false" if kind == "boolean" else ""))

    def check_states(self) -> None:
        for state_id, state in self.items("states"):
            self.ref(("states", state_id, "stage"), state.get("stage"), "stages", "stage")
            if state.get("initial") and state.get("final"):
                self.add(("states", state_id), "a state cannot be both initial and final", key=True)
            if state_id == "any" and self.language >= 2:
                self.add(("states", state_id), "'any' is the word for every state in an event's 'from'; choose another id", key=True)
        used = {state.get("stage") for state in self.section("states").values() if isinstance(state, dict)}
        for stage_id in self.section("stages"):
            if stage_id not in used and not self.broken("states"):
                self.add(("stages", stage_id), f"stage {stage_id!r} has no states; remove it or put a state in it", key=True)

    def check_events(self) -> None:
        for event_id, event in self.items("events"):
            path: Path = ("events", event_id)
            if event.get("from") != "any" or self.language == 1:
                for i, source in enumerate(as_list(event.get("from"))):
                    where = path + (("from", i) if isinstance(event.get("from"), list) else ("from",))
                    state = self.usable("states", source)
                    if self.ref(where, source, "states", "state") and state is not None and state.get("final"):
                        self.add(where, f"{source!r} is a final state; no event may leave it")
            if "to" in event:
                self.ref(path + ("to",), event.get("to"), "states", "state")
            self.refs(path + ("by",), event.get("by"), "roles", "role")
            requires = event.get("requires") or {}
            self.refs(path + ("requires", "facts"), requires.get("facts"), "facts", "fact")
            self.refs(path + ("requires", "criteria"), requires.get("criteria"), "criteria", "criterion")
            self.check_signoffs(path + ("requires", "signoff"), requires.get("signoff"))
            self.check_event_v2(path, event)

    def check_deadlines(self) -> None:
        for deadline_id, deadline in self.items("deadlines"):
            path: Path = ("deadlines", deadline_id)
            self.refs(path + ("owner",), deadline.get("owner"), "roles", "role")
            self.refs(path + ("met_by",), deadline.get("met_by"), "events", "event")
            self.refs(path + ("applies_when",), deadline.get("applies_when"), "criteria", "criterion")
            for direction in ("after", "before"):
                anchor = deadline.get(direction)
                if not isinstance(anchor, dict):
                    continue
                self.check_anchor(path + (direction,), anchor, met_by=as_list(deadline.get("met_by")))
            if "warn" in deadline and longer(deadline["warn"], deadline.get("period")):
                self.add(path + ("warn",), "the warning period is longer than the deadline's own period; "
                                           "it would count as due soon before it starts")
            self.check_deadline_v2(path, deadline)

    def check_anchor(self, path: Path, anchor: dict[str, Any], met_by: Sequence[Any] = ()) -> None:
        """A date fact or an event a deadline counts from (language 2: or the earliest or latest of several)."""
        for kind in ("earliest", "latest"):
            for i, part in enumerate(as_list(anchor.get(kind))):
                if isinstance(part, dict):
                    self.check_anchor(path + (kind, i), part, met_by)
        if "fact" in anchor and self.ref(path + ("fact",), anchor["fact"], "facts", "fact"):
            anchored = self.usable("facts", anchor["fact"])
            anchored_kind = anchored.get("type") if anchored is not None else "date"
            if anchored_kind != "date":
                self.add(path + ("fact",), f"a deadline is counted from a date fact; {anchor['fact']!r} is {anchored_kind}")
        if "event" in anchor and self.ref(path + ("event",), anchor["event"], "events", "event"):
            if anchor["event"] in met_by:
                self.add(path + ("event",), f"the deadline starts and is met by the same event {anchor['event']!r}")

    def check_actions(self) -> None:
        for stage_id, rule in self.items("actions"):
            self.ref(("actions", stage_id), stage_id, "stages", "stage")
            self.refs(("actions", stage_id, "agreed_by"), rule.get("agreed_by"), "roles", "role")

    def check_graph(self) -> None:
        if self.broken("states") or self.broken("events") or any(
                self.broken(section, item) for section in ("states", "events") for item in self.section(section)):
            return  # the shape of a graph with malformed parts would only mislead
        states = self.section("states")
        events = self.section("events")
        initial = [s for s, v in states.items() if v.get("initial")]
        if len(initial) != 1:
            where = ("states", initial[1]) if len(initial) > 1 else ("states",)
            named = ", ".join(initial) if initial else "none"
            self.add(where, f"exactly one state must be 'initial: true' (found {len(initial)}: {named})", key=bool(initial))
        if any(name not in states for event in events.values() if isinstance(event, dict)
               for name in [*self.sources(event), *as_list(event.get("to"))]):
            return  # an unknown state is the cause; what it leaves unreachable would only bury it
        exits: dict[str, set[str]] = {s: set() for s in states}
        for event in events.values():
            for source in self.sources(event):
                if source in exits and event.get("to") in states:
                    exits[source].add(event["to"])
        if len(initial) == 1:
            reached = set(_reach(initial[0], exits))
            for state_id in states:
                if state_id not in reached:
                    self.add(("states", state_id), f"state {state_id!r} cannot be reached from the initial state "
                             f"{initial[0]!r}; add an event leading to it", key=True)
        for state_id, state in states.items():
            has_exit = any(state_id in self.sources(e) and "to" in e for e in events.values())
            if not state.get("final") and not has_exit:
                self.add(("states", state_id), f"state {state_id!r} is not final but no event leaves it; "
                         "add an event or mark it 'final: true'", key=True)

    def sources(self, event: dict[str, Any]) -> list[str]:
        """The states an event may be recorded in ('any': every state that is not final)."""
        if event.get("from") == "any" and self.language >= 2:
            return [s for s, v in self.section("states").items() if isinstance(v, dict) and not v.get("final")]
        return as_list(event.get("from"))


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


def check_references(parsed: Parsed, file: str, skip: Iterable[Path] = ()) -> list[Problem]:
    """Every cross-reference and graph problem in the well-formed parts of a document.

    ``skip``: the parts the schema found fault with (see :func:`broken_parts`).
    """
    return _Checker(parsed, file, skip).run()


def broken_parts(places: Iterable[Path], data: Any) -> set[Path]:
    """The items the schema found fault with (from the places of its findings): a section's entry, or a
    top-level key (a whole section, when the section itself is malformed or missing)."""
    sections = {"sources", "roles", "facts", "criteria", "stages", "states", "events", "deadlines", "actions",
                "parties", "tasks", "consistency"}
    data = data if isinstance(data, dict) else {}
    out: set[Path] = set()
    for place in places:
        if not place:
            continue
        top = place[0]
        if top in sections and len(place) >= 2 and isinstance(data.get(top), dict) and place[1] in data[top]:
            out.add((top, place[1]))
        else:
            out.add((top,))
    return out
