"""Cases, deadlines and listings as text for a terminal.

Pure functions from engine results to lines; the commands print them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.casebook.book import CaseView
from cspr.engine.definition import facts as fact_values
from cspr.engine.runtime.deadlines import DeadlineStatus
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.text import continued, visible

from .output import Row, plural

# Continuation lines of a multi-line note or fact are indented past the history's columns, so none can
# pose as an entry of its own (entries start "#N" two columns in).
CONTINUATION = " " * 23 + "| "


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """Left-aligned columns, the last one unpadded; every cell one line, its control characters shown."""
    rows = [[visible(str(c)) for c in row] for row in rows]
    header = [visible(str(c)) for c in header]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out: list[str] = []
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True)] + [str(row[-1])]
        out.append(Row("  ".join(cells).rstrip()))
    return out


def case_lines(view: CaseView) -> list[str]:
    case, d = view.case, view.case.definition
    state = d.states[case.state]
    stages = list(d.stages)
    lines = [
        f"{case.ref}: {state.title}" + (" (closed)" if state.final else ""),
        f"  stage    {d.stages[state.stage].title} ({stages.index(state.stage) + 1} of {len(stages)})",
        f"  process  {d.id} {d.version} ({d.content_hash[:19]}…)",
        f"  opened   {case.opened_on.isoformat() if case.opened_on else '?'}",
        f"  today    {view.today.isoformat()}",
    ]
    if case.links:
        lines.append(f"  linked   {', '.join(case.links)}")
    lines += ["", "Deadlines"]
    def owner(roles: tuple[str, ...]) -> str:
        return ", ".join(d.roles[r].name for r in roles)

    rows = []
    for s in view.deadlines:
        due = s.timing.due.isoformat() if s.timing.due and s.status is not DeadlineStatus.NOT_APPLICABLE else "-"
        rows.append([s.status.label, due, s.timing.title, f"{s.detail}; {owner(s.timing.owner)}"])
    lines += ["  " + line for line in table(rows, ["STATUS", "DUE", "DEADLINE", "DETAIL; OWNER"])]
    lines += ["", "Next steps"]
    steps = case.next_steps()
    if not steps:
        lines.append("  none: the case is closed")
    for step in steps:
        who = ", ".join(d.roles[r].name for r in step.by)
        where = d.states[step.target].title if step.target else "(the case stays where it is)"
        lines.append(f"  {step.event}: {step.title} -> {where}")
        lines.append(f"    by {who}: " + ("READY" if step.ready else "blocked"))
        for blocker in step.blockers:
            lines.append(f"    - {blocker.message}")
    if case.tasks:
        lines += ["", "Tasks"]
        rows = [[task["task"], task["status"], str(task["due"] or "-"), task["title"], str(task["party"] or "-")]
                for task in case.tasks.values()]
        lines += ["  " + line for line in table(rows, ["ID", "STATUS", "DUE", "TASK", "PARTY"])]
    if case.signoffs:
        lines += ["", "Signed off for this step"]
        for role, record in case.signoffs.items():
            lines.append(f"  {d.roles[role].name}: {record.on.isoformat()}")
    parties = [[d.roles[role].name if role in d.roles else role, " and ".join(names)]
               for role, names in case.parties.items() if names]
    if parties:
        lines += ["", "Parties"]
        lines += ["  " + line for line in table(parties, ["ROLE", "PARTY"])]
    lines += ["", "Facts"]
    recorded = [f for f in d.facts.values() if f.id in case.facts]
    if not recorded:
        lines.append("  none recorded")
    for fact in recorded:
        lines += continued(f"  {fact.id}: {fact_values.describe_value(fact, case.facts[fact.id])}", CONTINUATION)
    lines += ["", "Criteria"]
    for criterion_id, verdict in case.criteria().items():
        word = {True: "yes", False: "no", None: "?"}[verdict.value]
        title = d.criteria[criterion_id].title
        why = verdict.grounds() if verdict.value else verdict.blockers(case.ref)
        lines.append(f"  {word:<3} {title}" + (f": {'; '.join(why)}" if why and verdict.value is not True else ""))
    lines += ["", "History"]
    for record in case.history:
        lines += ["  " + line for line in history_lines(view, record)]
    return lines


def history_lines(view: CaseView, record: Any) -> list[str]:
    """One record of the history: what happened, then its facts and note, then who typed it."""
    d = view.case.definition
    role = d.roles[record.role].name if record.role in d.roles else record.role
    if record.kind == RecordKind.OPENED:
        what = f"opened under {record.data.get('process_id')} {record.data.get('version')}"
    elif record.kind == RecordKind.TRANSITION:
        title = d.events[record.name].title if record.name in d.events else record.name
        what = f"{record.name}: {title}" + (f" (by {role})" if role else "")
    elif record.kind == RecordKind.SIGNOFF:
        what = f"signed off by {role}"
    elif record.kind == RecordKind.FACTS:
        what = "facts recorded" + (f" (by {role})" if role else "")
    elif record.kind == RecordKind.MIGRATED:
        data = record.data
        how = "its history replayed" if data.get("history_fits") else f"state mapped {data.get('state_before')} -> {data.get('state')}"
        what = f"moved from {data.get('from_version')} to {data.get('to_version')} ({how}); {str(data.get('to_hash'))[:19]}…"
    elif record.kind == RecordKind.REDACTED:
        named = record.data.get("entries")
        count = len(named) if isinstance(named, list) else named
        what = f"redacted: the facts and notes of {plural(count, 'entry', 'entries')} removed; reason: {record.data.get('reason')}"
    else:
        what = record.kind
    if record.redacted:
        what += " [content redacted]"
    lines = continued(f"#{record.seq:<3} {record.on.isoformat()}  {what}", CONTINUATION)
    pad = " " * 17
    if record.facts:
        lines += continued(pad + "facts: " + ", ".join(f"{k}={_json_value(v)}" for k, v in record.facts.items()),
                           CONTINUATION)
    if record.note:
        lines += continued(pad + f'note: "{record.note}"', CONTINUATION)
    lines[-1] += f"  [{visible(record.actor)}, {visible(record.recorded_at)}]"
    return lines


def _json_value(value: Any) -> str:
    if value is None:
        return "(cleared)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "(none)"
    return str(value)


def list_lines(rows: list[dict[str, Any]], today: dt.date) -> list[str]:
    if not rows:
        return ["No cases."]
    body = [
        [r["ref"], r["state"], r["stage_title"], r["next_due"] or "-", str(r["overdue"]) if r["overdue"] else "",
         r["next_deadline"] or ("closed" if r["final"] else "")]
        for r in rows
    ]
    return table(body, ["REF", "STATE", "STAGE", "NEXT DUE", "OVERDUE DEADLINES", "NEXT DEADLINE"]) + [
        f"{len(rows)} case{'s' if len(rows) != 1 else ''} (today {today.isoformat()})"]


def deadline_lines(rows: list[dict[str, Any]], today: dt.date) -> list[str]:
    if not rows:
        return [f"No open deadlines (today {today.isoformat()})."]
    body = [[r["due"], DeadlineStatus(r["status"]).label, r["ref"], r["title"], r["detail"]] for r in rows]
    return table(body, ["DUE", "STATUS", "REF", "DEADLINE", "WHEN (WORKING DAYS)"]) + [
        f"{len(rows)} open deadline{'s' if len(rows) != 1 else ''} (today {today.isoformat()})"]
