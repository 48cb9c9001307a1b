"""A process definition in words, for people: ``cspr process show``.

Pure functions from a :class:`Definition` to text lines or to a JSON-ready
dict. No I/O; the CLI prints what these return.
"""

from __future__ import annotations

from typing import Any

from .model import Citation, Deadline, Definition, Event
from .rules import describe as rule_words


def citation_verified(definition: Definition, cite: Citation) -> bool:
    """Whether a reading was checked in its source: the citation says so, and so does a source cited without a section."""
    source = definition.sources.get(cite.source)
    return cite.verified and not (source is not None and not source.verified and cite.section is None)


def citation_text(definition: Definition, cite: Citation) -> str:
    """The source's title and the section cited, e.g. 'Working Together 2023, Chapter 5'."""
    source = definition.sources.get(cite.source)
    text = source.title if source else cite.source
    section = cite.section or (source.section if source else None)
    return f"{text}, {section}" if section else text


def cite_words(definition: Definition, cite: Citation | None) -> str:
    if cite is None:
        return ""
    return citation_text(definition, cite) + ("" if citation_verified(definition, cite) else " (unverified)")


def role_names(definition: Definition, roles: tuple[str, ...]) -> str:
    names = [definition.roles[r].name for r in roles]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def deadline_words(definition: Definition, deadline: Deadline) -> str:
    anchor = deadline.anchor
    if anchor.kind == "fact":
        start = f"'{definition.facts[anchor.ref].label}'"
    else:
        start = f"the event '{definition.events[anchor.ref].title}'"
    return f"{deadline.period.words()} {deadline.direction} {start}"


def requirement_words(definition: Definition, event: Event) -> list[str]:
    req = event.requires
    out = []
    if req.facts:
        out.append("facts recorded: " + ", ".join(f"'{definition.facts[f].label}'" for f in req.facts))
    if req.criteria:
        out.append("criteria met: " + ", ".join(f"'{definition.criteria[c].title}'" for c in req.criteria))
    if req.signoff:
        out.append("signed off by " + role_names(definition, req.signoff))
    return out


def process_lines(definition: Definition) -> list[str]:
    d = definition
    lines = [d.title, "=" * len(d.title)]
    lines.append(f"Process {d.id}, version {d.version}, in effect from {d.effective_from.isoformat()}"
                 + (f" (supersedes {d.supersedes})" if d.supersedes else ""))
    lines.append(f"Edition: {d.edition}")
    lines.append(f"Content hash: {d.content_hash}")
    if d.description:
        lines += ["", d.description]
    lines += ["", f"A case opens with '{d.facts[d.opening.date_fact].label}'."]
    if d.reference:
        lines.append(f"Case references look like {d.reference.example}.")

    lines += ["", "Stages, states and events", "-------------------------"]
    for number, stage in enumerate(d.stages.values(), 1):
        lines.append(f"{number}. {stage.title}")
        for state in (s for s in d.states.values() if s.stage == stage.id):
            marks = " [start]" if state.initial else (" [end]" if state.final else "")
            lines.append(f"   {state.id}: {state.title}{marks}")
            for event in d.events_from(state.id):
                lines.append(f"     -> {event.id}: {event.title} (to {event.target})")
                lines.append(f"        by {role_names(d, event.by)}")
                for words in requirement_words(d, event):
                    lines.append(f"        needs {words}")
                lines.append(f"        source: {cite_words(d, event.cite)}")

    lines += ["", "Deadlines", "---------"]
    for x in d.deadlines.values():
        lines.append(f"{x.title}: {deadline_words(d, x)}")
        met = ", ".join(f"'{d.events[e].title}'" for e in x.met_by)
        lines.append(f"   owner: {role_names(d, x.owner)}; met by {met}")
        if x.warn:
            lines.append(f"   due soon {x.warn.words()} before it is due")
        if x.applies_when:
            lines.append("   applies unless known not to: " + ", ".join(f"'{d.criteria[c].title}'" for c in x.applies_when))
        lines.append(f"   source: {cite_words(d, x.cite)}")
        if x.cite.note:
            lines.append(f"   note: {x.cite.note}")

    if d.actions:
        lines += ["", "Agreed actions", "--------------"]
        for rule in d.actions.values():
            lines.append(f"{d.stages[rule.stage].title}: each action agreed by {role_names(d, rule.agreed_by)}")
            lines.append(f"   source: {cite_words(d, rule.cite)}")

    lines += ["", "Criteria", "--------"]
    for c in d.criteria.values():
        lines.append(f"{c.id}: {c.title}")
        lines.append(f"   {c.description}")
        lines.append(f"   rule: {rule_words(d, c.rule)}")
        lines.append(f"   source: {cite_words(d, c.cite)}")

    lines += ["", "Facts", "-----"]
    for f in d.facts.values():
        kind = f.type if f.type != "list" else f"list of {f.items}"
        lines.append(f"{f.id} ({kind}): {f.label}")
        for value, meaning in f.values:
            lines.append(f"   {value}: {meaning}")

    lines += ["", "Roles", "-----"]
    for r in d.roles.values():
        lines.append(f"{r.id}: {r.name}" + (f" ({r.description})" if r.description else ""))

    lines += ["", "Sources", "-------"]
    for s in d.sources.values():
        lines.append(f"{s.id}: {s.title}" + (f", {s.section}" if s.section else "") + ("" if s.verified else " (unverified)"))
        if s.url:
            lines.append(f"   {s.url}")
        if s.note:
            lines.append(f"   note: {s.note}")
    return lines


def process_dict(definition: Definition) -> dict[str, Any]:
    """The definition in normal form, plus its identity, for ``--json``."""
    return {
        "file": definition.file,
        "content_hash": definition.content_hash,
        "definition": definition.canonical(),
    }
