"""Form fields generated from a process definition, and what a posted form means.

Each fact type becomes an input: a date, a choice among the definition's
values (radios), yes / no / not known (radios), a whole number, text, or a
list (checkboxes for a list of values, one entry a line for a list of text).
A posted form (or its JSON twin) names facts as ``fact.ID``; an empty field
changes nothing. Values are turned into typed facts by the engine's own
parser (:func:`cspr.engine.casebook.commands.gather_facts`), so the web and
the CLI accept exactly the same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition, Fact
from cspr.engine.errors import InputError

PREFIX = "fact."
Fields = Mapping[str, list[str]]


def kind(fact: Fact) -> str:
    """The input a fact becomes: date, choice, yes_no, number, text, choices (a list of values) or lines."""
    if fact.type == "list":
        return "choices" if fact.items == "enum" else "lines"
    return {"date": "date", "enum": "choice", "boolean": "yes_no", "integer": "number"}.get(fact.type, "text")


def shown(value: Any) -> str:
    """A fact's current value as an input holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def field(fact: Fact, current: Any = None) -> dict[str, Any]:
    """One fact as a form field: its name, label, hint, the input it becomes and its choices."""
    choices = [{"value": v, "label": m} for v, m in fact.values]
    if fact.type == "boolean":
        choices = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"},
                   {"value": "", "label": "Not known yet"}]
    values = [str(v) for v in current] if isinstance(current, list) else [shown(current)]
    return {"name": PREFIX + fact.id, "id": "fact-" + fact.id.replace("_", "-"), "fact": fact.id, "label": fact.label,
            "hint": fact.description or fact_values.hint(fact), "input": kind(fact), "choices": choices,
            "value": shown(current), "values": values, "minimum": fact.minimum, "maximum": fact.maximum,
            "max_length": fact.max_length}


def fields(definition: Definition, ids: Iterable[str], current: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Fields for these facts (those worked out from dates are never asked for)."""
    current = current or {}
    return [field(definition.facts[f], current.get(f)) for f in ids
            if f in definition.facts and definition.facts[f].derive is None]


def facts_posted(definition: Definition, posted: Fields) -> dict[str, Any]:
    """The facts a posted form gives (``fact.ID`` fields that are not empty), typed by the engine."""
    from cspr.engine.casebook.commands import gather_facts

    raw: dict[str, Any] = {}
    for name, values in posted.items():
        if not name.startswith(PREFIX):
            continue
        fact_id = name[len(PREFIX):]
        fact = definition.facts.get(fact_id)
        if fact is None:
            raise fact_values.unknown_fact(definition, fact_id)
        if fact.type == "list":
            items = [line.strip() for v in values for line in v.splitlines() if line.strip()]
            if items:
                raw[fact_id] = items
        else:
            value = values[-1].strip() if values else ""
            if value:
                raw[fact_id] = value
    return gather_facts(definition, raw)


def one(posted: Fields, name: str) -> str | None:
    """A single-valued field, stripped; None when absent or empty."""
    values = posted.get(name) or []
    value = values[-1].strip() if values else ""
    return value or None


def date_posted(posted: Fields, name: str = "on") -> dt.date | None:
    value = one(posted, name)
    if value is None:
        return None
    try:
        return fact_values.parse_date(value, "the date")
    except InputError:
        raise InputError(f"the date {value!r} is not a date: write it as YYYY-MM-DD") from None
