"""Building the immutable model from a checked document (YAML already parsed, schema and checks passed).

A process stored with cases keeps its parsed document as JSON, so it loads
through here without YAML or the schema (its content hash proves it is the
same document that was checked).
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any, Literal

from .model import (
    ActionRule,
    All,
    Anchor,
    Any_,
    CalendarSpec,
    Citation,
    Closure,
    ConditionalSignoff,
    Criterion,
    CriterionRef,
    DateRef,
    Deadline,
    Definition,
    Derivation,
    Event,
    EventTest,
    ExtensionRule,
    Fact,
    FactOp,
    FactTest,
    Not,
    OffRoute,
    Opening,
    PartySpec,
    PartyTest,
    Pause,
    Period,
    ReferenceFormat,
    Requirements,
    Role,
    Rule,
    Source,
    Stage,
    State,
    TaskKind,
    TasksTest,
    Within,
)
from .workdays import PeriodUnit

_FACT_OPS: tuple[FactOp, ...] = ("equals", "one_of", "is_set", "includes", "at_least", "at_most", "between", "before", "after",
             "on_or_before", "on_or_after", "within")
_PERIOD_UNITS = ("working_days", "calendar_days", "months")


def _ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _cite(value: Any) -> Citation | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Citation(source=value)
    return Citation(
        source=value["source"],
        section=value.get("section"),
        note=value.get("note"),
        verified=value.get("verified", True),
    )


def rule_from(value: dict[str, Any]) -> Rule:
    """A rule of the model from its YAML form (already checked by the schema)."""
    return _rule(value)


def date_ref(value: Any) -> DateRef:
    """``{fact: x}``, ``{event: y}`` or a date written YYYY-MM-DD."""
    if isinstance(value, str):
        return DateRef("date", value)
    (kind, ref), = value.items()
    return DateRef(kind, ref)


def _operand(op: str, value: Any) -> Any:
    if op in ("one_of", "between"):
        return tuple(value)
    if op in ("before", "after", "on_or_before", "on_or_after"):
        return date_ref(value)
    if op == "within":
        unit = next(k for k in _PERIOD_UNITS if k in value)
        direction = "after" if "after" in value else "before"
        return Within(Period(value[unit], PeriodUnit(unit)), direction, date_ref(value[direction]))  # type: ignore[arg-type]
    return value


def _rule(value: dict[str, Any]) -> Rule:
    if "all" in value:
        return All(tuple(_rule(r) for r in value["all"]))
    if "any" in value:
        return Any_(tuple(_rule(r) for r in value["any"]))
    if "not" in value:
        return Not(_rule(value["not"]))
    if "criterion" in value:
        return CriterionRef(value["criterion"])
    if "event" in value:
        return EventTest(value["event"], bool(value["happened"]))
    if "tasks" in value:
        return TasksTest(value["tasks"], bool(value["all_received"]))
    if "party" in value:
        party_op: Literal["equals", "one_of", "is_set"] = (
            "equals" if "equals" in value else "one_of" if "one_of" in value else "is_set")
        return PartyTest(value["party"], party_op, tuple(value[party_op]) if party_op == "one_of" else value[party_op])
    for op in _FACT_OPS:
        if op in value:
            return FactTest(value["fact"], op, _operand(op, value[op]))
    raise AssertionError(f"schema let through a rule with no test: {value!r}")  # pragma: no cover


def _period(value: dict[str, int] | None) -> Period | None:
    if not value:
        return None
    (unit, amount), = value.items()
    return Period(amount, PeriodUnit(unit))


def _frozen(mapping: dict[str, Any]) -> Any:
    return MappingProxyType(mapping)


def anchor_from(value: dict[str, Any]) -> Anchor:
    """A deadline's anchor from its YAML form: fact, event (with its occurrence), earliest or latest."""
    for kind in ("earliest", "latest"):
        if kind in value:
            return Anchor(kind, parts=tuple(anchor_from(part) for part in value[kind]))
    if "fact" in value:
        return Anchor("fact", value["fact"])
    return Anchor("event", value["event"], value.get("occurrence", "latest"))


def _derivation(value: dict[str, Any] | None) -> Derivation | None:
    if not value:
        return None
    return Derivation(date_ref(value["from"]), date_ref(value["to"]), value["in"])


def _signoffs(value: Any) -> tuple[tuple[str, ...], tuple[ConditionalSignoff, ...]]:
    """Plain sign-off roles, and those needed only when a rule holds."""
    items = value if isinstance(value, list) else ([] if value is None else [value])
    plain = tuple(i for i in items if isinstance(i, str))
    conditional = tuple(ConditionalSignoff(i["role"], _rule(i["when"])) for i in items if isinstance(i, dict))
    return plain, conditional


def _event(key: str, v: dict[str, Any], states: dict[str, Any]) -> Event:
    from_any = v["from"] == "any"
    sources = tuple(s for s, state in states.items() if not state.get("final")) if from_any else _ids(v["from"])
    requires = v.get("requires") or {}
    plain, conditional = _signoffs(requires.get("signoff"))
    off_route = v.get("off_route")
    return Event(
        id=key, title=v["title"], description=v.get("description"), sources=sources, target=v.get("to"),
        by=_ids(v["by"]), cite=_cite(v["cite"]),  # type: ignore[arg-type]
        requires=Requirements(facts=_ids(requires.get("facts")), criteria=_ids(requires.get("criteria")),
                              signoff=plain, signoff_when=conditional),
        from_any=from_any,
        off_route=None if off_route is None else OffRoute(
            _ids(off_route["from"]) if "from" in off_route else sources, off_route["words"]),
    )


def _deadline(key: str, x: dict[str, Any]) -> Deadline:
    direction: Literal["after", "before"] = "after" if "after" in x else "before"
    extension = x.get("extension")
    return Deadline(
        id=key,
        title=x["title"],
        description=x.get("description"),
        owner=_ids(x["owner"]),
        period=_period(x["period"]),  # type: ignore[arg-type]
        direction=direction,
        anchor=anchor_from(x[direction]),
        met_by=_ids(x["met_by"]),
        warn=_period(x.get("warn")),
        applies_when=_ids(x.get("applies_when")),
        cite=_cite(x["cite"]),  # type: ignore[arg-type]
        extension=None if extension is None else ExtensionRule(
            _ids(extension["agreed_by"]), _cite(extension.get("cite")), extension.get("description")),
        pauses=tuple(Pause(p["paused_by"], p["resumed_by"]) for p in x.get("pauses") or []),
        roll=x.get("roll"),
        late_in=x.get("late_in", "working_days"),
    )


def _language_2(doc: dict[str, Any]) -> dict[str, Any]:
    """The sections only language 2 has (empty for a language-1 document)."""
    return {
        "parties": _frozen({
            k: PartySpec(
                role=k, organisations=tuple(v.get("organisations") or ()), required=v.get("required", False),
                multiple=v.get("multiple", False), default=v.get("default"), description=v.get("description"),
                cite=_cite(v.get("cite")),
            )
            for k, v in (doc.get("parties") or {}).items()
        }),
        "tasks": _frozen({
            k: TaskKind(
                id=k, title=v["title"], party=v["party"], cite=_cite(v["cite"]),  # type: ignore[arg-type]
                period=_period(v.get("period")), anchor=anchor_from(v["after"]) if "after" in v else None,
                warn=_period(v.get("warn")), description=v.get("description"),
            )
            for k, v in (doc.get("tasks") or {}).items()
        }),
        "consistency": _frozen({
            k: Criterion(k, v["title"], v["description"], _rule(v["rule"]), _cite(v["cite"]))  # type: ignore[arg-type]
            for k, v in (doc.get("consistency") or {}).items()
        }),
    }


def build(doc: dict[str, Any], file: str = "", source_text: str = "") -> Definition:
    """Turn a checked document into the immutable model."""
    calendar = doc.get("calendar") or {}
    region = calendar.get("holidays") or {"country": "GB", "subdivision": "ENG"}
    reference = doc.get("reference")
    return Definition(
        language_version=doc["language_version"],
        id=doc["id"],
        title=doc["title"],
        version=doc["version"],
        edition=doc["edition"],
        effective_from=_date(doc["effective_from"]),  # type: ignore[arg-type]
        supersedes=doc.get("supersedes"),
        description=doc.get("description"),
        reference=ReferenceFormat(reference["pattern"], reference["example"]) if reference else None,
        opening=Opening(doc["opening"]["date_fact"], _ids(doc["opening"].get("facts")), doc["opening"].get("option")),
        sources=_frozen({
            k: Source(
                id=k, title=v["title"], section=v.get("section"), publisher=v.get("publisher"),
                published=_date(v.get("published")), url=v.get("url"), note=v.get("note"),
                verified=v.get("verified", True),
            )
            for k, v in doc["sources"].items()
        }),
        calendar=CalendarSpec(
            country=region["country"],
            subdivision=region.get("subdivision"),
            closures=tuple(Closure(_date(c["date"]), c["reason"]) for c in calendar.get("closures", [])),  # type: ignore[arg-type]
            cite=_cite(calendar.get("cite")),
        ),
        roles=_frozen({k: Role(k, v["name"], _cite(v["cite"]), v.get("description")) for k, v in doc["roles"].items()}),  # type: ignore[arg-type]
        facts=_frozen({
            k: Fact(
                id=k, type=v["type"], label=v["label"], description=v.get("description"),
                values=tuple((value, meaning) for value, meaning in (v.get("values") or {}).items()),
                items=v.get("items"), minimum=v.get("minimum"), maximum=v.get("maximum"),
                max_length=v.get("max_length"), cite=_cite(v.get("cite")), derive=_derivation(v.get("derive")),
            )
            for k, v in doc["facts"].items()
        }),
        criteria=_frozen({
            k: Criterion(k, v["title"], v["description"], _rule(v["rule"]), _cite(v["cite"]))  # type: ignore[arg-type]
            for k, v in doc["criteria"].items()
        }),
        stages=_frozen({k: Stage(k, v["title"], v.get("description"), _cite(v.get("cite"))) for k, v in doc["stages"].items()}),
        states=_frozen({
            k: State(
                id=k, title=v["title"], stage=v["stage"], description=v.get("description"),
                initial=v.get("initial", False), final=v.get("final", False), cite=_cite(v.get("cite")),
            )
            for k, v in doc["states"].items()
        }),
        events=_frozen({k: _event(k, v, doc["states"]) for k, v in doc["events"].items()}),
        deadlines=_frozen({k: _deadline(k, x) for k, x in doc["deadlines"].items()}),
        actions=_frozen({
            k: ActionRule(k, _ids(v["agreed_by"]), _cite(v["cite"]), v.get("description"))  # type: ignore[arg-type]
            for k, v in (doc.get("actions") or {}).items()
        }),
        **_language_2(doc),
        file=file,
        source_text=source_text,
        document=doc,
    )


