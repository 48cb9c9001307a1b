"""A process definition in words, for people: ``cspr process show``.

Pure functions from a :class:`Definition` to text lines or to a JSON-ready
dict. No I/O; the CLI prints what these return.
"""

from __future__ import annotations

from typing import Any

from .model import Anchor, Citation, DateRef, Deadline, Definition, Event, Fact, Period
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


_OCCURRENCE = {"first": " (its first occurrence)", "latest": "", "each": " (each time it happens)"}


def anchor_words(definition: Definition, anchor: Anchor) -> str:
    """Where a deadline counts from, in the process's words."""
    if anchor.kind == "fact":
        return f"'{definition.facts[anchor.ref].label}'"
    if anchor.kind == "event":
        return f"the event '{definition.events[anchor.ref].title}'" + _OCCURRENCE[anchor.occurrence]
    parts = [anchor_words(definition, part) for part in anchor.parts]
    return f"the {anchor.kind} of " + ", ".join(parts[:-1]) + " and " + parts[-1]


def date_ref_words(definition: Definition, ref: DateRef) -> str:
    if ref.kind == "fact":
        return f"'{definition.facts[ref.ref].label}'"
    if ref.kind == "event":
        return f"the date of the event '{definition.events[ref.ref].title}'"
    return ref.ref


def deadline_words(definition: Definition, deadline: Deadline) -> str:
    """The due date's rule: the period, the direction and the anchor, with language 2's rolling."""
    words = f"{deadline.period.words()} {deadline.direction} {anchor_words(definition, deadline.anchor)}"
    if deadline.roll:
        words += f", moved to the {deadline.roll.split('_')[0]} working day when it falls on another day"
    return words


def deadline_notes(definition: Definition, deadline: Deadline) -> list[str]:
    """What else a deadline's rule says: who may extend it, what pauses it, the unit of lateness."""
    out = []
    if deadline.extension is not None:
        out.append(f"may be extended by {role_names(definition, deadline.extension.agreed_by)}; "
                   "the statutory date stays shown beside the agreed one")
    for pause in deadline.pauses:
        out.append(f"paused from '{definition.events[pause.paused_by].title}' until "
                   f"'{definition.events[pause.resumed_by].title}'")
    if deadline.late_in != "working_days":
        out.append(f"lateness counted in {deadline.late_in.replace('_', ' ')}")
    return out


def period_words(period: Period) -> str:
    return period.words()


def fact_kind_words(definition: Definition, fact: Fact) -> str:
    kind = fact.type if fact.type != "list" else f"list of {fact.items}"
    if fact.derive is not None:
        d = fact.derive
        unit = d.unit.replace("_", " ")
        kind += (f", derived: whole {unit} from {date_ref_words(definition, d.start)} "
                 f"to {date_ref_words(definition, d.end)}")
    return kind


def requirement_words(definition: Definition, event: Event) -> list[str]:
    req = event.requires
    out = []
    if req.facts:
        out.append("facts recorded: " + ", ".join(f"'{definition.facts[f].label}'" for f in req.facts))
    if req.criteria:
        out.append("criteria met: " + ", ".join(f"'{definition.criteria[c].title}'" for c in req.criteria))
    if req.signoff:
        out.append("signed off by " + role_names(definition, req.signoff))
    for conditional in req.signoff_when:
        out.append(f"signed off by {role_names(definition, (conditional.role,))} when "
                   f"{rule_words(definition, conditional.when)}")
    return out


def event_words(definition: Definition, event: Event) -> str:
    """An event's id, title and where it leads (or that the case stays where it is)."""
    where = f"to {event.target}" if event.target else "the case stays where it is"
    return f"{event.id}: {event.title} ({where})"


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
                if event.from_any:
                    continue  # listed once, below
                lines += _event_lines(d, event, state.id)
    anywhere = [e for e in d.events.values() if e.from_any]
    if anywhere:
        lines += ["", "Steps possible in every state that is not final"]
        for event in anywhere:
            lines += _event_lines(d, event, None)

    lines += ["", "Deadlines", "---------"]
    for x in d.deadlines.values():
        lines.append(f"{x.title}: {deadline_words(d, x)}")
        lines += [f"   {note}" for note in deadline_notes(d, x)]
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

    if d.tasks:
        lines += ["", "Tasks (one per party, in parallel)", "----------------------------------"]
        for t in d.tasks.values():
            due = f"due {t.period.words()} after {anchor_words(d, t.anchor)}" if t.period and t.anchor else \
                "due on the date given when it is added"
            lines.append(f"{t.id}: {t.title}, one for each {d.roles[t.party].name}; {due}")
            lines.append(f"   source: {cite_words(d, t.cite)}")

    if d.parties:
        lines += ["", "Parties (who fills a role, case by case)", "----------------------------------------"]
        for party in d.parties.values():
            named = ", ".join(party.organisations) if party.organisations else "any organisation, by name"
            notes = [w for w, on in (("named when the case is opened", party.required),
                                     ("several per case", party.multiple)) if on]
            if party.default:
                notes.append(f"default {party.default}")
            lines.append(f"{party.role}: {d.roles[party.role].name}: {named}" + (f" ({'; '.join(notes)})" if notes else ""))

    lines += ["", "Criteria", "--------"]
    for c in d.criteria.values():
        lines.append(f"{c.id}: {c.title}")
        lines.append(f"   {c.description}")
        lines.append(f"   rule: {rule_words(d, c.rule)}")
        lines.append(f"   source: {cite_words(d, c.cite)}")

    if d.consistency:
        lines += ["", "Consistency rules (a step that breaks one is refused)", "-----------------------------------------------------"]
        for c in d.consistency.values():
            lines.append(f"{c.id}: {c.title}")
            lines.append(f"   rule: {rule_words(d, c.rule)}")
            lines.append(f"   source: {cite_words(d, c.cite)}")

    lines += ["", "Facts", "-----"]
    for f in d.facts.values():
        lines.append(f"{f.id} ({fact_kind_words(d, f)}): {f.label}")
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


def _event_lines(d: Definition, event: Event, state: str | None) -> list[str]:
    lines = [f"     -> {event_words(d, event)}", f"        by {role_names(d, event.by)}"]
    for words in requirement_words(d, event):
        lines.append(f"        needs {words}")
    if event.off_route is not None and (state is None or state in event.off_route.states):
        where = "" if state is not None else " at " + ", ".join(event.off_route.states)
        lines.append(f"        flagged{where}: {event.off_route.words}")
    lines.append(f"        source: {cite_words(d, event.cite)}")
    return lines


def process_dict(definition: Definition) -> dict[str, Any]:
    """The definition in normal form, plus its identity, for ``--json``."""
    return {
        "file": definition.file,
        "content_hash": definition.content_hash,
        "definition": definition.canonical(),
    }
