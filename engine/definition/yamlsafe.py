"""Stage 1 of loading a definition: YAML text to plain data, with positions.

This is the only module that parses YAML. It turns a document into plain
Python values (dict, list, str, int, float, bool, None) and records the line
and column of every key and value, so later stages can point a policy lead at
the exact place of a problem.

It is deliberately stricter than ``yaml.safe_load``:

* YAML 1.2 scalars: only ``true``/``false`` are booleans (``yes``, ``no``,
  ``on``, ``off`` stay text), ``12:30`` is text, not a base-60 number, and
  dates stay text (the schema checks their form);
* duplicate keys, merge keys (``<<``) and tags other than the core ones are
  refused;
* aliases are allowed, but a document whose expansion would exceed a fixed
  number of values (a "billion laughs" bomb) or nest too deeply is refused;
* a file that is too large, not UTF-8, empty, or whose top level is not a
  mapping is explained rather than crashing.

Every problem found is collected, not just the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cspr.engine.errors import Problem

MAX_BYTES = 2_000_000
MAX_VALUES = 200_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE_TAGS = ("bool", "int", "float", "timestamp")
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_YAML12_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$"
)


def _yaml12_resolvers() -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    """SafeLoader's implicit resolvers with booleans, numbers and dates per YAML 1.2."""
    dropped = {f"tag:yaml.org,2002:{name}" for name in _CORE_TAGS}
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        table[first] = [(tag, rx) for tag, rx in entries if tag not in dropped]
    additions = [
        ("tag:yaml.org,2002:bool", _YAML12_BOOL, "tTfF"),
        ("tag:yaml.org,2002:int", _YAML12_INT, "-+0123456789"),
        ("tag:yaml.org,2002:float", _YAML12_FLOAT, "-+0123456789."),
    ]
    for tag, rx, firsts in additions:
        for ch in firsts:
            table.setdefault(ch, []).append((tag, rx))
    return table


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that resolves scalars the YAML 1.2 way (see module doc)."""

    yaml_implicit_resolvers = _yaml12_resolvers()


@dataclass
class Parsed:
    """The plain data of a document and where each part of it was written."""

    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of ``path``, falling back to its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]


def format_path(path: Path) -> str:
    """``("events", "send", "by", 0)`` -> ``events.send.by[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Walker:
    """Turns a composed node graph into plain values, collecting problems."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.parsed = Parsed(data=None)
        self.budget = MAX_VALUES
        self.exhausted = False

    def problem(self, node: Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message, "yaml")
        )

    def runaway(self, path: Path, message: str) -> None:
        """Report an expansion that got out of hand at the top-level key it is under."""
        self.exhausted = True
        top = path[:1]
        line, column = self.parsed.keys.get(top, (1, 1))
        self.problems.append(Problem(self.file, line, column, format_path(top), message, "yaml"))

    def walk(self, node: Node, path: Path, depth: int) -> Any:
        if self.exhausted:
            return None
        self.budget -= 1
        if self.budget < 0:
            self.runaway(
                path,
                f"the document expands to more than {MAX_VALUES:,} values "
                "(aliases that multiply in size are refused); write the values out",
            )
            return None
        if depth > MAX_DEPTH:
            self.runaway(path, f"nested more than {MAX_DEPTH} levels deep (is an alias referring to itself?)")
            return None
        mark = node.start_mark
        self.parsed.values.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            self.check_tag(node, path, "tag:yaml.org,2002:seq")
            return [self.walk(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self.check_tag(node, path, "tag:yaml.org,2002:map")
            return self.mapping(node, path, depth)
        self.problem(node, path, "unsupported YAML node")  # pragma: no cover - defensive
        return None

    def check_tag(self, node: Node, path: Path, expected: str) -> None:
        if node.tag != expected:
            self.problem(node, path, f"the tag {node.tag!r} is not allowed here; remove it")

    def mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, path, "merge keys ('<<') are not supported; write the keys out in full")
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be plain text, not a list or mapping")
                continue
            key = str(key_node.value)
            child = path + (key,)
            line = key_node.start_mark.line + 1
            if key in first_seen:
                self.problem(
                    key_node,
                    child,
                    f"duplicate key {key!r} (first written on line {first_seen[key]}); keep only one",
                )
                continue
            first_seen[key] = line
            self.parsed.keys[child] = (line, key_node.start_mark.column + 1)
            out[key] = self.walk(value_node, child, depth + 1)
        return out

    def scalar(self, node: ScalarNode, path: Path) -> Any:
        tag, text = node.tag, node.value
        if tag == "tag:yaml.org,2002:str":
            return text
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            if _YAML12_BOOL.match(text):
                return text.lower() == "true"
            self.problem(node, path, f"{text!r} is not a boolean; write true or false")
            return text
        if tag == "tag:yaml.org,2002:int":
            try:
                if text.startswith(("0o", "0x")):
                    return int(text, 0)
                return int(text, 10)
            except ValueError:
                self.problem(node, path, f"{text!r} is not a whole number")
                return text
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
            except ValueError:
                self.problem(node, path, f"{text!r} is not a number")
                return text
        self.problem(node, path, f"the tag {tag!r} is not allowed; only plain YAML values are")
        return text


_DEFINITION = "a process definition"


_KEY = re.compile(r"^(\s*)(- +)?([^#\s'\"\[{][^:#]*|'[^']*'|\"[^\"]*\"):(\s|$)")
_NODE_PROPERTY = re.compile(r"^[&!]\S*\s*(#.*)?$")  # "key: &anchor" or "key: !tag" opens a block too
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


def _misindented(text: str, upto: int) -> tuple[int, int, list[int]] | None:
    """The first line (1-based, at most ``upto``) whose indentation fits no open level of the block it
    stands in, with its indentation and the levels that would fit; None when every line fits."""
    levels: list[int] = [0]  # indents of the open block mappings, outermost first
    opener = False  # the line before opened a block (ends with 'key:' and no value)
    scalar_indent: int | None = None  # inside a block scalar (| or >): lines deeper than this are its text
    for number, line in enumerate(text.splitlines()[:upto], 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if scalar_indent is not None:
            if indent > scalar_indent:
                continue
            scalar_indent = None
        if stripped.startswith(("---", "...")) and indent == 0:
            levels, opener = [0], False
            continue
        seen = sorted(set(levels))
        while len(levels) > 1 and levels[-1] > indent:
            levels.pop()
        if indent > levels[-1]:
            if not opener:
                if _KEY.match(line):
                    return number, indent, seen
                continue  # the continuation of a plain value or a flow collection
            levels.append(indent)
        elif indent < levels[-1]:
            return number, indent, seen
        match = _KEY.match(line)
        if match and match.group(2):  # "- key: value": the item's own keys line up after the dash
            levels.append(indent + len(match.group(2)))
        rest = line[match.end():].strip() if match else ""
        opener = bool(match) and (not rest or rest.startswith("#") or bool(_NODE_PROPERTY.match(rest))) \
            or stripped == "-"
        if match and _BLOCK_SCALAR.search(line):
            scalar_indent, opener = indent, False
    return None


def _indentation_problem(text: str, mark: Any, said: str) -> tuple[int, int, str] | None:
    """A syntax error that a line's indentation explains, named on that line (PyYAML names the place it
    gave up, often the line after, in words about mappings)."""
    if mark is None:
        return None
    found = _misindented(text, mark.line + 1)
    if found is None:
        return None
    line, indent, levels = found
    fits = ", ".join(str(n) for n in levels[:-1]) + f" or {levels[-1]}" if len(levels) > 1 else str(levels[0])
    return line, indent + 1, (f"indentation: line {line} is indented {indent} space{'s' if indent != 1 else ''}, "
                              f"which lines up with no level above it ({fits}); YAML nests by indentation, so "
                              f"indent it like the lines it belongs with (YAML said: {said})")


def _tabs(text: str, mark: Any) -> list[tuple[int, int]]:
    """Where tabs stand in the indentation of a document YAML could not read (or where it stopped at one).

    YAML never indents with tabs; a tab pasted from a word processor is the usual cause of a syntax
    error, and the parser's own words for it ("found character that cannot start any token") do not say so.
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        found += [(number, i + 1) for i, char in enumerate(line[:indent]) if char == "\t"]
    if mark is not None and not found:
        lines = text.splitlines()
        if mark.line < len(lines) and mark.column < len(lines[mark.line]) and lines[mark.line][mark.column] == "\t":
            found.append((mark.line + 1, mark.column + 1))
    return found


def parse_yaml(text: str | bytes, file: str, what: str = _DEFINITION) -> tuple[Parsed, list[Problem]]:
    """Parse a document; return its data with positions and every problem found.

    ``what`` names the kind of document in messages (e.g. "a facts file").
    """

    def fail(message: str, line: int = 1, column: int = 1) -> tuple[Parsed, list[Problem]]:
        return Parsed(data=None), [Problem(file, line, column, "", message, "yaml")]

    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            return fail(f"the file is {len(text):,} bytes; {what} may be at most {MAX_BYTES:,}")
        if b"\x00" in text:
            return fail("this is a binary file, not YAML text")
        raw = text
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            return fail(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line, column)
    elif len(text) > MAX_BYTES:
        return fail(f"the text is {len(text):,} characters; {what} may be at most {MAX_BYTES:,}")

    try:
        loader = StrictLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        tabs = _tabs(text, mark)
        if tabs:
            return Parsed(data=None), [
                Problem(file, line, column, "", f"tab character at {line}:{column}; YAML indents with spaces", "yaml")
                for line, column in tabs]
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "not valid YAML"
        if exc.context:
            what = f"{exc.context}: {what}" if exc.problem else exc.context
        if "expected a single document" in what:
            what = "the file holds more than one YAML document; a definition is one document, so remove the extra '---'"
        else:
            indentation = _indentation_problem(text, mark, what)
            if indentation is not None:
                return fail(indentation[2], indentation[0], indentation[1])
        return fail(f"YAML syntax error: {what}", line, column)
    except yaml.YAMLError as exc:
        return fail(f"YAML error: {exc}".splitlines()[0])
    except RecursionError:
        return fail(f"the document is nested too deeply to read (more than {MAX_DEPTH} levels are never needed)")

    if root is None:
        if what == _DEFINITION:
            return fail("the file is empty; a process definition is a YAML mapping starting with 'language_version: 1'")
        return fail(f"the file is empty; {what} is a YAML mapping")
    walker = _Walker(file)
    walker.parsed.data = walker.walk(root, (), 0)
    if not walker.problems and not isinstance(walker.parsed.data, dict):
        kind = "a list" if isinstance(walker.parsed.data, list) else "a single value"
        example = " of keys such as 'id:' and 'states:'" if what == _DEFINITION else " of NAME: VALUE lines"
        walker.problem(root, (), f"the top level is {kind}; {what} must be a mapping{example}")
    return walker.parsed, walker.problems
