"""The data of the definition-only pages (a process, its editions, the list of processes).

Pure functions from definitions to plain JSON-ready values: the page's
template renders them and the JSON twin returns them unchanged. Every word
comes from the definition or from the engine's own describers
(:mod:`cspr.engine.definition.describe`, :mod:`~cspr.engine.definition.diff`),
so a second process gets the same pages with no code change, and a reading the
definition marks unverified is marked here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from cspr.engine.definition.describe import citation_text, citation_verified, deadline_words, requirement_words
from cspr.engine.definition.model import Citation, Definition, Fact
from cspr.engine.definition.rules import describe as rule_words

from .catalog import ProcessCatalog

# --- addresses -----------------------------------------------------------------------------------------


def process_url(process_id: str) -> str:
    return f"/processes/{quote(process_id, safe='')}"


def version_url(d: Definition) -> str:
    return f"{process_url(d.id)}/versions/{quote(d.version, safe='')}"


def diagram_url(d: Definition) -> str:
    return f"{version_url(d)}/diagram.svg"


def editions_url(process_id: str, old: str | None = None, new: str | None = None) -> str:
    query = urlencode({"from": old, "to": new}) if old and new else ""
    return f"{process_url(process_id)}/editions" + (f"?{query}" if query else "")


def api(url: str) -> str:
    """The JSON twin of a page's address."""
    return "/api" + url


# --- pieces --------------------------------------------------------------------------------------------


def citation(d: Definition, cite: Citation | None) -> dict[str, Any] | None:
    if cite is None:
        return None
    source = d.sources.get(cite.source)
    return {
        "source": cite.source, "text": citation_text(d, cite), "verified": citation_verified(d, cite),
        "note": cite.note or (source.note if source is not None and not citation_verified(d, cite) else None),
        "url": source.url if source is not None else None,
    }


def names(d: Definition, roles: tuple[str, ...]) -> list[str]:
    return [d.roles[r].name for r in roles]


def fact_kind(fact: Fact) -> str:
    if fact.type == "boolean":
        return "yes or no"
    if fact.type == "date":
        return "a date"
    if fact.type == "integer":
        bounds = (f" from {fact.minimum}" if fact.minimum is not None else "") \
            + (f" to {fact.maximum}" if fact.maximum is not None else "")
        return "a whole number" + bounds
    if fact.type == "text":
        return "text" + (f", up to {fact.max_length} characters" if fact.max_length else "")
    if fact.type == "enum":
        return "one of the values listed"
    return "a list of " + ("values from those listed" if fact.items == "enum" else "text entries")


def version_summary(d: Definition, current: Definition | None) -> dict[str, Any]:
    """One version in a list of versions; ``current`` is the version in effect today."""
    in_effect = current is not None and current.version == d.version
    status = "in effect" if in_effect else (
        "superseded" if current is not None and d.effective_from <= current.effective_from else "not yet in effect")
    return {
        "version": d.version, "edition": d.edition, "effective_from": d.effective_from, "supersedes": d.supersedes,
        "content_hash": d.content_hash, "in_effect": in_effect, "status": status,
        "url": version_url(d), "json_url": api(version_url(d)),
    }


# --- the list of processes -----------------------------------------------------------------------------


def processes_page(catalog: ProcessCatalog, today: dt.date) -> dict[str, Any]:
    processes = []
    for process_id in catalog.ids():
        versions = catalog.versions(process_id)
        current = catalog.in_effect(process_id, today)
        newest = versions[-1]
        processes.append({
            "id": process_id, "title": (current or newest).title, "url": process_url(process_id),
            "editions_url": editions_url(process_id), "in_effect": current.version if current else None,
            "versions": [version_summary(d, current) for d in reversed(versions)],
        })
    return {"today": today, "processes": processes}


# --- one version of a process --------------------------------------------------------------------------


def process_page(catalog: ProcessCatalog, d: Definition, today: dt.date) -> dict[str, Any]:
    current = catalog.in_effect(d.id, today)
    page = {
        "today": today,
        "process": {**version_summary(d, current), "id": d.id, "title": d.title, "description": d.description,
                    "in_effect_version": current.version if current else None,
                    "opening": [d.facts[d.opening.date_fact].label, *(d.facts[f].label for f in d.opening.facts)],
                    "reference_example": d.reference.example if d.reference else None},
        "links": {"diagram": diagram_url(d), "editions": editions_url(d.id), "process": process_url(d.id)},
        "versions": [version_summary(v, current) for v in reversed(catalog.versions(d.id))],
        "stages": _stages(d),
        "deadlines": [{
            "id": x.id, "title": x.title, "description": x.description, "when": deadline_words(d, x),
            "owners": names(d, x.owner), "met_by": [d.events[e].title for e in x.met_by],
            "warning": f"{x.warn.words()} before it is due" if x.warn else None,
            "applies_when": [d.criteria[c].title for c in x.applies_when], "citation": citation(d, x.cite),
        } for x in d.deadlines.values()],
        "criteria": [{"id": c.id, "title": c.title, "description": c.description, "rule": rule_words(d, c.rule),
                      "citation": citation(d, c.cite)} for c in d.criteria.values()],
        "facts": [{"id": f.id, "label": f.label, "description": f.description, "kind": fact_kind(f),
                   "values": [{"value": v, "meaning": m} for v, m in f.values], "citation": citation(d, f.cite)}
                  for f in d.facts.values()],
        "roles": [{"id": r.id, "name": r.name, "description": r.description, "citation": citation(d, r.cite)}
                  for r in d.roles.values()],
        "actions": [{"stage": d.stages[a.stage].title, "agreed_by": names(d, a.agreed_by), "description": a.description,
                     "citation": citation(d, a.cite)} for a in d.actions.values()],
        "calendar": {
            "holidays": "-".join(p for p in (d.calendar.country, d.calendar.subdivision) if p),
            "closures": [{"date": c.date, "reason": c.reason} for c in d.calendar.closures],
            "citation": citation(d, d.calendar.cite),
        },
        "sources": [{"id": s.id, "title": s.title, "section": s.section, "publisher": s.publisher,
                     "published": s.published, "url": s.url, "verified": s.verified, "note": s.note}
                    for s in d.sources.values()],
    }
    page["unverified"] = _unverified(d)
    return page


def _stages(d: Definition) -> list[dict[str, Any]]:
    stages = []
    for number, stage in enumerate(d.stages.values(), 1):
        states = []
        for state in (s for s in d.states.values() if s.stage == stage.id):
            steps = [{
                "id": e.id, "title": e.title, "description": e.description,
                "to": d.states[e.target].title if e.target else "(the case stays where it is)", "to_id": e.target,
                "by": names(d, e.by),
                "needs": requirement_words(d, e), "citation": citation(d, e.cite),
            } for e in d.events_from(state.id)]
            states.append({"id": state.id, "title": state.title, "description": state.description,
                           "initial": state.initial, "final": state.final, "citation": citation(d, state.cite),
                           "steps": steps})
        stages.append({"number": number, "id": stage.id, "title": stage.title, "description": stage.description,
                       "citation": citation(d, stage.cite), "states": states})
    return stages


def _unverified(d: Definition) -> list[dict[str, Any]]:
    """Every reading the definition marks as not checked in its source, and where it is used."""
    places: list[tuple[str, Citation | None]] = [("Calendar", d.calendar.cite)]
    places += [(f"Role '{r.name}'", r.cite) for r in d.roles.values()]
    places += [(f"Fact '{f.label}'", f.cite) for f in d.facts.values()]
    places += [(f"Criterion '{c.title}'", c.cite) for c in d.criteria.values()]
    places += [(f"Stage '{s.title}'", s.cite) for s in d.stages.values()]
    places += [(f"State '{s.title}'", s.cite) for s in d.states.values()]
    places += [(f"Step '{e.title}'", e.cite) for e in d.events.values()]
    places += [(f"Deadline '{x.title}'", x.cite) for x in d.deadlines.values()]
    places += [(f"Actions of stage '{d.stages[a.stage].title}'", a.cite) for a in d.actions.values()]
    return [{"where": where, "citation": citation(d, cite)}
            for where, cite in places if cite is not None and not citation_verified(d, cite)]


# --- editions ------------------------------------------------------------------------------------------


def editions_page(catalog: ProcessCatalog, process_id: str, old: str | None, new: str | None,
                  today: dt.date) -> dict[str, Any]:
    """The versions of a process and, when two are chosen (or by default the newest two), the differences."""
    from cspr.engine.definition.diff import diff, grouped

    versions = catalog.versions(process_id)
    current = catalog.in_effect(process_id, today)
    known = [d.version for d in versions]
    errors: dict[str, str] = {}
    if old is None and new is None and len(versions) >= 2:
        old, new = known[-2], known[-1]
    if old is not None and old not in known:
        errors["from"] = "Choose the version to compare from"
    if new is not None and new not in known:
        errors["to"] = "Choose the version to compare with"
    if (old is None) != (new is None) and not errors:
        errors["from" if old is None else "to"] = "Choose two versions to compare"
    comparison = None
    if old is not None and new is not None and not errors:
        before, after = catalog.get(process_id, old), catalog.get(process_id, new)
        changes = diff(before, after)
        comparison = {
            "from": version_summary(before, current), "to": version_summary(after, current),
            "differences": len(changes),
            "groups": [{"heading": heading, "changes": [c.as_dict() for c in group]}
                       for heading, group in grouped(changes)],
        }
    newest = versions[-1]
    return {
        "today": today, "process": {"id": process_id, "title": newest.title, "url": process_url(process_id)},
        "versions": [version_summary(d, current) for d in reversed(versions)],
        "choice": {"from": old, "to": new}, "errors": errors, "comparison": comparison,
    }
