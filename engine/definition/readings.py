"""Every reading a definition cites, and which of them were not checked: ``cspr process show --unverified``.

Pure functions from a :class:`Definition` to JSON-ready dicts, for the policy
lead who must confirm what the team could not read in the primary text. A
reading is unverified when :func:`describe.citation_verified` says so; a
source marked ``verified: false`` is listed too, with its note.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .describe import citation_text, citation_verified
from .model import Citation, Definition

# The sections of a definition whose items carry a citation, in the order `process show` reads.
_SECTIONS = ("stages", "states", "events", "deadlines", "criteria", "consistency", "facts", "roles", "parties",
             "tasks", "actions")


def citations(definition: Definition) -> Iterator[tuple[str, str, Citation]]:
    """(where, what, citation) for every citation in the definition, e.g. ('events.ID', title, cite)."""
    if definition.calendar.cite is not None:
        yield "calendar", "Working days", definition.calendar.cite
    for section in _SECTIONS:
        for key, item in getattr(definition, section).items():
            what = getattr(item, "title", None) or getattr(item, "label", None) or getattr(item, "name", None) or key
            cite = getattr(item, "cite", None)
            if cite is not None:
                yield f"{section}.{key}", what, cite
            extension = getattr(item, "extension", None)
            if extension is not None and extension.cite is not None:
                yield f"{section}.{key}.extension", f"Extension of '{what}'", extension.cite


def unverified(definition: Definition) -> list[dict[str, Any]]:
    """Each unverified source, then each citation whose reading was not checked in the primary text."""
    out: list[dict[str, Any]] = []
    for source in definition.sources.values():
        if not source.verified:
            out.append({"where": f"sources.{source.id}", "what": source.title, "source": source.id,
                        "reading": citation_text(definition, Citation(source.id)), "note": source.note})
    for where, what, cite in citations(definition):
        if not citation_verified(definition, cite):
            out.append({"where": where, "what": what, "source": cite.source,
                        "reading": citation_text(definition, cite), "note": cite.note})
    return out


def unverified_lines(definition: Definition) -> list[str]:
    """The unverified readings in words, one block each, for the policy lead."""
    items = unverified(definition)
    head = f"Unverified readings in {definition.id} {definition.version}: {len(items)}"
    lines = [head, "=" * len(head)]
    for item in items:
        lines += ["", f"{item['where']}: {item['what']}", f"   source: {item['reading']}"]
        lines.append(f"   note: {item['note']}" if item["note"] else "   note: (none: say what is uncertain)")
    if not items:
        lines += ["", "Every reading is marked as checked in its source."]
    return lines
