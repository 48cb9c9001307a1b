"""Stage 2 of loading a definition: the JSON Schema check.

Runs the shipped draft 2020-12 schema over the plain data from
:mod:`cspr.engine.definition.yamlsafe` and turns every violation into a :class:`Problem`
with a line, a column, a path and a message a policy lead can act on (the raw
jsonschema messages are written for programmers).
"""

from __future__ import annotations

import difflib
from typing import Any

from cspr.engine.errors import Problem

from .resources import schema
from .yamlsafe import Parsed, Path, format_path

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "null": "nothing (null)",
}

_RULE_FORMS = (
    "a rule is exactly one of: 'all: [rules]', 'any: [rules]', 'not: rule', "
    "'criterion: id', or 'fact: id' with one of equals / one_of / is_set / includes"
)


def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing (null)"


def _expected(types: Any) -> str:
    if isinstance(types, str):
        types = [types]
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _explain(error: Any) -> tuple[Path, str, bool]:
    """(path, message, point_at_key) for one jsonschema error."""
    path: Path = tuple(error.absolute_path)
    kind = error.validator
    value = error.instance
    if kind == "required":
        missing = [k for k in error.validator_value if not isinstance(value, dict) or k not in value]
        names = ", ".join(repr(k) for k in missing)
        return path, f"missing required key{'s' if len(missing) > 1 else ''} {names}", True
    if "propertyNames" in error.schema_path and isinstance(value, str):
        return (path + (value,), f"{value!r} is not a valid identifier: use lower-case letters, digits and underscores, "
                "starting with a letter", True)
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in value if k not in error.schema.get("properties", {})]
        if extra:
            close = difflib.get_close_matches(extra[0], allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (f" (allowed here: {', '.join(allowed)})" if allowed else "")
            return path + (extra[0],), f"unknown key {extra[0]!r}{hint}", True
        return path, "unknown key", True
    if kind == "type":
        message = f"expected {_expected(error.validator_value)}, got {_kind(value)}"
        if "string" in str(error.validator_value) and isinstance(value, (int, float)) and not isinstance(value, bool):
            message += f"; write it in quotes, e.g. \"{value}\""
        if isinstance(value, str) and "boolean" in str(error.validator_value) and value in {"yes", "no", "on", "off"}:
            message += f"; '{value}' is text here, write true or false"
        return path, message, False
    if kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        words = ", ".join(str(o) for o in options)
        return path, f"{value!r} is not allowed; use {'one of: ' if len(options) > 1 else ''}{words}", False
    if kind == "pattern":
        description = error.schema.get("description", f"must match {error.validator_value}")
        return path, f"{value!r} is not valid: {description[0].lower()}{description[1:]}", False
    if kind in ("minItems", "minProperties") and not value:
        return path, "must not be empty", False
    if kind == "minItems":
        return path, f"needs at least {error.validator_value} item(s)", False
    if kind == "minProperties":
        return path, f"needs at least {error.validator_value} entries", False
    if kind == "maxProperties":
        if "working_days" in error.schema.get("properties", {}):
            return path, "give exactly one of working_days, calendar_days or months", False
        if "fact" in error.schema.get("properties", {}) and "event" in error.schema.get("properties", {}):
            return path, "give exactly one of 'fact' or 'event'", False
        return path, f"has too many entries (at most {error.validator_value})", False
    if kind == "uniqueItems":
        return path, "lists the same item twice", False
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return path, f"{value!r} is out of range: must be {word} {error.validator_value}", False
    if kind in ("minLength", "maxLength"):
        if kind == "minLength":
            return path, "must not be empty", False
        return path, f"is too long (at most {error.validator_value} characters)", False
    if kind == "oneOf" and "all" in error.schema.get("properties", {}):
        return path, f"not a valid rule: {_RULE_FORMS}", False
    if kind == "oneOf" and "after" in error.schema.get("properties", {}):
        return path, "give exactly one of 'after' or 'before' to say where the deadline is counted from", False
    if kind in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        # Prefer the branch meant for this kind of value (a mapping, a list, text...):
        # its type fits, so its complaint is the real one.
        fitting = [e for e in error.context if e.validator != "type" or e.absolute_path != error.absolute_path]
        return _explain(best_match(fitting or error.context))
    return path, error.message, False


def check_schema(parsed: Parsed, file: str) -> list[Problem]:
    """Every schema violation in the document, in document order."""
    problems: list[Problem] = []
    seen: set[tuple[int, int, str, str]] = set()
    for error in _validator().iter_errors(parsed.data):
        path, message, at_key = _explain(error)
        line, column = parsed.where(path, key=at_key)
        key = (line, column, format_path(path), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(file, line, column, format_path(path), message, "schema"))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems
