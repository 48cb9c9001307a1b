"""The process as a diagram: Mermaid (renders in GitHub, GitLab, most wikis) or Graphviz DOT.

States are grouped by stage; each transition is labelled with its event and
the roles who may record it; each deadline is a note attached to the states
where the event that meets it can be recorded. The start state is rounded,
end states are drawn double. One state can be highlighted (a case's current
state, in a case report).
"""

from __future__ import annotations

from .describe import deadline_words, role_names
from .model import Definition


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
        label = _mermaid_text(f"{event.id}<br/>by {role_names(d, event.by)}")
        for source in event.sources:
            lines.append(f'  s_{source} -->|"{label}"| s_{event.target}')
    for deadline in d.deadlines.values():
        text = _mermaid_text(f"Deadline: {deadline.title}<br/>{deadline_words(d, deadline)}")
        lines.append(f'  d_{deadline.id}>"{text}"]')
        for source in sorted({s for e in deadline.met_by for s in d.events[e].sources}):
            lines.append(f"  d_{deadline.id} -.- s_{source}")
    lines.append("  classDef deadline fill:#fff8e1,stroke:#f9a825,color:#5d4037")
    lines.append("  class " + ",".join(f"d_{x}" for x in d.deadlines) + " deadline" if d.deadlines else "")
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
        label = _dot_text(f"{event.id}\nby {role_names(d, event.by)}")
        for source in event.sources:
            lines.append(f'  s_{source} -> s_{event.target} [label="{label}"];')
    for deadline in d.deadlines.values():
        text = _dot_text(f"Deadline: {deadline.title}\n{deadline_words(d, deadline)}")
        lines.append(f'  d_{deadline.id} [shape=note, style=filled, fillcolor="#fff8e1", label="{text}"];')
        for source in sorted({s for e in deadline.met_by for s in d.events[e].sources}):
            lines.append(f"  d_{deadline.id} -> s_{source} [style=dashed, arrowhead=none];")
    lines.append("}")
    return "\n".join(lines) + "\n"
