"""Reports to read: one case, or the whole open caseload, as one self-contained HTML file.

No scripts, no external fonts, styles or images: the files open offline, can
be emailed, and print on A4. Diagrams are inline SVG (:mod:`cspr.engine.render.svg`).
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.runtime.deadlines import DeadlineStatus
from cspr.engine.runtime.kinds import ActionStatus, RecordKind

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 0 auto;
       max-width: 190mm; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; border-bottom: 1.5px solid #444; padding-bottom: 1mm; break-after: avoid; }
p.meta { margin: 0 0 1mm; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
th, td { border: 1px solid #bbb; padding: 1.2mm 1.8mm; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: 600; }
tr { break-inside: avoid; }
.status { font-weight: 600; white-space: nowrap; }
.overdue { color: #b00020; } .due_soon { color: #8a5a00; } .met_late { color: #8a5a00; }
.met, .done { color: #1b5e20; } .not_applicable, .not_started, .dropped { color: #666; }
.hash { font-family: Consolas, "Courier New", monospace; font-size: 7.5pt; word-break: break-all; color: #444; }
.small { font-size: 9pt; color: #444; }
.date { white-space: nowrap; }
.figure { break-inside: avoid; margin: 2mm 0 4mm; }
.figure svg { width: 100%; height: auto; }
ul { margin: 1mm 0 2mm 5mm; padding: 0; }
.banner { border: 2px solid #b00020; padding: 2mm 3mm; margin: 3mm 0; }
footer { margin-top: 8mm; font-size: 8.5pt; color: #555; border-top: 1px solid #bbb; padding-top: 2mm; }
"""


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def _status(status: DeadlineStatus | ActionStatus) -> str:
    return f'<span class="status {escape(status.value)}">{escape(status.heading)}</span>'


def _date(value: Any) -> str:
    if value is None:
        return "–"
    text = escape(value.isoformat() if isinstance(value, dt.date) else str(value))
    return f'<span class="date">{text}</span>'



def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _deadline_rows(definition: Any, deadlines: list[Any]) -> list[list[str]]:
    rows = []
    for s in deadlines:
        t = s.timing
        owners = ", ".join(definition.roles[r].name for r in t.owner)
        due = t.due if s.status is not DeadlineStatus.NOT_APPLICABLE else None
        rows.append([escape(t.title), _date(due), _status(s.status), escape(s.detail), escape(owners)])
    return rows


def case_report(view: Any, actions: list[dict[str, Any]], entries: list[dict[str, Any]], generated: dt.datetime) -> str:
    """One case: stage, deadlines, timeline, process diagram, next steps, facts, criteria, actions, history."""
    from .svg import process_svg, timeline_svg

    case, d, today = view.case, view.case.definition, view.today
    state = d.states[case.state]
    body = [f"<h1>Case {escape(case.ref)}</h1>",
            f'<p class="meta"><strong>{escape(state.title)}</strong> &middot; stage: {escape(d.stages[state.stage].title)}'
            + (" &middot; closed" if state.final else "") + "</p>",
            f'<p class="meta">Process {escape(d.title)}, version {escape(d.version)} ({escape(d.edition)})</p>',
            f'<p class="meta small">Opened {_date(case.opened_on)} &middot; as on {_date(today)} &middot; '
            f'process hash <span class="hash">{escape(d.content_hash)}</span></p>']
    overdue = [s for s in view.deadlines if s.status is DeadlineStatus.OVERDUE]
    if overdue:
        items = "".join(f"<li>{escape(s.timing.title)}: due {_date(s.timing.due)}</li>" for s in overdue)
        body.append(f'<div class="banner"><strong>Overdue</strong><ul>{items}</ul></div>')
    body += ["<h2>Deadlines</h2>",
             _table(["Deadline", "Due", "Status", "Detail", "Owner"], _deadline_rows(d, view.deadlines))]
    events = [(r.on, r.name if r.kind == RecordKind.TRANSITION else r.kind) for r in case.history
              if r.kind in (RecordKind.OPENED, RecordKind.TRANSITION, RecordKind.MIGRATED)]
    lane = [{"title": s.timing.title, "due": s.timing.due, "met_on": s.timing.met_on, "status": s.status}
            for s in view.deadlines]
    dates = [e[0] for e in events] + [x for s in view.deadlines for x in (s.timing.due, s.timing.met_on) if x] + [today]
    start = case.opened_on or min(dates)
    body += ["<h2>Timeline</h2>", f'<div class="figure">{timeline_svg(start, max(dates), today, events, lane)}</div>',
             "<h2>Where the case stands in the process</h2>",
             f'<div class="figure">{process_svg(d, highlight=case.state)}</div>']
    steps = case.next_steps()
    body.append("<h2>Next steps</h2>")
    if not steps:
        body.append("<p>None: the case is closed.</p>")
    for step in steps:
        who = ", ".join(d.roles[r].name for r in step.by)
        reasons = "".join(f"<li>{escape(b.message)}</li>" for b in step.blockers)
        body.append(f"<p><strong>{escape(step.title)}</strong> ({escape(step.event)}), recorded by {escape(who)}: "
                    + ("ready</p>" if step.ready else f"blocked</p><ul>{reasons}</ul>"))
    fact_rows = [[escape(f.label), escape(fact_values.describe_value(f, case.facts[f.id]))]
                 for f in d.facts.values() if f.id in case.facts]
    body += ["<h2>Facts</h2>", _table(["Fact", "Value"], fact_rows) if fact_rows else "<p>None recorded.</p>"]
    criteria_rows = []
    for criterion_id, verdict in case.criteria().items():
        word = {True: "Holds", False: "Does not hold", None: "Cannot tell yet"}[verdict.value]
        why = verdict.grounds() if verdict.value else verdict.blockers()
        criteria_rows.append([escape(d.criteria[criterion_id].title), escape(word), escape("; ".join(why))])
    body += ["<h2>Criteria</h2>", _table(["Criterion", "Result", "Because"], criteria_rows)]
    action_rows = [[escape(a["action"]), escape(a["text"] or "(redacted)"), escape(d.roles[a["owner"]].name if a["owner"] in d.roles else a["owner"]),
                    _date(a["due"]), _status(ActionStatus.on(a["status"], a["due"], today))] for a in actions]
    body += ["<h2>Agreed actions</h2>",
             _table(["Id", "Action", "Owner", "Due", "Status"], action_rows) if action_rows else "<p>None.</p>"]
    history_rows = []
    for entry in entries:
        what = entry["name"] or entry["kind"]
        history_rows.append([str(entry["seq"]), _date(entry["on_date"]), escape(what), escape(entry["role"] or ""),
                             escape(entry["actor"]), escape((entry["note"] or "") if not entry["redacted"] else "(redacted)"),
                             f'<span class="hash">{escape(entry["hash"])}</span>'])
    body += ["<h2>History</h2>", _table(["#", "On", "What", "Role", "Recorded by", "Note", "Hash"], history_rows),
             f"<footer>Generated {escape(generated.isoformat(timespec='seconds'))} by cspr. The hashes let anyone check "
             "this history: see 'cspr audit export'.</footer>"]
    return _page(f"Case {case.ref}", body)


def overview_report(data: dict[str, Any], actions: list[dict[str, Any]], generated: dt.datetime) -> str:
    """All open cases: what is overdue, what is due this week, and who each case waits on."""
    today = data["today"]
    cases = data["cases"]
    overdue_cases = [c for c in cases if c["overdue"]]
    body = ["<h1>Open cases</h1>",
            f'<p class="meta">As on {_date(today)}: {len(cases)} open case{"s" if len(cases) != 1 else ""}, '
            f'{len(overdue_cases)} with an overdue deadline, '
            f'{sum(1 for c in cases if c["due_this_week"])} with a deadline due within {data["week_working_days"]} working days, '
            f'{sum(1 for a in actions if a["overdue"])} overdue action{"" if sum(1 for a in actions if a["overdue"]) == 1 else "s"}.</p>']
    rows = []
    for c in cases:
        overdue = "<br>".join(f'{escape(x["title"])} ({_date(x["due"])})' for x in c["overdue"]) or "–"
        soon = "<br>".join(f'{escape(x["title"])} ({_date(x["due"])})' for x in c["due_this_week"]) or "–"
        waiting = "<br>".join(f"<strong>{escape(who)}</strong>: {escape('; '.join(what))}"
                              for who, what in c["waiting_on"].items()) or "–"
        rows.append([f'<span class="date">{escape(c["ref"])}</span>', escape(c["state_title"]), overdue, soon, waiting])
    body += ["<h2>Cases</h2>", _table(["Case", "Where it stands", "Overdue", "Due this week", "Waiting on"], rows)]
    due_actions = [a for a in actions if a["overdue"]]
    if due_actions:
        body += ["<h2>Overdue actions</h2>",
                 _table(["Case", "Id", "Action", "Owner", "Due"],
                        [[escape(a["ref"]), escape(a["action"]), escape(a["text"] or ""), escape(a["owner"]),
                          _date(a["due"])] for a in due_actions])]
    body.append(f"<footer>Generated {escape(generated.isoformat(timespec='seconds'))} by cspr.</footer>")
    return _page(f"Open cases on {today}", body)
