"""The process as a diagram: Mermaid (renders in GitHub, GitLab, most wikis) or Graphviz DOT.

States are grouped by stage; each transition is labelled with its event and
the roles who may record it; each deadline is a note attached to the states
where the event that meets it can be recorded. The start state is rounded,
end states are drawn double. One state can be highlighted (a case's current
state, in a case report).

Language 2: a step that changes no state is a dotted loop on the states it
may be recorded in (or, when it is possible in every open state, a note); an
off-route step says so on its arrow; a deadline's note says who may extend it
and what pauses it; each kind of task is a note of its own.
"""

from __future__ import annotations

from typing import Any

from .describe import anchor_words, deadline_notes, deadline_words, role_names
from .model import Definition, Event


def _label(d: Definition, event: Event, source: str, newline: str) -> str:
    text = f"{event.id}{newline}by {role_names(d, event.by)}"
    if event.off_route is not None and source in event.off_route.states:
        text += f"{newline}(off route: {event.off_route.words})"
    return text


def _deadline_text(d: Definition, deadline_id: str, newline: str) -> str:
    deadline = d.deadlines[deadline_id]
    return newline.join([f"Deadline: {deadline.title}", deadline_words(d, deadline), *deadline_notes(d, deadline)])


def _task_text(d: Definition, task_id: str, newline: str) -> str:
    task = d.tasks[task_id]
    due = f"due {task.period.words()} after {anchor_words(d, task.anchor)}" if task.period and task.anchor else \
        "due on the date given"
    return newline.join([f"Task: {task.title}", f"one for each {d.roles[task.party].name}, {due}"])


def _anywhere_text(d: Definition, newline: str) -> str:
    events = [e for e in d.events.values() if e.from_any and not e.moves]
    return newline.join(["Recorded in any open state, the case staying where it is:",
                         *(f"{e.id} by {role_names(d, e.by)}" for e in events)])


def graph_data(d: Definition) -> dict[str, Any]:
    """The diagram as data (``cspr graph --json``): states by stage, transitions, and deadline notes."""
    return {
        "id": d.id, "version": d.version, "hash": d.content_hash, "title": d.title,
        "stages": [{"id": stage.id, "title": stage.title,
                    "states": [{"id": s.id, "title": s.title, "initial": s.initial, "final": s.final}
                               for s in d.states.values() if s.stage == stage.id]}
                   for stage in d.stages.values()],
        "transitions": [{"event": e.id, "from": source, "to": e.target or source, "by": list(e.by), "moves": e.moves,
                         "off_route": e.off_route is not None and source in e.off_route.states}
                        for e in d.events.values() for source in e.sources],
        "deadlines": [{"id": x.id, "title": x.title, "text": _deadline_text(d, x.id, "\n"),
                       "states": sorted({s for e in x.met_by for s in d.events[e].sources})}
                      for x in d.deadlines.values()],
    }


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(d: Definition, highlight: str | None = None) -> str:
    lines = [f"%% {d.title} ({d.label}, {d.content_hash[:19]})", "flowchart TD"]
    for number, stage in enumerate(d.stages.values(), 1):
        lines.append(f'  subgraph g_{stage.id}["{number}. {_mermaid_text(stage.title)}"]')
        for state in (s for s in d.states.values() if s.stage == stage.id):
            label = _mermaid_text(state.title)
            if state.initial:
                lines.append(f'    s_{state.id}(["{label}"])')
            elif state.final:
                lines.append(f'    s_{state.id}[["{label}"]]')
            else:
                lines.append(f'    s_{state.id}["{label}"]')
        lines.append("  end")
    for event in d.events.values():
        if event.from_any and not event.moves:
            continue
        for source in event.sources:
            label = _mermaid_text(_label(d, event, source, "<br/>"))
            arrow = "-->" if event.moves else "-.->"
            lines.append(f'  s_{source} {arrow}|"{label}"| s_{event.target or source}')
    if any(e.from_any and not e.moves for e in d.events.values()):
        lines.append(f'  n_anywhere>"{_mermaid_text(_anywhere_text(d, "<br/>"))}"]')
    for deadline in d.deadlines.values():
        lines.append(f'  d_{deadline.id}>"{_mermaid_text(_deadline_text(d, deadline.id, "<br/>"))}"]')
        for source in sorted({s for e in deadline.met_by for s in d.events[e].sources}):
            lines.append(f"  d_{deadline.id} -.- s_{source}")
    for task in d.tasks.values():
        lines.append(f'  t_{task.id}>"{_mermaid_text(_task_text(d, task.id, "<br/>"))}"]')
    lines.append("  classDef deadline fill:#fff8e1,stroke:#f9a825,color:#5d4037")
    notes = [f"d_{x}" for x in d.deadlines] + [f"t_{t}" for t in d.tasks]
    lines.append("  class " + ",".join(notes) + " deadline" if notes else "")
    if highlight and highlight in d.states:
        lines.append("  classDef current fill:#ffd54f,stroke:#d32f2f,stroke-width:3px,color:#000")
        lines.append(f"  class s_{highlight} current")
    return "\n".join(line for line in lines if line) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(d: Definition, highlight: str | None = None) -> str:
    lines = [
        f'digraph "{_dot_text(d.label)}" {{',
        f'  label="{_dot_text(d.title)} ({_dot_text(d.label)})"; labelloc=t; rankdir=TB; compound=true;',
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for number, stage in enumerate(d.stages.values(), 1):
        lines.append(f"  subgraph cluster_{stage.id} {{")
        lines.append(f'    label="{number}. {_dot_text(stage.title)}"; style=dashed;')
        for state in (s for s in d.states.values() if s.stage == stage.id):
            extra = ', style="rounded,bold"' if state.initial else (", peripheries=2" if state.final else "")
            if state.id == highlight:
                extra += ', style="rounded,filled,bold", fillcolor="#ffd54f", color="#d32f2f"'
            lines.append(f'    s_{state.id} [label="{_dot_text(state.title)}"{extra}];')
        lines.append("  }")
    for event in d.events.values():
        if event.from_any and not event.moves:
            continue
        for source in event.sources:
            label = _dot_text(_label(d, event, source, "\n"))
            style = "" if event.moves else ", style=dotted"
            lines.append(f'  s_{source} -> s_{event.target or source} [label="{label}"{style}];')
    if any(e.from_any and not e.moves for e in d.events.values()):
        lines.append(f'  n_anywhere [shape=note, label="{_dot_text(_anywhere_text(d, chr(10)))}"];')
    for deadline in d.deadlines.values():
        text = _dot_text(_deadline_text(d, deadline.id, "\n"))
        lines.append(f'  d_{deadline.id} [shape=note, style=filled, fillcolor="#fff8e1", label="{text}"];')
        for source in sorted({s for e in deadline.met_by for s in d.events[e].sources}):
            lines.append(f"  d_{deadline.id} -> s_{source} [style=dashed, arrowhead=none];")
    for task in d.tasks.values():
        text = _dot_text(_task_text(d, task.id, "\n"))
        lines.append(f'  t_{task.id} [shape=note, style=filled, fillcolor="#fff8e1", label="{text}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
