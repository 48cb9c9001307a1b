"""Shared pieces of the command line: date arguments, ``--json``, printing."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # click 8.2+ makes ParamType generic in its stubs; older clicks cannot be subscripted
    ParamTypeBase = click.ParamType[Any, Any]
else:
    ParamTypeBase = click.ParamType

F = TypeVar("F", bound=Callable[..., Any])

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD, or ValueError saying what is wrong."""
    text = text.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-05-10")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


class IsoDate(ParamTypeBase):
    """A click type for ISO 8601 calendar dates (YYYY-MM-DD) and nothing else."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_iso_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


ISO_DATE = IsoDate()


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 case``, ``2 cases``; ``many`` for a plural not made with -s (``entry``, ``entries``)."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def comma_list(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """A repeatable option's values, each also split at commas: ``--agreed-by a,b`` is ``--agreed-by a --agreed-by b``."""
    out: list[str] = []
    for value in values:
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise click.BadParameter(f"{value!r} has an empty item; write A,B or repeat the option", ctx, param)
        out += items
    return tuple(out)


def json_option(function: F) -> F:
    """Add ``--json``: print machine-readable JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(function)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit_json(data: Any) -> None:
    click.echo(json_text(data))


def json_text(data: Any) -> str:
    """JSON for a person or a program: C0 controls are escaped by JSON itself; C1 controls, bidirectional
    formatting and line separators are written as \\u escapes too, so the text cannot drive a terminal."""
    from cspr.engine.text import BIDI, SEPARATORS

    text = json.dumps(data, indent=2, ensure_ascii=False, default=_default)
    return re.sub(f"[\x7f-\x9f{BIDI}{SEPARATORS}]", lambda m: f"\\u{ord(m.group()):04x}", text)


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print a message for a person: every control character, bidi override or separator in it is shown as
    a visible escape (line breaks between lines are kept)."""
    from cspr.engine.text import visible

    click.echo("\n".join(visible(line) for line in text.split("\n")), err=err, nl=nl)


class Row(str):
    """A line of a table: on a terminal too narrow for it, cut with an ellipsis rather than wrapped."""


def terminal_width() -> int | None:
    """The width to fit text to: $COLUMNS or the terminal's, when standard output is a terminal; else None."""
    import os
    import shutil

    if not sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns


def fit(lines: list[str], width: int | None) -> list[str]:
    """The lines fitted to ``width`` columns: a table row cut with "…", any other long line wrapped at
    spaces, its continuation indented under the line's own indent; unchanged when width is None."""
    import textwrap

    if width is None:
        return list(lines)
    width = max(width, 20)
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
        elif isinstance(line, Row):
            out.append(line[:width - 1] + "…")
        else:
            indent = " " * (len(line) - len(line.lstrip(" ")))
            out += textwrap.wrap(line, width, subsequent_indent=indent + "    ", break_on_hyphens=False) or [line]
    return out


def emit_lines(lines: list[str]) -> None:
    """Print lines for a person (see :func:`say`): no line can hold a control character or break in two;
    on a terminal each fits its width (:func:`fit`); piped, each line is printed whole."""
    from cspr.engine.text import visible

    shown = [Row(visible(line)) if isinstance(line, Row) else visible(line) for line in lines]
    click.echo("\n".join(fit(shown, terminal_width())))


def progress(label: str, minimum: int = 200) -> Callable[[Iterable[Any]], Iterable[Any]]:
    """A wrapper that shows a progress bar on a terminal (for long runs only) and nothing when piped."""

    def wrap(items: Iterable[Any]) -> Iterable[Any]:
        items = list(items)
        if len(items) < minimum or not sys.stderr.isatty():
            return items
        return _bar(items, label)

    return wrap


def _bar(items: list[Any], label: str) -> Iterator[Any]:
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def write_private(path: Path, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write a new file readable by its owner only, all at once; refuse to overwrite one."""
    from cspr.engine.files import write_private as write

    write(path, text, encoding=encoding, newline=newline)
