"""Reports to read: one case, or the whole open caseload, as one self-contained HTML file.

The pages are Jinja2 templates (``templates/``, shipped with the package) with
autoescape on: everything a template prints is escaped unless it is marked
safe, and only the inline SVG diagrams (:mod:`cspr.engine.render.svg`, which
escape their own text) are. This module gathers what each page shows; the
templates lay it out. Jinja2 is imported on first use.

No scripts, no external fonts, styles or images: the files open offline, can
be emailed, and print on A4.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.runtime.deadlines import DeadlineStatus
from cspr.engine.runtime.kinds import ActionStatus, RecordKind

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@cache
def environment() -> Any:
    """The Jinja2 environment of the reports: autoescape, and an error for any name a template lacks."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["iso"] = _iso
    env.globals["plural"] = _plural
    return env


def render(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context)) + "\n"


def _safe(markup: str) -> Any:
    """Mark generated SVG as safe to include (it escapes its own text)."""
    from markupsafe import Markup

    return Markup(markup)


def case_timeline(view: Any) -> str:
    """A case's events on a month axis against its deadlines (an SVG), from its CaseView."""
    from .svg import timeline_svg

    case, today = view.case, view.today
    events = [(r.on, r.name if r.kind == RecordKind.TRANSITION else r.kind) for r in case.history
              if r.kind in (RecordKind.OPENED, RecordKind.TRANSITION, RecordKind.MIGRATED)]
    lane = [{"title": s.timing.title, "due": s.timing.due, "met_on": s.timing.met_on, "status": s.status,
             "statutory_due": s.timing.statutory_due if s.timing.extended else None,
             "extended_by": s.timing.extended_by} for s in view.deadlines]
    dates = [e[0] for e in events] + [x for s in lane for x in (s["due"], s["met_on"], s["statutory_due"]) if x] + [today]
    start = case.opened_on or min(dates)
    return timeline_svg(start, max(dates), today, events, lane)


def case_report(view: Any, actions: list[dict[str, Any]], entries: list[dict[str, Any]], generated: dt.datetime) -> str:
    """One case: stage, deadlines, timeline, process diagram, next steps, facts, criteria, actions, history."""
    from .svg import process_svg

    case, d, today = view.case, view.case.definition, view.today
    state = d.states[case.state]
    deadlines = [
        {"title": s.timing.title, "due": s.timing.due if s.status is not DeadlineStatus.NOT_APPLICABLE else None,
         "status": s.status, "detail": s.detail, "owners": ", ".join(d.roles[r].name for r in s.timing.owner)}
        for s in view.deadlines
    ]
    steps = [{"title": step.title, "event": step.event, "who": ", ".join(d.roles[r].name for r in step.by),
              "blockers": [b.message for b in step.blockers]} for step in case.next_steps()]
    verdict_words = {True: "Holds", False: "Does not hold", None: "Cannot tell yet"}
    criteria = []
    for criterion_id, verdict in case.criteria().items():
        why = verdict.grounds() if verdict.value else verdict.blockers()
        criteria.append((d.criteria[criterion_id].title, verdict_words[verdict.value], "; ".join(why)))
    action_rows = [{"action": a["action"], "text": a["text"] or "(redacted)",
                    "owner": d.roles[a["owner"]].name if a["owner"] in d.roles else a["owner"], "due": a["due"],
                    "status": ActionStatus.on(a["status"], a["due"], today)} for a in actions]
    history = [{"seq": e["seq"], "on_date": e["on_date"], "what": e["name"] or e["kind"], "role": e["role"] or "",
                "actor": e["actor"], "note": (e["note"] or "") if not e["redacted"] else "(redacted)", "hash": e["hash"]}
               for e in entries]
    return render(
        "case.html", title=f"Case {case.ref}", case=case, state=state, stage=d.stages[state.stage], process=d,
        today=today, overdue=[s for s in view.deadlines if s.status is DeadlineStatus.OVERDUE],
        overdue_heading=DeadlineStatus.OVERDUE.heading, deadlines=deadlines,
        timeline=_safe(case_timeline(view)),
        diagram=_safe(process_svg(d, highlight=case.state)), steps=steps,
        facts=[(f.label, fact_values.describe_value(f, case.facts[f.id])) for f in d.facts.values() if f.id in case.facts],
        criteria=criteria, actions=action_rows, history=history,
        generated=generated.isoformat(timespec="seconds"),
    )


def overview_report(data: dict[str, Any], actions: list[dict[str, Any]], generated: dt.datetime) -> str:
    """All open cases: what is overdue, what is due this week, and who each case waits on."""
    cases = data["cases"]
    return render(
        "overview.html", title=f"Open cases on {data['today']}", today=data["today"], cases=cases,
        overdue_cases=sum(1 for c in cases if c["overdue"]), due_this_week=sum(1 for c in cases if c["due_this_week"]),
        week_working_days=data["week_working_days"], overdue_actions=[a for a in actions if a["overdue"]],
        generated=generated.isoformat(timespec="seconds"),
    )
