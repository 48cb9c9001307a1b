"""The data of the case pages: the caseload and one case, generated from the case's process definition.

Pure functions from a Casebook (and the signed-in user) to plain JSON-ready
values, as :mod:`.views` is for the definition pages: the template renders
them and the JSON twin returns them unchanged. Every status word comes from
the engine's one deadline Enum (:class:`~cspr.engine.runtime.deadlines.DeadlineStatus`),
every reason a step is blocked from the case itself (:meth:`Case.blockers`),
so the page says what ``cspr case show`` says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from cspr.engine.casebook.book import Casebook
from cspr.engine.definition import facts as fact_values
from cspr.engine.runtime.case import Case
from cspr.engine.runtime.deadlines import Assessment, DeadlineStatus, calendar_for, statuses
from cspr.engine.runtime.kinds import RecordKind

from . import forms, permissions
from .accounts import User
from .views import api, version_url

PAGE_SIZE = 50
WEEK = 5  # "due this week": within this many working days
VERDICTS = {True: "Holds", False: "Does not hold", None: "Cannot tell yet"}


def case_url(ref: str) -> str:
    return f"/cases/{quote(ref, safe='')}"


# --- the caseload --------------------------------------------------------------------------------------


def caseload_page(book: Casebook, *, stage: str | None = None, state: str | None = None, party: str | None = None,
                  due: str | None = None, page: int = 1) -> dict[str, Any]:
    """Open cases, overdue first then soonest due, with filters; a page of :data:`PAGE_SIZE` at a time."""
    today = book.today
    rows = book.list_cases(state=state or None, stage=stage or None, include_closed=False)
    if party:
        rows = [r for r in rows if r["ref"] in _waiting_on(book, party)]
    horizons: dict[str, dt.date] = {}
    if due == "week":
        horizons = {p["process_id"]: calendar_for(book.definition(p["hash"])).add_working_days(today, WEEK)
                    for p in book.store.processes()}
        rows = [r for r in rows if r["next_due"] and dt.date.fromisoformat(r["next_due"]) <= horizons[r["process_id"]]]
    rows.sort(key=lambda r: (-int(r["overdue"]), r["next_due"] or "9999-12-31", r["ref"]))
    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    filters = {"stage": stage or "", "state": state or "", "party": party or "", "due": due or ""}
    return {
        "today": today, "filters": filters, "total": total, "page": page, "pages": pages,
        "cases": [{
            "ref": r["ref"], "url": case_url(r["ref"]), "process_id": r["process_id"], "version": r["version"],
            "state": r["state"], "state_title": r["state_title"], "stage": r["stage_title"],
            "next_due": r["next_due"], "next_deadline": r["next_deadline"], "overdue": int(r["overdue"]),
            "opened_on": r["opened_on"],
        } for r in shown],
        "choices": _filter_choices(book),
        "previous": _page_url(filters, page - 1) if page > 1 else None,
        "next": _page_url(filters, page + 1) if page < pages else None,
        "counts": book.store.counts(today=today.isoformat()),
    }


def _page_url(filters: dict[str, str], page: int) -> str:
    return "/cases?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": page})


def _waiting_on(book: Casebook, party: str) -> set[str]:
    """Cases with an open deadline owned by ``party`` (a role), or an open task for it (an organisation)."""
    refs = {row["ref"] for row in book.store.deadlines(only_open=True) if party in row["owner"].split(",")}
    refs |= {row["ref"] for row in book.store.tasks(status="open") if party in (row["party"], row["party_role"])}
    return refs


def _filter_choices(book: Casebook) -> dict[str, list[dict[str, str]]]:
    """The stages, states and parties of the processes the cases follow, for the filters."""
    stages: dict[str, str] = {}
    states: dict[str, str] = {}
    parties: dict[str, str] = {}
    for row in book.store.processes():
        d = book.definition(row["hash"])
        stages.update({s.id: s.title for s in d.stages.values()})
        states.update({s.id: s.title for s in d.states.values() if not s.final})
        parties.update({r.id: r.name for r in d.roles.values()})
    return {name: [{"value": k, "label": v} for k, v in choices.items()]
            for name, choices in (("stage", stages), ("state", states), ("party", parties))}


# --- one case -------------------------------------------------------------------------------------------


def deadline(case: Case, a: Assessment) -> dict[str, Any]:
    d, t = case.definition, a.timing
    return {
        "deadline": t.deadline, "title": t.title, "owners": [case.who(r) for r in t.owner if r in d.roles],
        "status": a.status.value, "status_label": a.status.heading, "detail": a.detail,
        "due": t.due, "statutory_due": t.statutory_due or t.due, "agreed_due": t.due if t.extended_by else None,
        "extended_by": d.roles[t.extended_by].name if t.extended_by in d.roles else t.extended_by,
        "met_on": t.met_on, "overdue": a.status is DeadlineStatus.OVERDUE,
    }


def _supplied_by(kind: str) -> str | None:
    """Where on the page a blocker of this kind is dealt with."""
    return {"fact": "#facts", "criterion": "#facts", "signoff": "#sign-offs", "role": None, "state": None}.get(kind)


def case_page(book: Casebook, ref: str, user: User | None) -> dict[str, Any]:
    """Everything the case page shows: where the case stands and what the signed-in user can do next."""
    case = book.load(ref)
    d = case.definition
    today = book.today
    state = d.states[case.state]
    assessed = statuses(case, today)
    steps = []
    for step in case.next_steps():
        event = d.events[step.event]
        roles = permissions.held(user, d, event.by) if user else []
        missing = [f for f in event.requires.facts if case.facts.get(f) is None]
        steps.append({
            "event": step.event, "title": step.title, "ready": step.ready,
            "to": d.states[step.target].title if step.target else "(the case stays where it is)",
            "by": [case.who(r) for r in step.by],
            "blockers": [{"kind": b.kind, "message": b.message, "supplied_by": _supplied_by(b.kind)}
                         for b in step.blockers],
            "form": {"fields": forms.fields(d, missing), "roles": [{"value": r, "label": d.roles[r].name} for r in roles]},
            "may_record": bool(roles), "off_route": case.off_route(step.event),
        })
    wanted = case.signoff_roles_wanted()
    signoffs = []
    for role in [r for r in d.roles if r in wanted or r in case.signoffs]:
        done = case.signoffs.get(role)
        signoffs.append({
            "role": role, "name": case.who(role), "wanted": role in wanted,
            "signed_on": done.on if done else None, "signed_by": done.actor if done else None,
            "may_sign": bool(user and user.holds(role)) and done is None and role in wanted,
        })
    criteria = []
    for criterion_id, verdict in case.criteria().items():
        reasons = verdict.grounds() if verdict.value else verdict.blockers()
        criteria.append({"id": criterion_id, "title": d.criteria[criterion_id].title, "holds": verdict.value,
                         "verdict": VERDICTS[verdict.value], "reasons": reasons})
    facts = [{"id": f.id, "label": f.label, "value": fact_values.to_json(case.facts[f.id]),
              "shown": fact_values.describe_value(f, case.facts[f.id])}
             for f in d.facts.values() if case.facts.get(f.id) is not None]
    writable = [f for f in d.facts if d.facts[f].derive is None]
    recording = permissions.held(user, d, permissions.recording_roles(d)) if user else []
    return {
        "today": today, "ref": case.ref, "url": case_url(case.ref),
        "process": {"id": d.id, "version": d.version, "title": d.title, "url": version_url(d)},
        "state": case.state, "state_title": state.title, "stage": d.stages[state.stage].title, "final": state.final,
        "opened_on": case.opened_on, "redacted": case.redacted,
        "deadlines": [deadline(case, a) for a in assessed],
        "overdue": sum(1 for a in assessed if a.status is DeadlineStatus.OVERDUE),
        "next_steps": steps, "signoffs": signoffs, "criteria": criteria, "facts": facts,
        "facts_form": {"fields": forms.fields(d, writable, case.facts),
                       "roles": [{"value": r, "label": d.roles[r].name} for r in recording]},
        "actions": _actions(book, case), "tasks": _tasks(case),
        "parties": {d.roles[r].name if r in d.roles else r: names for r, names in case.parties.items()},
        "history": [_entry(case, r) for r in case.history],
        "links": {"timeline": case_url(case.ref) + "/timeline.svg", "diagram": case_url(case.ref) + "/diagram.svg",
                  "json": api(case_url(case.ref))},
        "may_write": bool(recording) and not case.redacted,
    }


def _entry(case: Case, r: Any) -> dict[str, Any]:
    d = case.definition
    if r.kind == RecordKind.TRANSITION and r.name in d.events:
        what = d.events[r.name].title
    elif r.kind == RecordKind.SIGNOFF and r.name in d.roles:
        what = f"Sign-off by {case.who(r.name)}"
    else:
        what = r.label().replace("_", " ").capitalize()
    return {"seq": r.seq, "on": r.on, "kind": r.kind, "what": what, "role": d.roles[r.role].name if r.role in d.roles else r.role,
            "actor": r.actor, "recorded_at": r.recorded_at, "note": None if r.redacted else r.note,
            "facts": {} if r.redacted else {d.facts[k].label if k in d.facts else k: v for k, v in r.facts.items()},
            "redacted": r.redacted}


def _actions(book: Casebook, case: Case) -> list[dict[str, Any]]:
    from cspr.engine.casebook.actions import listing

    d = case.definition
    return [{"action": a["action"], "text": a["text"], "owner": d.roles[a["owner"]].name if a["owner"] in d.roles else a["owner"],
             "due": a["due"], "status": a["status"], "overdue": a["overdue"]}
            for a in listing(book, ref=case.ref, status="all")]


def _tasks(case: Case) -> list[dict[str, Any]]:
    return [{"task": task_id, **{k: v for k, v in task.items() if isinstance(v, (str, int, float, bool, type(None), dt.date))}}
            for task_id, task in case.tasks.items()]


def timeline(book: Casebook, ref: str) -> str:
    """The case's dates against its deadlines, as the HTML case report draws them."""
    from cspr.engine.render.htmlreport import case_timeline

    return case_timeline(book.show(ref))
