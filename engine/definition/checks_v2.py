"""The cross-checks of what language 2 added, each reported at its line and path.

A mixin of the checker in :mod:`cspr.engine.definition.checks` (which supplies
``add``, ``ref``, ``refs``, ``items``, ``usable`` and ``section``): parties
and the organisations they allow, tasks, consistency rules, derived facts,
comparisons in rules, event/party/task tests, conditional sign-offs, steps
that change no state and their off-route flags, anchors with occurrences or
several dates, extensions, pauses and rolling due dates.

On a language-1 document these find nothing to check: the language-1 schema
refuses every key they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .yamlsafe import Path

_NUMBER_OPS = ("at_least", "at_most", "between")
_DATE_OPS = ("before", "after", "on_or_before", "on_or_after", "within")
# Options of 'cspr case open' that a process's own name for --on may not take.
RESERVED_OPTIONS = frozenset({"on", "fact", "facts", "by", "note", "db", "json", "process", "party", "linked",
                              "help", "today", "actor"})


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class LanguageTwoChecks:
    doc: dict[str, Any]
    language: int

    # provided by the checker
    def add(self, path: Path, message: str, *, key: bool = False) -> None: ...  # pragma: no cover
    def ref(self, path: Path, value: Any, section: str, what: str) -> bool: ...  # type: ignore[empty-body]  # pragma: no cover
    def refs(self, path: Path, value: Any, section: str, what: str) -> None: ...  # pragma: no cover
    def items(self, name: str) -> Any: ...  # pragma: no cover
    def usable(self, section: str, item_id: Any) -> dict[str, Any] | None: ...  # pragma: no cover
    def section(self, name: str) -> dict[str, Any]: ...  # type: ignore[empty-body]  # pragma: no cover
    def check_rule(self, path: Path, rule: Any, uses: set[str]) -> None: ...  # pragma: no cover
    def check_anchor(self, path: Path, anchor: dict[str, Any], met_by: Sequence[Any] = ...) -> None: ...  # pragma: no cover
    def sources(self, event: dict[str, Any]) -> list[str]: ...  # type: ignore[empty-body]  # pragma: no cover

    # -- the sections only language 2 has ------------------------------------------

    def check_language_2(self) -> None:
        self.check_opening_option()
        self.check_parties()
        self.check_tasks()
        uses: set[str] = set()
        for rule_id, rule in self.items("consistency"):
            self.check_rule(("consistency", rule_id, "rule"), rule.get("rule"), uses)

    def check_opening_option(self) -> None:
        opening = self.doc.get("opening")
        option = opening.get("option") if isinstance(opening, dict) else None
        if isinstance(option, str) and option in RESERVED_OPTIONS:
            self.add(("opening", "option"), f"'--{option}' is already an option of 'cspr case open'; choose another name")

    def check_parties(self) -> None:
        for role, party in self.items("parties"):
            path: Path = ("parties", role)
            self.ref(path, role, "roles", "role")
            allowed = party.get("organisations") or []
            default = party.get("default")
            if default is not None and allowed and default not in allowed:
                self.add(path + ("default",), f"{default!r} is not one of the organisations listed for {role!r}")
            if default is not None and party.get("multiple"):
                self.add(path + ("default",), "a role several organisations may fill cannot have a default one")

    def check_tasks(self) -> None:
        for task_id, task in self.items("tasks"):
            path: Path = ("tasks", task_id)
            party = task.get("party")
            if self.ref(path + ("party",), party, "roles", "role") and party not in self.section("parties"):
                self.add(path + ("party",), f"tasks are done by the organisations filling a role; list {party!r} "
                                            "under 'parties' (with 'multiple: true' if several do one each)")
            if isinstance(task.get("after"), dict):
                self.check_anchor(path + ("after",), task["after"])
            from .checks import longer

            if "warn" in task and "period" in task and longer(task["warn"], task["period"]):
                self.add(path + ("warn",), "the warning period is longer than the task's own period")

    # -- facts and rules --------------------------------------------------------------

    def check_derivation(self, path: Path, fact: dict[str, Any]) -> None:
        if fact.get("type") != "integer":
            self.add(path + ("type",), f"a derived fact is a whole number of {fact['derive'].get('in', 'units')}: "
                                       "write 'type: integer'")
        for end in ("from", "to"):
            self.check_date_ref(path + ("derive", end), fact["derive"].get(end))
        fact_id = path[-1]
        opening = self.doc.get("opening")
        opening = opening if isinstance(opening, dict) else {}
        if fact_id in _list(opening.get("facts")) or fact_id == opening.get("date_fact"):
            self.add(path + ("derive",), f"{fact_id!r} is derived, so it cannot be asked for when a case is opened")
        for event_id, event in self.items("events"):
            facts = _list((event.get("requires") or {}).get("facts"))
            if fact_id in facts:
                where = ("events", event_id, "requires", "facts", facts.index(fact_id))
                self.add(where, f"{fact_id!r} is derived from dates, not recorded; require the dates it is "
                                "derived from, or test it in a criterion")

    def check_date_ref(self, path: Path, value: Any) -> None:
        """A date a rule or a derivation reads: a date fact, an event, or a date."""
        if not isinstance(value, dict):
            return
        if "fact" in value and self.ref(path + ("fact",), value["fact"], "facts", "fact"):
            fact = self.usable("facts", value["fact"])
            if fact is not None and fact.get("type") != "date":
                self.add(path + ("fact",), f"{value['fact']!r} is {fact.get('type')}, not a date")
        if "event" in value:
            self.ref(path + ("event",), value["event"], "events", "event")
        if "date" in value:
            from .checks import parse_date

            if parse_date(value["date"]) is None:
                self.add(path + ("date",), f"{value['date']!r} is not a real date")

    def check_comparison(self, path: Path, fact_id: str, fact: dict[str, Any], rule: dict[str, Any]) -> None:
        kind = fact.get("type")
        for op in _NUMBER_OPS:
            if op in rule and kind != "integer":
                self.add(path + (op,), f"'{op}' compares numbers; {fact_id!r} is {kind}")
        between = rule.get("between")
        if isinstance(between, list) and len(between) == 2 and kind == "integer" and between[0] > between[1]:
            self.add(path + ("between",), f"the first number ({between[0]}) is larger than the second ({between[1]})")
        for op in _DATE_OPS:
            if op not in rule:
                continue
            if kind != "date":
                self.add(path + (op,), f"'{op}' compares dates; {fact_id!r} is {kind}")
                continue
            operand = rule[op]
            if op == "within" and isinstance(operand, dict):
                for direction in ("after", "before"):
                    if direction in operand:
                        self.check_date_ref(path + (op, direction), operand[direction])
            elif isinstance(operand, str):
                from .checks import parse_date

                if parse_date(operand) is None:
                    self.add(path + (op,), f"{operand!r} is not a real date")
            else:
                self.check_date_ref(path + (op,), operand)
        if fact.get("derive") is not None and any(op in rule for op in ("includes",)):
            self.add(path, f"{fact_id!r} is a derived number")

    def check_rule_v2(self, path: Path, rule: dict[str, Any]) -> None:
        if "event" in rule:
            self.ref(path + ("event",), rule["event"], "events", "event")
        if "tasks" in rule:
            self.ref(path + ("tasks",), rule["tasks"], "tasks", "kind of task")
        if "party" in rule:
            role = rule["party"]
            if not self.ref(path + ("party",), role, "parties", "party"):
                return
            party = self.usable("parties", role) or {}
            allowed = party.get("organisations") or []
            for op in ("equals", "one_of"):
                if op not in rule:
                    continue
                names = _list(rule[op])
                for i, name in enumerate(names):
                    where = path + ((op, i) if op == "one_of" else (op,))
                    if not isinstance(name, str):
                        self.add(where, f"a party is tested against an organisation's name; {name!r} is not text")
                    elif allowed and name not in allowed:
                        self.add(where, f"{name!r} is not one of the organisations listed for {role!r}: "
                                        f"{', '.join(allowed)}")

    def check_signoffs(self, path: Path, value: Any) -> None:
        for i, item in enumerate(_list(value)):
            where = path + (i,) if isinstance(value, list) else path
            if isinstance(item, dict):
                self.ref(where + ("role",), item.get("role"), "roles", "role")
                self.check_rule(where + ("when",), item.get("when"), set())
            else:
                self.ref(where, item, "roles", "role")

    # -- events and deadlines -----------------------------------------------------------

    def check_event_v2(self, path: Path, event: dict[str, Any]) -> None:
        off_route = event.get("off_route")
        if not isinstance(off_route, dict) or "from" not in off_route:
            return
        allowed = self.sources(event)
        for i, state in enumerate(_list(off_route["from"])):
            where = path + (("off_route", "from", i) if isinstance(off_route["from"], list) else ("off_route", "from"))
            if self.ref(where, state, "states", "state") and state not in allowed:
                self.add(where, f"the event cannot be recorded at {state!r} (it is possible from: {', '.join(allowed)})")

    def check_deadline_v2(self, path: Path, deadline: dict[str, Any]) -> None:
        period = deadline.get("period")
        period = period if isinstance(period, dict) else {}
        extension = deadline.get("extension")
        if isinstance(extension, dict):
            self.refs(path + ("extension", "agreed_by"), extension.get("agreed_by"), "roles", "role")
        for i, pause in enumerate(_list(deadline.get("pauses"))):
            if not isinstance(pause, dict):
                continue
            for end in ("paused_by", "resumed_by"):
                self.ref(path + ("pauses", i, end), pause.get(end), "events", "event")
            if pause.get("paused_by") == pause.get("resumed_by"):
                self.add(path + ("pauses", i, "resumed_by"), "a pause must end with a different event from the one that starts it")
        if "pauses" in deadline and "before" in deadline:
            self.add(path + ("pauses",), "only a deadline counted after a date can be paused")
        if "roll" in deadline and "working_days" in period:
            self.add(path + ("roll",), "a working-day deadline always falls on a working day; 'roll' is for "
                                       "calendar days and months")
        anchor = deadline.get("before")
        if isinstance(anchor, dict) and anchor.get("occurrence") == "each":
            self.add(path + ("before", "occurrence"), "a deadline counted before an event cannot repeat with each "
                                                      "occurrence; count it after the event")
