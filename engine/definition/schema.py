"""Stage 2 of loading a definition: the JSON Schema check.

Runs the shipped draft 2020-12 schema of the document's language (its
``language_version``: 1 or 2) over the plain data from
:mod:`cspr.engine.definition.yamlsafe` and turns every violation into a :class:`Problem`
with a line, a column, a path and a message a policy lead can act on (the raw
jsonschema messages are written for programmers).

The language-1 schema is frozen: a language-1 document is checked exactly as
it always was. A key that only language 2 has, written in a language-1
document, is refused with a hint to change the language version.
"""

from __future__ import annotations

import difflib
from typing import Any

from cspr.engine.errors import Problem

from .resources import LANGUAGES, schema
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

_RULE_FORMS = {
    1: ("a rule is exactly one of: 'all: [rules]', 'any: [rules]', 'not: rule', "
        "'criterion: id', or 'fact: id' with one of equals / one_of / is_set / includes"),
    2: ("a rule is exactly one of: 'all: [rules]', 'any: [rules]', 'not: rule', 'criterion: id', "
        "'fact: id' with one of equals / one_of / is_set / includes / at_least / at_most / between / before / "
        "after / on_or_before / on_or_after / within, 'event: id' with happened, 'party: id' with equals / "
        "one_of / is_set, or 'tasks: id' with all_received"),
}


def _validator(language: int):  # type: ignore[no-untyped-def]
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(language))


def _unknown_keys(data: Any, language: int) -> set[tuple[Path, str]]:
    """Every key the schema of ``language`` does not allow in ``data``, with its place."""
    out = set()
    for error in _validator(language).iter_errors(data):
        for e in [error, *(error.context or [])]:
            if e.validator == "additionalProperties" and isinstance(e.instance, dict):
                allowed = e.schema.get("properties", {})
                out |= {(tuple(e.absolute_path), k) for k in e.instance if k not in allowed}
    return out


def _newer_keys(data: Any, language: int) -> frozenset[tuple[Path, str]]:
    """Keys the document uses that its own language refuses but the newest language allows where they are."""
    if language == LANGUAGES[-1] or not isinstance(data, dict):
        return frozenset()
    refused = _unknown_keys(data, language)
    if not refused:
        return frozenset()
    return frozenset(refused - _unknown_keys({**data, "language_version": LANGUAGES[-1]}, LANGUAGES[-1]))


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


def _explain(error: Any, language: int = 2, newer: frozenset[tuple[Path, str]] = frozenset()) -> tuple[Path, str, bool]:
    """(path, message, point_at_key) for one jsonschema error.

    ``newer``: the keys (with their place) a newer language allows where this one does not.
    """
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
            if (path, extra[0]) in newer:
                hint = f"; {extra[0]!r} is part of language 2: write 'language_version: 2' at the top of the file"
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
        return path, f"not a valid rule: {_RULE_FORMS[language]}", False
    if kind == "oneOf" and "earliest" in error.schema.get("properties", {}):
        return path, ("give exactly one of 'fact', 'event' (with 'occurrence' if it is not the latest), "
                      "'earliest' or 'latest'"), False
    if kind == "oneOf" and "working_days" in error.schema.get("properties", {}) and "after" in error.schema.get("properties", {}):
        return path, "give exactly one of working_days, calendar_days or months, and exactly one of after or before", False
    if kind == "oneOf" and "after" in error.schema.get("properties", {}):
        return path, "give exactly one of 'after' or 'before' to say where the deadline is counted from", False
    branches = error.validator_value if kind == "oneOf" and isinstance(error.validator_value, list) else []
    if branches and all(set(b) == {"required"} and len(b["required"]) == 1 for b in branches):
        keys = [str(b["required"][0]) for b in branches]
        return path, f"give exactly one of {', '.join(keys[:-1])} or {keys[-1]}", False
    if kind in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        # Prefer the branch meant for this kind of value (a mapping, a list, text...):
        # its type fits, so its complaint is the real one.
        fitting = [e for e in error.context if e.validator != "type" or e.absolute_path != error.absolute_path]
        return _explain(best_match(fitting or error.context), language, newer)
    return path, error.message, False


def language_of(data: Any) -> int:
    """The language a document is written in (the newest, when it does not say a known one)."""
    version = data.get("language_version") if isinstance(data, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) and version in LANGUAGES else LANGUAGES[-1]


def check_schema(parsed: Parsed, file: str) -> list[Problem]:
    """Every schema violation in the document, in document order."""
    return schema_findings(parsed, file)[0]


def schema_findings(parsed: Parsed, file: str) -> tuple[list[Problem], set[Path]]:
    """Every schema violation, and the place of each in the document (a missing key's place included)."""
    problems: list[Problem] = []
    places: set[Path] = set()
    seen: set[tuple[int, int, str, str]] = set()
    language = language_of(parsed.data)
    said = parsed.data.get("language_version") if isinstance(parsed.data, dict) else None
    if said is not None and said != language:
        line, column = parsed.where(("language_version",))
        known = " or ".join(str(n) for n in LANGUAGES)
        problems.append(Problem(file, line, column, "language_version",
                                f"{said!r} is not a language this cspr reads; write {known}", "schema"))
        seen.add((line, column, "language_version", ""))
    newer = _newer_keys(parsed.data, language)
    for error in _validator(language).iter_errors(parsed.data):
        places.add(tuple(error.absolute_path))
        if error.validator == "required" and isinstance(error.instance, dict):
            places.update(tuple(error.absolute_path) + (k,) for k in error.validator_value if k not in error.instance)
        if tuple(error.absolute_path) == ("language_version",) and problems:
            continue  # said above, in words
        path, message, at_key = _explain(error, language, newer)
        line, column = parsed.where(path, key=at_key)
        key = (line, column, format_path(path), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(file, line, column, format_path(path), message, "schema"))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems, places


def document_problems(parsed: Parsed, file: str, schema_document: dict[str, Any]) -> list[Problem]:
    """Every violation of another JSON Schema (e.g. the scenario format's) in a parsed document, located."""
    from jsonschema import Draft202012Validator

    problems: list[Problem] = []
    seen: set[tuple[int, int, str, str]] = set()
    for error in Draft202012Validator(schema_document).iter_errors(parsed.data):
        path, message, at_key = _explain(error)
        line, column = parsed.where(path, key=at_key)
        key = (line, column, format_path(path), message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(file, line, column, format_path(path), message, "schema"))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems
