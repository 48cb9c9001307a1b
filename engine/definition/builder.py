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
    Criterion,
    CriterionRef,
    Deadline,
    Definition,
    Event,
    Fact,
    FactTest,
    Not,
    Opening,
    Period,
    ReferenceFormat,
    Requirements,
    Role,
    Rule,
    Source,
    Stage,
    State,
)
from .workdays import PeriodUnit


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


def _rule(value: dict[str, Any]) -> Rule:
    if "all" in value:
        return All(tuple(_rule(r) for r in value["all"]))
    if "any" in value:
        return Any_(tuple(_rule(r) for r in value["any"]))
    if "not" in value:
        return Not(_rule(value["not"]))
    if "criterion" in value:
        return CriterionRef(value["criterion"])
    for op in ("equals", "one_of", "is_set", "includes"):
        if op in value:
            operand = tuple(value[op]) if op == "one_of" else value[op]
            return FactTest(value["fact"], op, operand)
    raise AssertionError(f"schema let through a rule with no test: {value!r}")  # pragma: no cover


def _period(value: dict[str, int] | None) -> Period | None:
    if not value:
        return None
    (unit, amount), = value.items()
    return Period(amount, PeriodUnit(unit))


def _frozen(mapping: dict[str, Any]) -> Any:
    return MappingProxyType(mapping)


def build(doc: dict[str, Any], file: str = "", source_text: str = "") -> Definition:
    """Turn a checked document into the immutable model."""
    calendar = doc.get("calendar") or {}
    region = calendar.get("holidays") or {"country": "GB", "subdivision": "ENG"}
    reference = doc.get("reference")
    deadlines = {}
    for key, x in doc["deadlines"].items():
        direction: Literal["after", "before"] = "after" if "after" in x else "before"
        (kind, ref), = x[direction].items()
        deadlines[key] = Deadline(
            id=key,
            title=x["title"],
            description=x.get("description"),
            owner=_ids(x["owner"]),
            period=_period(x["period"]),  # type: ignore[arg-type]
            direction=direction,
            anchor=Anchor(kind, ref),
            met_by=_ids(x["met_by"]),
            warn=_period(x.get("warn")),
            applies_when=_ids(x.get("applies_when")),
            cite=_cite(x["cite"]),  # type: ignore[arg-type]
        )
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
        opening=Opening(doc["opening"]["date_fact"], _ids(doc["opening"].get("facts"))),
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
                max_length=v.get("max_length"), cite=_cite(v.get("cite")),
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
        events=_frozen({
            k: Event(
                id=k, title=v["title"], description=v.get("description"), sources=_ids(v["from"]),
                target=v["to"], by=_ids(v["by"]), cite=_cite(v["cite"]),  # type: ignore[arg-type]
                requires=Requirements(
                    facts=_ids((v.get("requires") or {}).get("facts")),
                    criteria=_ids((v.get("requires") or {}).get("criteria")),
                    signoff=_ids((v.get("requires") or {}).get("signoff")),
                ),
            )
            for k, v in doc["events"].items()
        }),
        deadlines=_frozen(deadlines),
        actions=_frozen({
            k: ActionRule(k, _ids(v["agreed_by"]), _cite(v["cite"]), v.get("description"))  # type: ignore[arg-type]
            for k, v in (doc.get("actions") or {}).items()
        }),
        file=file,
        source_text=source_text,
        document=doc,
    )


