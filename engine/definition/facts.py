"""Typed fact values: reading them from users, checking them, storing them.

A definition declares each fact's type; this module turns what a user typed
(``--fact NAME=VALUE``) or wrote in a facts file into a value of that type, or
refuses it with a message naming the allowed values. Values are stored as
JSON (dates as ``YYYY-MM-DD``) and turned back into Python values here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

from cspr.engine.errors import InputError
from cspr.engine.text import text_problem

from .model import Definition, Fact

_TRUE = {"true", "yes", "y"}
_FALSE = {"false", "no", "n"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT = 4000


def _allowed(fact: Fact) -> str:
    return ", ".join(fact.value_ids)


def unknown_fact(definition: Definition, name: str) -> InputError:
    close = difflib.get_close_matches(name, list(definition.facts), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known facts: {', '.join(definition.facts)}"
    return InputError(f"{definition.label} has no fact {name!r}{hint}")


def parse_date(text: str, what: str = "date") -> dt.date:
    text = text.strip()
    if not _DATE.match(text):
        raise InputError(f"{what}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-05-10")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a real date") from None


def _text(fact: Fact, value: str) -> str:
    limit = fact.max_length or MAX_TEXT
    problem = text_problem(value)
    if problem:
        raise InputError(f"fact {fact.id!r}: the text {problem}")
    if len(value) > limit:
        raise InputError(f"fact {fact.id!r}: text is {len(value)} characters; at most {limit} are allowed")
    return value


def coerce(fact: Fact, raw: Any) -> Any:
    """A value of ``fact``'s type from what a user gave (text or a YAML/JSON value)."""
    name = fact.id
    if raw is None:
        return None
    if fact.derive is not None:
        raise InputError(f"fact {name!r} is worked out from its dates ({fact.derive.unit.replace('_', ' ')} from "
                         f"{fact.derive.start.kind} {fact.derive.start.ref!r} to {fact.derive.end.kind} "
                         f"{fact.derive.end.ref!r}); record those instead")
    if fact.type == "boolean":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise InputError(f"fact {name!r} is yes or no (true/false), not {raw!r}")
    if fact.type == "integer":
        if isinstance(raw, bool):
            raise InputError(f"fact {name!r} is a whole number, not {raw!r}")
        try:
            number = int(str(raw).strip(), 10)
        except ValueError:
            raise InputError(f"fact {name!r} is a whole number, not {raw!r}") from None
        if fact.minimum is not None and number < fact.minimum:
            raise InputError(f"fact {name!r} must be at least {fact.minimum}, not {number}")
        if fact.maximum is not None and number > fact.maximum:
            raise InputError(f"fact {name!r} must be at most {fact.maximum}, not {number}")
        return number
    if fact.type == "date":
        if isinstance(raw, dt.date):
            return raw
        return parse_date(str(raw), f"fact {name!r}")
    if fact.type == "enum":
        value = str(raw).strip() if isinstance(raw, str) else raw
        if value not in fact.value_ids:
            raise InputError(f"fact {name!r} is one of: {_allowed(fact)}; not {raw!r}")
        return value
    if fact.type == "text":
        if not isinstance(raw, str):
            raise InputError(f"fact {name!r} is text, not {raw!r}")
        return _text(fact, raw)
    # list
    items = raw if isinstance(raw, list) else [p.strip() for p in str(raw).split(",") if p.strip()]
    out = []
    for item in items:
        if fact.items == "enum":
            if item not in fact.value_ids:
                raise InputError(f"fact {name!r} lists values from: {_allowed(fact)}; not {item!r}")
        else:
            if not isinstance(item, str):
                raise InputError(f"fact {name!r} is a list of text, not {item!r}")
            _text(fact, item)
        if item not in out:
            out.append(item)
    return out


def parse_assignments(definition: Definition, assignments: list[str]) -> dict[str, Any]:
    """``["NAME=VALUE", ...]`` -> typed facts. ``NAME=`` (empty) clears a fact."""
    out: dict[str, Any] = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--fact {text!r}: write NAME=VALUE (the facts are listed by 'cspr process show')")
        fact = definition.facts.get(name)
        if fact is None:
            raise unknown_fact(definition, name)
        out[name] = None if raw.strip() == "" else coerce(fact, raw)
    return out


def from_mapping(definition: Definition, data: Mapping[str, Any]) -> dict[str, Any]:
    """Typed facts from a mapping such as a YAML facts file."""
    out: dict[str, Any] = {}
    for name, raw in data.items():
        fact = definition.facts.get(str(name))
        if fact is None:
            raise unknown_fact(definition, str(name))
        out[str(name)] = coerce(fact, raw)
    return out


def to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def from_json(definition: Definition, name: str, value: Any) -> Any:
    """A stored value back as Python; a value that no longer fits its fact is kept as stored."""
    fact = definition.facts.get(name)
    if fact is not None and fact.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def fits(fact: Fact, value: Any) -> bool:
    """Whether a stored value is of the fact's type (it may not be, after a definition change)."""
    try:
        return bool(coerce(fact, value) == value)
    except InputError:
        return False


def describe_value(fact: Fact, value: Any) -> str:
    if value is None:
        return "not recorded"
    if fact.type == "boolean":
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if fact.type == "enum":
        return f"{value} ({fact.meaning(value)})"
    if isinstance(value, list):
        if fact.items == "enum":
            return ", ".join(value) or "none"
        return "; ".join(value) or "none"
    return str(value)


def value_hint(fact: Fact) -> str:
    """``ID=VALUES``: how to write this fact's value on the command line (e.g. ``ID=yes|no`` for a boolean)."""
    if fact.type == "enum":
        return f"{fact.id}={'|'.join(fact.value_ids)}"
    if fact.type == "boolean":
        return f"{fact.id}=yes|no"
    if fact.type == "date":
        return f"{fact.id}=YYYY-MM-DD"
    if fact.type == "integer":
        return f"{fact.id}=N"
    if fact.type == "list" and fact.items == "enum":
        return f"{fact.id}=A,B (from: {', '.join(fact.value_ids)})"
    return f"{fact.id}=TEXT"


def hint(fact: Fact) -> str:
    """How to give this fact on the command line."""
    return f"--fact {value_hint(fact)}"
