"""Characters that can deceive a reader: what free text may hold, and how any text is shown safely.

One home for the rules about text that reaches a person (a terminal, a
spreadsheet, a calendar):

* **control characters** (C0, DEL, C1): a terminal obeys them (ESC and CSI
  sequences retitle the window or clear the screen; a carriage return goes
  back to the start of the line and overwrites it);
* **bidirectional formatting characters** (U+202A–U+202E, U+2066–U+2069, the
  marks U+200E, U+200F, U+061C): they reorder what is shown, so a name or a
  note can read differently from what is stored ("Trojan Source");
* **line and paragraph separators** (U+2028, U+2029, and NEL U+0085 among
  the C1 controls), which some programs treat as line breaks.

Free text a user types (notes, reasons, action text) may hold tabs and line
breaks, never the other control characters (:func:`text_problem`); a person's
name holds none of them and no bidirectional formatting either
(:func:`name_problem`). Whatever is stored, text output shows every such
character as a visible escape (:func:`visible`), so a database written
behind cspr's back cannot drive a terminal either.
"""

from __future__ import annotations

import re

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SEPARATORS = "\u2028\u2029"

# Everything a terminal or a reader may be deceived by (C0 and C1 controls, DEL, bidi, separators).
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI}{SEPARATORS}]")
# The same, but a line break is allowed (it is shown as an indented continuation line).
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{BIDI}{SEPARATORS}]")
# In a spreadsheet cell, tabs and line breaks are text like any other.
_UNSAFE_IN_CELL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}{SEPARATORS}]")
# What stored free text may not hold: control characters other than tab, line feed and carriage return.
_STORED_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a person's name may not hold: any control character, bidi formatting or separator.
_NAME_UNSAFE = _UNSAFE

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = False) -> str:
    """``text`` with every unsafe character written as a visible escape (``\\x1b``, ``\\u202e``, ``\\r``).
    With ``newlines``, line feeds are kept (the caller indents what follows them)."""
    pattern = _UNSAFE_BUT_NEWLINE if newlines else _UNSAFE
    return pattern.sub(_escape, text)


def continued(text: str, indent: str) -> list[str]:
    """A multi-line text as lines for a terminal: the first as it is, each later one indented by
    ``indent`` (so no line of a note can pose as a line of the output around it), all made visible."""
    lines = visible(text.replace("\r\n", "\n"), newlines=True).split("\n")
    return [lines[0]] + [indent + line for line in lines[1:]]


def text_problem(text: str) -> str | None:
    """Why free text cannot be stored (a control character other than tab and line breaks), or None."""
    found = _STORED_CONTROL.search(text)
    if found:
        return (f"contains the control character {_escape(found)}; only letters, digits, punctuation, tabs and "
                "line breaks can be kept")
    return None


def name_problem(name: str, limit: int = 100) -> str | None:
    """Why ``name`` cannot be used as a person's name (the actor of an entry), or None."""
    if not name.strip():
        return "a name cannot be empty"
    if len(name) > limit:
        return f"a name is at most {limit} characters (this one has {len(name)})"
    found = _NAME_UNSAFE.search(name)
    if found:
        return (f"a name cannot contain {_escape(found)} (control characters, line breaks and right-to-left "
                "or left-to-right overrides are refused)")
    return None


def spreadsheet_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection guidance): a cell starting
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return (after any spaces) gets a leading apostrophe,
    which makes it text. Carriage returns become line feeds; other control characters are shown as escapes."""
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return _UNSAFE_IN_CELL.sub(_escape, text.replace("\r\n", "\n").replace("\r", "\n"))
