"""Case references for synthetic cases that follow a process's reference pattern.

Two ways, both checked against the pattern (matched in full):

* *like the example*: the process's example reference with its year-like run
  of digits replaced by the year the case opened and its last run of digits
  by the case's number within that year (``REF-2026-014`` gives
  ``REF-2023-001``, ``REF-2023-002``...), when every year's cases fit in
  that run's width;
* *the N-th reference the pattern accepts*, counting through its character
  classes like an odometer, when they do not (or the example has no digits):
  ``REF-[0-9]{4}-[0-9]{3}`` gives ``REF-0000-001``, ``REF-0000-002``...
  This reads the pattern with Python's own regular-expression parser and
  supports literals, classes, repeats (at their least count, or one),
  groups and alternatives (the first); a pattern beyond that is refused.

A process without a pattern gets ``SYN-YEAR-NNNNNN``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre_constants  # type: ignore[attr-defined]  # Python's own regex parser
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from cspr.engine.errors import CsprError

_DIGITS = re.compile(r"[0-9]+")
_MAX_CLASS = 256


def _class_chars(items: list[tuple[Any, Any]]) -> list[str]:
    chars: list[str] = []
    for op, value in items:
        if op == sre_constants.LITERAL:
            chars.append(chr(value))
        elif op == sre_constants.RANGE:
            chars += [chr(c) for c in range(value[0], min(value[1], value[0] + _MAX_CLASS) + 1)]
        elif op == sre_constants.CATEGORY and value == sre_constants.CATEGORY_DIGIT:
            chars += list("0123456789")
        elif op == sre_constants.CATEGORY and value == sre_constants.CATEGORY_WORD:
            chars += list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        else:
            raise CsprError("unsupported")
    return sorted(set(chars))


def _slots(parsed: Any) -> list[list[str]]:
    """The pattern as a row of slots, each the characters it may hold (one character for a literal)."""
    out: list[list[str]] = []
    for op, value in parsed:
        if op == sre_constants.LITERAL:
            out.append([chr(value)])
        elif op == sre_constants.IN:
            out.append(_class_chars(list(value)))
        elif op == sre_constants.ANY:
            out.append(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _high, inner = value
            out += _slots(inner) * max(low, 1)
        elif op == sre_constants.SUBPATTERN:
            out += _slots(value[-1])
        elif op == sre_constants.BRANCH:
            out += _slots(value[1][0])
        elif op == sre_constants.AT:
            continue
        else:
            raise CsprError("unsupported")
    return out


def nth(pattern: str, n: int) -> str:
    """The ``n``-th (from 1) string the pattern accepts, counting through its variable slots."""
    try:
        slots = _slots(sre_parse.parse(pattern))
    except (CsprError, re.error, TypeError, ValueError):
        raise CsprError(f"cannot make synthetic references for the pattern {pattern!r}; "
                        "synthetic cases need literals, character classes and fixed repeats") from None
    chars = []
    for slot in reversed(slots):
        n, index = divmod(n, len(slot))
        chars.append(slot[index])
    if n:
        raise CsprError(f"the pattern {pattern!r} has room for fewer references than cases asked for")
    return "".join(reversed(chars))


def like_example(example: str, year: int, number: int) -> str | None:
    """The example with its year-like run set to ``year`` and its last run of digits to ``number``."""
    runs = list(_DIGITS.finditer(example))
    if not runs:
        return None
    text = list(example)
    last = runs[-1]
    for run in runs[:-1]:
        if len(run.group()) == 4 and run.group()[:2] in ("19", "20"):
            text[run.start():run.end()] = list(str(year))
            break
    width = len(last.group())
    if len(str(number)) > width:
        return None
    # replace from the end, so the earlier replacement's length (always 4) never shifts it
    out = "".join(text)
    return out[:last.start()] + str(number).zfill(width) + out[last.end():]


def references(definition: Any, years: list[int]) -> Iterator[str]:
    """A reference for each case, in order, ``years`` being the year each opens in."""
    spec = definition.reference
    if spec is None:
        for i, year in enumerate(years, start=1):
            yield f"SYN-{year}-{i:06d}"
        return
    counts: dict[int, int] = {}
    made: list[str] = []
    for year in years:
        counts[year] = counts.get(year, 0) + 1
        ref = like_example(spec.example, year, counts[year])
        if ref is None or not re.fullmatch(spec.pattern, ref):
            made.clear()
            break
        made.append(ref)
    if made and len(set(made)) == len(made):
        yield from made
        return
    for i in range(1, len(years) + 1):
        ref = nth(spec.pattern, i)
        if not re.fullmatch(spec.pattern, ref):
            raise CsprError(f"cannot make synthetic references for the pattern {spec.pattern!r}")
        yield ref
