"""The normal form of a definition: the plain JSON its content hash is taken over.

Databases store each process by its content hash and refuse a stored process
that no longer loads to the same hash, so this form is a promise: a document
keeps its hash for as long as cspr can read it. The form does not depend on
key order, comments, whether a single item was written as ``x`` or ``[x]``,
or whether a default was written out.

Language 2 added fields; each appears here only when a document uses it (a
field left at its default is left out), so every language-1 document keeps
the hash it had before language 2 existed. ``tests/test_language_versions.py``
holds those hashes.
"""

from __future__ import annotations

import json
from typing import Any

from .model import (
    All,
    Anchor,
    Any_,
    Citation,
    CriterionRef,
    DateRef,
    Deadline,
    Definition,
    Event,
    EventTest,
    FactTest,
    Not,
    PartyTest,
    Period,
    Rule,
    TasksTest,
    Within,
)


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def _iso(day: Any) -> str | None:
    return day.isoformat() if day else None


def citation_dict(c: Citation | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return _drop_none({"source": c.source, "section": c.section, "note": c.note, "verified": c.verified})


def date_ref_dict(ref: DateRef) -> dict[str, str]:
    return {ref.kind: ref.ref}


def _operand(test: FactTest) -> Any:
    value = test.value
    if isinstance(value, DateRef):
        return date_ref_dict(value)
    if isinstance(value, Within):
        return {value.period.unit: value.period.amount, value.direction: date_ref_dict(value.ref)}
    return list(value) if isinstance(value, tuple) else value


def rule_dict(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, All):
        return {"all": [rule_dict(r) for r in rule.rules]}
    if isinstance(rule, Any_):
        return {"any": [rule_dict(r) for r in rule.rules]}
    if isinstance(rule, Not):
        return {"not": rule_dict(rule.rule)}
    if isinstance(rule, CriterionRef):
        return {"criterion": rule.criterion}
    if isinstance(rule, EventTest):
        return {"event": rule.event, "happened": rule.happened}
    if isinstance(rule, PartyTest):
        return {"party": rule.role, rule.op: list(rule.value) if isinstance(rule.value, tuple) else rule.value}
    if isinstance(rule, TasksTest):
        return {"tasks": rule.kind, "all_received": rule.all_received}
    return {"fact": rule.fact, rule.op: _operand(rule)}


def period_dict(p: Period | None) -> dict[str, int] | None:
    return None if p is None else {p.unit: p.amount}


def anchor_dict(a: Anchor) -> dict[str, Any]:
    if a.kind in ("earliest", "latest"):
        return {a.kind: sorted((anchor_dict(p) for p in a.parts), key=lambda x: json.dumps(x, sort_keys=True))}
    out: dict[str, Any] = {a.kind: a.ref}
    if a.kind == "event" and a.occurrence != "latest":
        out["occurrence"] = a.occurrence
    return out


def _requires(e: Event) -> dict[str, Any]:
    conditional = sorted(({"role": c.role, "when": rule_dict(c.when)} for c in e.requires.signoff_when),
                         key=lambda x: json.dumps(x, sort_keys=True))
    return {"facts": sorted(e.requires.facts), "criteria": sorted(e.requires.criteria),
            "signoff": [*sorted(e.requires.signoff), *conditional]}


def event_dict(e: Event) -> dict[str, Any]:
    return _drop_none({
        "title": e.title, "description": e.description, "from": sorted(e.sources), "to": e.target,
        "by": sorted(e.by), "requires": _requires(e), "cite": citation_dict(e.cite),
        "off_route": None if e.off_route is None else {"from": sorted(e.off_route.states), "words": e.off_route.words},
    })


def deadline_dict(x: Deadline) -> dict[str, Any]:
    return _drop_none({
        "title": x.title, "description": x.description, "owner": sorted(x.owner),
        "period": period_dict(x.period), x.direction: anchor_dict(x.anchor),
        "met_by": sorted(x.met_by), "warn": period_dict(x.warn), "applies_when": sorted(x.applies_when),
        "cite": citation_dict(x.cite),
        "extension": None if x.extension is None else _drop_none({
            "agreed_by": sorted(x.extension.agreed_by), "description": x.extension.description,
            "cite": citation_dict(x.extension.cite)}),
        "pauses": sorted(({"paused_by": p.paused_by, "resumed_by": p.resumed_by} for p in x.pauses),
                         key=lambda p: (p["paused_by"], p["resumed_by"])) or None,
        "roll": x.roll,
        "late_in": None if x.late_in == "working_days" else x.late_in,
    })


def _criterion(c: Any) -> dict[str, Any]:
    return {"title": c.title, "description": c.description, "rule": rule_dict(c.rule), "cite": citation_dict(c.cite)}


def _fact(f: Any) -> dict[str, Any]:
    derive = None
    if f.derive is not None:
        derive = {"from": date_ref_dict(f.derive.start), "to": date_ref_dict(f.derive.end), "in": f.derive.unit}
    return _drop_none({
        "type": f.type, "label": f.label, "description": f.description,
        "values": dict(f.values) or None, "items": f.items, "minimum": f.minimum, "maximum": f.maximum,
        "max_length": f.max_length, "cite": citation_dict(f.cite), "derive": derive,
    })


def _language_2(d: Definition) -> dict[str, Any]:
    """The sections only language 2 has; absent (None) when a document does not use them."""
    parties = {
        p.role: _drop_none({
            "organisations": sorted(p.organisations) or None, "required": p.required or None,
            "multiple": p.multiple or None, "default": p.default, "description": p.description,
            "cite": citation_dict(p.cite),
        })
        for p in d.parties.values()
    }
    tasks = {
        t.id: _drop_none({
            "title": t.title, "description": t.description, "party": t.party, "period": period_dict(t.period),
            "after": None if t.anchor is None else anchor_dict(t.anchor), "warn": period_dict(t.warn),
            "cite": citation_dict(t.cite),
        })
        for t in d.tasks.values()
    }
    return {
        "parties": parties or None,
        "tasks": tasks or None,
        "consistency": {c.id: _criterion(c) for c in d.consistency.values()} or None,
    }


def canonical(d: Definition) -> dict[str, Any]:
    opening: dict[str, Any] = {"date_fact": d.opening.date_fact, "facts": sorted(d.opening.facts)}
    if d.opening.option is not None:
        opening["option"] = d.opening.option
    return _drop_none({
        "language_version": d.language_version,
        "id": d.id,
        "title": d.title,
        "version": d.version,
        "edition": d.edition,
        "effective_from": _iso(d.effective_from),
        "supersedes": d.supersedes,
        "description": d.description,
        "reference": None if d.reference is None else {"pattern": d.reference.pattern, "example": d.reference.example},
        "opening": opening,
        "sources": {
            s.id: _drop_none({
                "title": s.title, "section": s.section, "publisher": s.publisher, "published": _iso(s.published),
                "url": s.url, "note": s.note, "verified": s.verified,
            })
            for s in d.sources.values()
        },
        "calendar": _drop_none({
            "holidays": _drop_none({"country": d.calendar.country, "subdivision": d.calendar.subdivision}),
            "closures": sorted(({"date": c.date.isoformat(), "reason": c.reason} for c in d.calendar.closures),
                               key=lambda c: (c["date"], c["reason"])),
            "cite": citation_dict(d.calendar.cite),
        }),
        "roles": {r.id: _drop_none({"name": r.name, "description": r.description, "cite": citation_dict(r.cite)})
                  for r in d.roles.values()},
        "facts": {f.id: _fact(f) for f in d.facts.values()},
        "criteria": {c.id: _criterion(c) for c in d.criteria.values()},
        "stages": {s.id: _drop_none({"title": s.title, "description": s.description, "cite": citation_dict(s.cite)})
                   for s in d.stages.values()},
        "states": {
            s.id: _drop_none({
                "title": s.title, "stage": s.stage, "description": s.description, "initial": s.initial,
                "final": s.final, "cite": citation_dict(s.cite),
            })
            for s in d.states.values()
        },
        "events": {e.id: event_dict(e) for e in d.events.values()},
        "deadlines": {x.id: deadline_dict(x) for x in d.deadlines.values()},
        "actions": {
            a.stage: _drop_none({"agreed_by": sorted(a.agreed_by), "description": a.description,
                                 "cite": citation_dict(a.cite)})
            for a in d.actions.values()
        } or None,
        **_language_2(d),
    })
