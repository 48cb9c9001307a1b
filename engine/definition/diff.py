"""A semantic diff of two process definitions, in the process's own words.

Auditors compare editions in the terms of the process ("Deadline 'Report
sent': 15 working days after 'Date opened' → 15 working days after the event
'First review held'"), not in YAML paths.

The diff compares the definitions' normal forms (:meth:`Definition.canonical`,
the same form the content hash is taken over), so it reports a difference
exactly when the hashes differ, and never for comments, key order or layout.
Each difference is rendered by a describer for its kind of item and field;
anything without a describer still appears, in generic words.

Items are matched by id: the same id with a new title is a rename. A role
that disappears while another appears in exactly the same places (the same
events, sign-offs and deadlines) is reported as replaced by it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .builder import anchor_from, date_ref, rule_from
from .describe import anchor_words, cite_words, deadline_words
from .model import All, Any_, Citation, Definition
from .rules import date_ref_words
from .rules import describe as rule_words
from .workdays import PeriodUnit

SECTIONS = ("sources", "roles", "parties", "facts", "criteria", "consistency", "stages", "states", "events",
            "deadlines", "tasks", "actions")
HEADINGS = {
    "process": "Process", "calendar": "Calendar", "sources": "Sources", "roles": "Roles", "facts": "Facts",
    "criteria": "Criteria", "stages": "Stages", "states": "States", "events": "Events (transitions)",
    "deadlines": "Deadlines", "actions": "Agreed actions", "parties": "Parties (organisations per case)",
    "tasks": "Tasks", "consistency": "Consistency rules",
}
_NOUN = {
    "sources": "Source", "roles": "Role", "facts": "Fact", "criteria": "Criterion", "stages": "Stage",
    "states": "State", "events": "Event", "deadlines": "Deadline", "actions": "Actions of stage",
    "parties": "Party", "tasks": "Task", "consistency": "Consistency rule",
}
_TITLE_KEY = {"sources": "title", "roles": "name", "facts": "label"}


@dataclass(frozen=True)
class Change:
    section: str
    item: str | None
    kind: str  # added, removed, changed, renamed, replaced
    field: str | None
    old: Any
    new: Any
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "item": self.item, "kind": self.kind, "field": self.field,
                "old": self.old, "new": self.new, "text": self.text}


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _citation(d: Definition, raw: dict[str, Any] | None) -> str:
    if raw is None:
        return "(none)"
    words = cite_words(d, Citation(raw["source"], raw.get("section"), raw.get("note"), raw.get("verified", True)))
    return words + (f" [note: {raw['note']}]" if raw.get("note") else "")


def _members(before: list[Any], after: list[Any], name: Callable[[Any], str]) -> str:
    added = [name(x) for x in after if x not in before]
    removed = [name(x) for x in before if x not in after]
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    return "; ".join(parts) or "reordered"


class _Differ:
    def __init__(self, old: Definition, new: Definition):
        self.old, self.new = old, new
        self.a, self.b = old.canonical(), new.canonical()
        self.changes: list[Change] = []
        self.role_map: dict[str, str] = {}

    # -- names in words, from whichever side knows the id -----------------------------

    def _name(self, section: str, ident: str) -> str:
        if section in ("parties", "actions"):
            return self._name("roles" if section == "parties" else "stages", ident)
        for d in (self.new, self.old):
            table = getattr(d, section)
            if ident in table:
                item = table[ident]
                title = getattr(item, "title", None) or getattr(item, "name", None) or getattr(item, "label", None)
                return f"'{title}'"
        return f"'{ident}'"

    def role(self, ident: str) -> str:
        return self._name("roles", ident)

    def add(self, section: str, item: str | None, kind: str, field: str | None, old: Any, new: Any, text: str) -> None:
        self.changes.append(Change(section, item, kind, field, old, new, text))

    # -- the walk -----------------------------------------------------------------------

    def run(self) -> list[Change]:
        self.process_fields()
        self.calendar()
        self.find_replaced_roles()
        for section in SECTIONS:
            self.section(section)
        return self.changes

    def process_fields(self) -> None:
        labels = {
            "language_version": "Language version", "id": "Process id", "title": "Title", "version": "Version",
            "edition": "Edition", "effective_from": "In effect from", "supersedes": "Supersedes",
            "description": "Description", "reference": "Case reference format", "opening": "Opening",
        }
        def option(opening: dict[str, Any]) -> str:
            return f"--{opening['option']}" if opening.get("option") else "--on only"

        before_opening, after_opening = self.a.get("opening") or {}, self.b.get("opening") or {}
        if before_opening.get("option") != after_opening.get("option"):
            self.add("process", None, "changed", "opening.option", before_opening.get("option"), after_opening.get("option"),
                     f"The opening date may also be given as: {option(before_opening)} → {option(after_opening)}")
        for key, label in labels.items():
            before, after = self.a.get(key), self.b.get(key)
            if before == after:
                continue
            if key == "opening":
                if {k: v for k, v in (before or {}).items() if k != "option"} == {k: v for k, v in (after or {}).items() if k != "option"}:
                    continue  # only the option's name changed: said above
                text = f"A case opens with {self._fact_list(self.old, before or {})} → {self._fact_list(self.new, after or {})}"
            elif key == "reference":
                text = f"{label}: {_show(before and before['example'])} ({_show(before and before['pattern'])}) → " \
                       f"{_show(after and after['example'])} ({_show(after and after['pattern'])})"
            else:
                text = f"{label}: {_show(before)} → {_show(after)}"
            self.add("process", None, "changed", key, before, after, text)

    def _fact_list(self, d: Definition, opening: dict[str, Any]) -> str:
        facts = [opening["date_fact"], *opening.get("facts", [])]
        return ", ".join(f"'{d.facts[f].label}'" if f in d.facts else f"'{f}'" for f in facts)

    def calendar(self) -> None:
        before, after = self.a.get("calendar", {}), self.b.get("calendar", {})
        if before.get("holidays") != after.get("holidays"):
            def region(h: dict[str, str]) -> str:
                return "-".join(v for v in (h.get("country"), h.get("subdivision")) if v)

            self.add("calendar", None, "changed", "holidays", before.get("holidays"), after.get("holidays"),
                     f"Holiday region: {region(before.get('holidays', {}))} → {region(after.get('holidays', {}))}")
        old_days = {c["date"]: c["reason"] for c in before.get("closures", [])}
        new_days = {c["date"]: c["reason"] for c in after.get("closures", [])}
        for day in sorted(set(old_days) | set(new_days)):
            if day not in new_days:
                self.add("calendar", day, "removed", "closures", old_days[day], None, f"Local closure {day} removed ({old_days[day]})")
            elif day not in old_days:
                self.add("calendar", day, "added", "closures", None, new_days[day], f"Local closure {day} added ({new_days[day]})")
            elif old_days[day] != new_days[day]:
                self.add("calendar", day, "changed", "closures", old_days[day], new_days[day],
                         f"Local closure {day}: reason '{old_days[day]}' → '{new_days[day]}'")
        if before.get("cite") != after.get("cite"):
            self.add("calendar", None, "changed", "cite", before.get("cite"), after.get("cite"),
                     f"Calendar citation: {_citation(self.old, before.get('cite'))} → {_citation(self.new, after.get('cite'))}")

    def _role_uses(self, canonical: dict[str, Any], role: str) -> set[tuple[str, str, str]]:
        uses = set()
        for event_id, event in canonical["events"].items():
            if role in event.get("by", []):
                uses.add(("events", event_id, "by"))
            if role in [s if isinstance(s, str) else s.get("role") for s in event.get("requires", {}).get("signoff", [])]:
                uses.add(("events", event_id, "signoff"))
        for deadline_id, deadline in canonical["deadlines"].items():
            if role in deadline.get("owner", []):
                uses.add(("deadlines", deadline_id, "owner"))
        return uses

    def find_replaced_roles(self) -> None:
        """A removed role whose every use (in items both versions have) the added role took over."""
        removed = [r for r in self.a["roles"] if r not in self.b["roles"]]
        added = [r for r in self.b["roles"] if r not in self.a["roles"]]
        for old_role in removed:
            uses = {u for u in self._role_uses(self.a, old_role) if u[1] in self.b[u[0]]}
            best, overlap = None, 0
            for new_role in added:
                new_uses = self._role_uses(self.b, new_role)
                if uses and uses <= new_uses and new_role not in self.role_map.values() and len(uses) > overlap:
                    best, overlap = new_role, len(uses)
            if best is not None:
                self.role_map[old_role] = best
        if not self.role_map:
            return
        counts = {
            old_role: (len({u for u in self._role_uses(self.a, old_role) if u[1] in self.b[u[0]]}),
                       len(self._role_uses(self.b, new_role)))
            for old_role, new_role in self.role_map.items()
        }
        # Compare everything else as if the old role had been called by its successor's id.
        def swap(ids: list[str]) -> list[str]:
            return sorted(self.role_map.get(i, i) for i in ids)

        for event in self.a["events"].values():
            event["by"] = swap(event.get("by", []))
            signoff = event["requires"].get("signoff", [])
            event["requires"]["signoff"] = swap([x for x in signoff if isinstance(x, str)]) + [
                {**x, "role": self.role_map.get(x["role"], x["role"])} for x in signoff if isinstance(x, dict)]
        for deadline in self.a["deadlines"].values():
            deadline["owner"] = swap(deadline.get("owner", []))
        for old_role, new_role in self.role_map.items():
            before, after = self.a["roles"][old_role], self.b["roles"][new_role]
            shared, total = counts[old_role]
            self.add("roles", new_role, "replaced", None, old_role, new_role,
                     f"Role '{before['name']}' ({old_role}) replaced by '{after['name']}' ({new_role}) in all "
                     f"{shared} places it was named" + (f", and named in {total - shared} more" if total > shared else ""))

    def section(self, section: str) -> None:
        before, after = self.a.get(section, {}), self.b.get(section, {})
        noun = _NOUN[section]
        for ident in before:
            if ident not in after and not (section == "roles" and ident in self.role_map):
                self.add(section, ident, "removed", None, before[ident], None,
                         f"{noun} {self._label(section, before[ident], ident)} removed")
        for ident in after:
            if ident not in before and not (section == "roles" and ident in self.role_map.values()):
                self.add(section, ident, "added", None, None, after[ident],
                         f"{noun} {self._label(section, after[ident], ident)} added")
        for ident in before:
            if ident in after and before[ident] != after[ident]:
                self.item(section, ident, before[ident], after[ident])

    def _item_name(self, section: str, ident: str) -> str:
        if section == "actions":
            return f"Actions of stage {self._name('stages', ident)}"
        return f"{_NOUN[section]} {self._name(section, ident)}"

    def _label(self, section: str, item: dict[str, Any], ident: str) -> str:
        if section in ("actions", "parties"):
            return f"{self._name(section, ident)} ({ident})"
        return f"'{item.get(_TITLE_KEY.get(section, 'title'), ident)}' ({ident})"

    def item(self, section: str, ident: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        name = self._item_name(section, ident)
        keys = list(dict.fromkeys([*before, *after]))
        due_keys = ("period", "after", "before", "roll")
        if section == "deadlines" and any(before.get(k) != after.get(k) for k in due_keys):
            self.add(section, ident, "changed", "due", {k: before.get(k) for k in due_keys},
                     {k: after.get(k) for k in due_keys},
                     f"{name}: {deadline_words(self.old, self.old.deadlines[ident])} → "
                     f"{deadline_words(self.new, self.new.deadlines[ident])}")
            keys = [k for k in keys if k not in due_keys]
        if section == "tasks" and any(before.get(k) != after.get(k) for k in ("period", "after")):
            self.add(section, ident, "changed", "due", {k: before.get(k) for k in ("period", "after")},
                     {k: after.get(k) for k in ("period", "after")},
                     f"{name}: due {self._task_due(self.old, before)} → {self._task_due(self.new, after)}")
            keys = [k for k in keys if k not in ("period", "after")]
        for key in keys:
            old_value, new_value = before.get(key), after.get(key)
            if old_value != new_value:
                text = self.field_words(section, ident, name, key, old_value, new_value)
                kind = "renamed" if key == _TITLE_KEY.get(section, "title") else "changed"
                self.add(section, ident, kind, key, old_value, new_value, text)

    def _task_due(self, d: Definition, task: dict[str, Any]) -> str:
        if not task.get("period") or not task.get("after"):
            return "on the date given when it is added"
        return f"{_period_words(task['period'])} after {anchor_words(d, anchor_from(task['after']))}"

    # -- fields in words -----------------------------------------------------------------

    def field_words(self, section: str, ident: str, name: str, key: str, old: Any, new: Any) -> str:
        if key == _TITLE_KEY.get(section, "title"):
            return f"{_NOUN[section]} '{ident}' renamed: '{old}' → '{new}'"
        if key == "cite":
            return f"{name}: citation {_citation(self.old, old)} → {_citation(self.new, new)}"
        if key == "rule":
            return self.rule_words(ident, name, old, new)
        if key == "requires":
            return self.requirement_words(name, old, new)
        if key in ("by", "owner", "agreed_by"):
            what = {"by": "who records it", "owner": "owner", "agreed_by": "agreed by"}[key]
            return f"{name}: {what}: {_members(old or [], new or [], self.role)}"
        if key == "from":
            return f"{name}: possible from: {_members(old or [], new or [], lambda s: self._name('states', s))}"
        if key == "to":
            return f"{name}: leads to {self._name('states', old)} → {self._name('states', new)}"
        if key == "met_by":
            return f"{name}: met by: {_members(old or [], new or [], lambda e: self._name('events', e))}"
        if key == "applies_when":
            return f"{name}: applies when: {_members(old or [], new or [], lambda c: self._name('criteria', c))}"
        if key == "warn":
            def words(p: dict[str, int] | None) -> str:
                return _period_words(p) + " before it is due" if p else "no warning"

            return f"{name}: due soon from {words(old)} → {words(new)}"
        if key == "stage":
            return f"{name}: moved from stage {self._name('stages', old)} to {self._name('stages', new)}"
        if key == "values":
            return self.value_words(name, old or {}, new or {})
        language_2 = self.language_2_words(section, name, key, old, new)
        if language_2 is not None:
            return language_2
        return f"{name}: {key.replace('_', ' ')} {_show(old)} → {_show(new)}"

    def language_2_words(self, section: str, name: str, key: str, old: Any, new: Any) -> str | None:
        """The fields language 2 added, in words (None: not one of them)."""
        words = {
            "extension": self._extension_words, "pauses": self._pause_words, "late_in": _unit_words,
            "off_route": self._off_route_words, "derive": self._derive_words,
        }.get(key)
        if words is not None:
            prefix = "lateness counted in " if key == "late_in" else ""
            return f"{name}: {prefix}{words(old)} → {prefix}{words(new)}"
        if key == "to" and (old is None or new is None):
            return f"{name}: leads to {self._target_words(old)} → {self._target_words(new)}"
        if section == "parties" and key == "organisations":
            return f"{name}: organisations: {_members(old or [], new or [], repr)}"
        if section == "parties" and key in ("required", "multiple"):
            meaning = {"required": "named when a case is opened", "multiple": "several per case"}[key]
            return f"{name}: {meaning}: {_show(bool(old))} → {_show(bool(new))}"
        if section == "parties" and key == "default":
            return f"{name}: default organisation: {_show(old)} → {_show(new)}"
        if section == "tasks" and key == "party":
            return f"{name}: one for each {self.role(old)} → one for each {self.role(new)}"
        return None

    def _extension_words(self, value: Any) -> str:
        if not value:
            return "no extension provided for"
        return f"may be extended by {', '.join(self.role(r) for r in value['agreed_by'])}"

    def _pause_words(self, value: Any) -> str:
        if not value:
            return "never paused"
        return "; ".join(f"paused from {self._name('events', p['paused_by'])} until {self._name('events', p['resumed_by'])}"
                         for p in value)

    def _off_route_words(self, value: Any) -> str:
        if not value:
            return "never flagged"
        return f"flagged '{value['words']}' at " + ", ".join(self._name("states", s) for s in value["from"])

    def _derive_words(self, value: Any) -> str:
        if not value:
            return "recorded, not derived"
        return (f"whole {value['in'].replace('_', ' ')} from {date_ref_words(self.new, date_ref(value['from']))} "
                f"to {date_ref_words(self.new, date_ref(value['to']))}")

    def _target_words(self, state: Any) -> str:
        return self._name("states", state) if state else "stays where it is"

    def rule_words(self, ident: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
        before, after = rule_from(old), rule_from(new)
        if isinstance(before, (All, Any_)) and isinstance(after, (All, Any_)) and type(before) is type(after):
            old_parts = [json.dumps(x, sort_keys=True) for x in old["all" if isinstance(before, All) else "any"]]
            new_parts = [json.dumps(x, sort_keys=True) for x in new["all" if isinstance(after, All) else "any"]]
            added = [rule_words(self.new, r) for r, key in zip(after.rules, new_parts, strict=True) if key not in old_parts]
            removed = [rule_words(self.old, r) for r, key in zip(before.rules, old_parts, strict=True) if key not in new_parts]
            parts = [f"added condition {w}" for w in added] + [f"removed condition {w}" for w in removed]
            if parts:
                return f"{name}: " + "; ".join(parts)
        return f"{name}: rule {rule_words(self.old, before)} → {rule_words(self.new, after)}"

    def requirement_words(self, name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
        parts = []
        def signoff_name(item: Any) -> str:
            if isinstance(item, str):
                return self.role(item)
            side = self.new if item["role"] in self.new.roles else self.old
            return f"{self.role(item['role'])} when {rule_words(side, rule_from(item['when']))}"

        for key, label, namer in (
            ("facts", "facts needed", lambda f: self._name("facts", f)),
            ("criteria", "criteria needed", lambda c: self._name("criteria", c)),
            ("signoff", "sign-off needed from", signoff_name),
        ):
            if old.get(key, []) != new.get(key, []):
                parts.append(f"{label}: {_members(old.get(key, []), new.get(key, []), namer)}")
        return f"{name}: " + "; ".join(parts)

    def value_words(self, name: str, old: dict[str, str], new: dict[str, str]) -> str:
        parts = [f"value '{v}' added" for v in new if v not in old]
        parts += [f"value '{v}' removed" for v in old if v not in new]
        parts += [f"value '{v}' now means '{new[v]}' (was '{old[v]}')" for v in old if v in new and old[v] != new[v]]
        return f"{name}: " + "; ".join(parts or ["values reordered"])


def _unit_words(unit: Any) -> str:
    return str(unit or "working_days").replace("_", " ")


def _period_words(period: dict[str, int]) -> str:
    (unit, amount), = period.items()
    return PeriodUnit(unit).amount(amount)


def diff(old: Definition, new: Definition) -> list[Change]:
    """Every difference between two definitions, in words."""
    if old.content_hash == new.content_hash:
        return []
    return _Differ(old, new).run()


def grouped(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    """The changes under headings: substance first, by section; changed citations after, in a group of their own."""
    groups = [(HEADINGS[s], [c for c in changes if c.section == s and c.field != "cite"]) for s in ("process", "calendar", *SECTIONS)]
    groups.append(("Citations", [c for c in changes if c.field == "cite"]))
    return [(heading, group) for heading, group in groups if group]


def _changes(group: list[Change]) -> str:
    """'no change', or 'N changes', naming the items changed when there are few."""
    if not group:
        return "no change"
    items = list(dict.fromkeys(c.item for c in group if c.item))
    named = f" ({', '.join(items)})" if items and len(items) <= 4 else ""
    return f"{len(group)} change{'s' if len(group) != 1 else ''}{named}"


# what an auditor asks first, always answered (with "no change" when so); "route" is the states and events
_SUMMARY = (("Deadlines", ("deadlines",)), ("Criteria", ("criteria", "consistency")), ("Roles", ("roles", "parties")),
            ("Route (states and events)", ("states", "events")))


def summary(changes: list[Change], hidden_citations: int = 0) -> list[str]:
    """A few lines saying what changed in substance (deadlines, criteria, roles, route; then the rest,
    by section) and how many changes only change citations."""
    substance = [c for c in changes if c.field != "cite"]
    counted: set[str] = set()
    lines = []
    for heading, sections in _SUMMARY:
        counted.update(sections)
        lines.append(f"{heading}: {_changes([c for c in substance if c.section in sections])}")
    for section in ("process", "calendar", *SECTIONS):
        if section not in counted:
            group = [c for c in substance if c.section == section]
            if group:
                lines.append(f"{HEADINGS[section]}: {_changes(group)}")
    citations = sum(1 for c in changes if c.field == "cite") + hidden_citations
    total = len(changes) + hidden_citations
    line = f"Citations only: {citations} of {total} change{'s' if total != 1 else ''}"
    lines.append(line + (" (not shown: --no-citations)" if hidden_citations else ""))
    return lines


def text_lines(old: Definition, new: Definition, changes: list[Change], markdown: bool = False,
               hidden_citations: int = 0) -> list[str]:
    head = f"{old.label} ({old.edition}) → {new.label} ({new.edition})"
    lines = [f"# Changes: {head}" if markdown else f"Comparing {head}"]
    if not changes and not hidden_citations:
        return lines + ["", "No differences."]
    lines += ["", "## Summary" if markdown else "Summary"]
    if markdown:
        lines.append("")
    lines += [f"- {line}" if markdown else f"  {line}" for line in summary(changes, hidden_citations)]
    for heading, group in grouped(changes):
        lines += ["", f"## {heading}" if markdown else heading]
        if markdown:
            lines.append("")
        lines += [f"- {c.text}" if markdown else f"  - {c.text}" for c in group]
    shown = f"{len(changes)} difference{'s' if len(changes) != 1 else ''}"
    lines += ["", shown + (f" ({hidden_citations} citation-only not shown)." if hidden_citations else ".")]
    return lines
