"""The inline SVG diagrams: well-formed, complete, escaped, self-contained, and laid out sanely."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from cspr.engine.definition.catalog import resolve
from cspr.engine.definition.loader import load_text
from cspr.engine.render.svg import process_svg, timeline_svg, truncate, wrap

from .conftest import FIXTURES, ROOT

NS = "{http://www.w3.org/2000/svg}"
D = dt.date
HOSTILE = '<&>"\''


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def find_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in classes(el)]


def joined(text_el: ET.Element) -> str:
    return " ".join((t.text or "") for t in text_el.iter(f"{NS}tspan"))


def all_definitions():
    files = sorted((ROOT / "processes").rglob("*.yaml")) + sorted((FIXTURES / "processes").glob("*.yaml")) \
        + [FIXTURES / "minimal.yaml", FIXTURES / "every_key.yaml"]
    return [load_text(f.read_text(), str(f)) for f in files]


@pytest.fixture(scope="module")
def pan():
    return resolve("cspr_pan_lancashire@2025.1")


@pytest.fixture
def hostile(minimal_text):
    quoted = json.dumps  # a JSON string is a YAML double-quoted scalar
    text = (minimal_text
            .replace("title: Minimal process", f"title: {quoted(f'Process {HOSTILE}')}")
            .replace("title: The only stage", f"title: {quoted(f'Stage {HOSTILE} one')}")
            .replace("    title: Open\n", f"    title: {quoted(f'Open {HOSTILE} state')}\n")
            .replace("title: Finished", f"title: {quoted(f'Finished {HOSTILE}')}"))
    definition = load_text(text)
    assert definition.states["open"].title == f"Open {HOSTILE} state"
    return definition


def sample_timeline(**overrides):
    args = {
        "start": D(2025, 1, 1), "end": D(2025, 9, 30), "today": D(2025, 5, 12),
        "events": [(D(2025, 1, 6), "Opened"), (D(2025, 1, 7), "Second"), (D(2025, 1, 7), "Same day"),
                (D(2025, 3, 20), "Later"), (D(2025, 9, 29), "Near the right-hand end of the axis")],
        "deadlines": [
            {"title": "Met on time", "due": D(2025, 1, 17), "met_on": D(2025, 1, 15), "status": "met"},
            {"title": "Met late", "due": D(2025, 3, 3), "met_on": D(2025, 3, 20), "status": "met_late"},
            {"title": "Overdue", "due": D(2025, 4, 1), "met_on": None, "status": "overdue"},
            {"title": "Due soon", "due": D(2025, 5, 20), "met_on": None, "status": "due_soon"},
            {"title": "Upcoming", "due": D(2025, 8, 1), "met_on": None, "status": "upcoming"},
            {"title": "No due date", "due": None, "met_on": None, "status": "not_started"},
        ],
    }
    args.update(overrides)
    return timeline_svg(**args)


# --- helpers -----------------------------------------------------------------


def test_wrap_keeps_every_word_and_fits_the_width():
    text = "Final report to be sent to the Panel and the Secretary of State"
    lines = wrap(text, 100, 12)
    limit = int(100 // (0.55 * 12))
    assert " ".join(lines) == text
    assert all(len(line) <= limit for line in lines) and len(lines) > 1


def test_wrap_cuts_a_word_too_long_for_a_line():
    lines = wrap("a " + "x" * 40 + " b", 60, 10)
    assert all(len(line) <= 10 for line in lines)
    assert "".join(lines).replace(" ", "") == "a" + "x" * 40 + "b"
    assert wrap("", 60, 10) == [""]


def test_truncate_adds_an_ellipsis_only_when_needed():
    assert truncate("short", 200, 10) == "short"
    cut = truncate("a rather long title that will not fit", 60, 10)
    assert cut.endswith("\u2026") and len(cut) <= 10


# --- the process -------------------------------------------------------------


def test_process_is_well_formed_and_names_every_stage_and_state(pan):
    root = parse(process_svg(pan))
    heads = [" ".join(joined(t).split()) for g in find_class(root, "cspr-stage") for t in g.iter(f"{NS}text")]
    for number, stage in enumerate(pan.stages.values(), 1):
        assert f"{number}. {stage.title}" in heads
    boxes = {g.get("data-state"): g for g in find_class(root, "cspr-state")}
    assert set(boxes) == set(pan.states)
    for state in pan.states.values():
        (title,) = find_class(boxes[state.id], "cspr-state-title")
        assert joined(title) == state.title


@pytest.mark.parametrize("definition", all_definitions(), ids=lambda d: f"{d.id}@{d.version}")
def test_one_arrow_per_source_and_event(definition):
    root = parse(process_svg(definition))
    drawn = Counter((g.get("data-source"), g.get("data-event")) for g in find_class(root, "cspr-transition"))
    wanted = Counter((s, e.id) for e in definition.events.values() for s in e.sources)
    assert drawn == wanted
    markers = {m.get("id") for m in root.iter(f"{NS}marker")}
    for g in find_class(root, "cspr-transition"):
        (edge,) = find_class(g, "cspr-edge")
        assert edge.get("marker-end")[5:-1] in markers
        target = g.get("data-target")
        # a step that changes no state is drawn as an arrow back to the state it is recorded in
        assert target == (definition.events[g.get("data-event")].target or g.get("data-source"))


def _points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=False))


@pytest.mark.parametrize("definition", all_definitions(), ids=lambda d: f"{d.id}@{d.version}")
def test_arrows_never_run_through_a_box(definition):
    root = parse(process_svg(definition))
    boxes = {}
    for g in find_class(root, "cspr-state"):
        rect = g.find(f"{NS}rect")
        boxes[g.get("data-state")] = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
    for g in find_class(root, "cspr-transition"):
        (edge,) = find_class(g, "cspr-edge")
        points = _points(edge.get("d"))
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            for step in range(1, 20):
                px, py = ax + (bx - ax) * step / 20, ay + (by - ay) * step / 20
                for state, (x, y, w, h) in boxes.items():
                    inside = x + 1.5 < px < x + w - 1.5 and y + 1.5 < py < y + h - 1.5
                    assert not inside, f"{g.get('data-event')} runs through {state}"
        # It starts on the source box and ends on the target box.
        for state, (px, py) in ((g.get("data-source"), points[0]), (g.get("data-target"), points[-1])):
            x, y, w, h = boxes[state]
            assert x - 0.5 <= px <= x + w + 0.5 and y - 0.5 <= py <= y + h + 0.5


def test_the_current_state_is_marked_and_only_it(pan):
    root = parse(process_svg(pan, highlight="awaiting_panel"))
    current = find_class(root, "cspr-current")
    assert [g.get("data-state") for g in current] == ["awaiting_panel"]
    labels = find_class(current[0], "cspr-current-label")
    assert labels and "CURRENT" in "".join(labels[0].itertext())
    rect = current[0].find(f"{NS}rect")
    assert float(rect.get("stroke-width")) >= 3 and rect.get("fill") != "#fff"

    plain = parse(process_svg(pan))
    assert not find_class(plain, "cspr-current") and not find_class(plain, "cspr-current-label")
    assert not find_class(parse(process_svg(pan, highlight="no_such_state")), "cspr-current")


def test_start_and_end_states_are_marked(pan):
    root = parse(process_svg(pan))
    initial = [g.get("data-state") for g in find_class(root, "cspr-initial")]
    final = {g.get("data-state") for g in find_class(root, "cspr-final")}
    assert initial == [pan.initial_state.id]
    assert final == {s.id for s in pan.states.values() if s.final}
    for g in find_class(root, "cspr-final"):
        assert len(g.findall(f"{NS}rect")) >= 2  # the double border


def test_titles_are_escaped(hostile):
    svg = process_svg(hostile, highlight="open")
    assert HOSTILE not in svg
    assert "&lt;&amp;&gt;&quot;&#39;" in svg
    root = parse(svg)
    texts = ["".join(t.itertext()) for t in root.iter(f"{NS}text")]
    assert any(HOSTILE in text for text in texts)
    assert f"Process {HOSTILE}" in root.find(f"{NS}title").text
    (box,) = [g for g in find_class(root, "cspr-state") if g.get("data-state") == "open"]
    assert joined(find_class(box, "cspr-state-title")[0]) == f"Open {HOSTILE} state"
    (edge,) = find_class(root, "cspr-transition")
    assert f"Finished {HOSTILE}" in edge.find(f"{NS}title").text

    timeline = timeline_svg(D(2025, 1, 1), D(2025, 2, 1), D(2025, 1, 10), [(D(2025, 1, 5), f"Event {HOSTILE}")],
                            [{"title": f"Deadline {HOSTILE}", "due": D(2025, 1, 20), "met_on": None,
                              "status": "upcoming"}])
    assert HOSTILE not in timeline
    text = "".join(parse(timeline).itertext())
    assert f"Event {HOSTILE}" in text and f"Deadline {HOSTILE}" in text


def _assert_self_contained(svg: str) -> None:
    body = svg.replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
    assert "http" not in body.lower()
    assert "href" not in body.lower() or all(h.startswith("#cspr-") for h in re.findall(r'href="([^"]*)"', body))
    for tag in ("<image", "<script", "<foreignObject", "<style", "@import", "<a "):
        assert tag.lower() not in body.lower()
    root = parse(svg)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids and len(ids) == len(set(ids)) and all(i.startswith("cspr-") for i in ids)
    for ref in re.findall(r"url\(([^)]*)\)", body):
        assert ref.startswith("#cspr-") and ref[1:] in ids


def test_both_are_self_contained_with_prefixed_unique_ids(pan):
    _assert_self_contained(process_svg(pan, highlight="awaiting_panel"))
    _assert_self_contained(sample_timeline())


def test_two_diagrams_on_one_page_share_no_id(pan):
    svgs = [process_svg(pan), process_svg(pan, highlight="awaiting_panel"), sample_timeline(),
            sample_timeline(today=D(2025, 6, 1)), process_svg(pan, id_prefix="appendix")]
    seen: set[str] = set()
    for svg in svgs:
        ids = {el.get("id") for el in parse(svg).iter() if el.get("id")}
        assert not ids & seen
        seen |= ids
    assert parse(svgs[-1]).get("id") == "cspr-appendix"


def test_the_drawing_scales_to_the_page(pan):
    for svg in (process_svg(pan), sample_timeline()):
        root = parse(svg)
        assert root.get("width") == "100%" and root.get("height") is None
        x, y, w, h = (float(v) for v in root.get("viewBox").split())
        assert (x, y) == (0, 0) and w > 0 and h > 0


# --- the timeline ------------------------------------------------------------


def _axis(root: ET.Element) -> tuple[float, float]:
    (axis,) = find_class(root, "cspr-axis")
    return float(axis.get("x1")), float(axis.get("x2"))


def _marker_x(g: ET.Element) -> float:
    shape = next(iter(g))
    if shape.tag == f"{NS}circle":
        return float(shape.get("cx"))
    if shape.tag == f"{NS}rect":
        return float(shape.get("x")) + float(shape.get("width")) / 2
    return _points(shape.get("d"))[0][0]  # a diamond starts at its top point


def test_timeline_places_events_and_deadlines_on_the_axis():
    root = parse(sample_timeline())
    lo, hi = _axis(root)
    dots = [float(c.get("cx")) for c in find_class(root, "cspr-event-dot")]
    assert len(dots) == 5 and all(lo <= x <= hi for x in dots) and dots == sorted(dots, reverse=True)
    lanes = find_class(root, "cspr-deadline")
    assert [g.get("data-status") for g in lanes] == ["met", "met_late", "overdue", "due_soon", "upcoming"]
    for g in lanes:
        for marker in find_class(g, "cspr-due") + find_class(g, "cspr-met"):
            assert lo <= _marker_x(marker) <= hi
    by_status = {g.get("data-status"): g for g in lanes}
    assert len(find_class(by_status["met"], "cspr-met")) == 1
    assert find_class(by_status["met_late"], "cspr-late-line")
    assert find_class(by_status["overdue"], "cspr-overdue-line")
    (today,) = find_class(root, "cspr-today-line")
    assert lo < float(today.get("x1")) < hi
    # Due dates run left to right in date order.
    xs = [_marker_x(find_class(g, "cspr-due")[0]) for g in lanes]
    assert xs == sorted(xs)
    assert "1 deadline has no due date" in "".join(root.itertext())


def test_timeline_labels_every_event_and_deadline():
    root = parse(sample_timeline())
    text = "".join(root.itertext())
    for label in ("Opened", "Second", "Same day", "Later", "Met on time", "Overdue", "Due soon", "Today"):
        assert label in text
    assert "No due date" not in [joined(t) for t in find_class(root, "cspr-deadline-title")]


def test_timeline_shows_month_ticks():
    text = "".join(parse(sample_timeline()).itertext())
    for month in ("Jan 2025", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"):
        assert month in text


def test_timeline_with_nothing_to_show():
    root = parse(timeline_svg(D(2025, 1, 1), D(2025, 3, 1), D(2025, 2, 1), [], []))
    assert not find_class(root, "cspr-event") and not find_class(root, "cspr-deadline")
    assert "No events or deadlines" in "".join(root.itertext())


def test_timeline_of_one_day_and_of_a_reversed_range():
    day = D(2025, 3, 3)
    root = parse(timeline_svg(day, day, day, [(day, "Opened")],
                              [{"title": "Today's", "due": day, "met_on": None, "status": "due_soon"}]))
    lo, hi = _axis(root)
    assert hi > lo
    (dot,) = find_class(root, "cspr-event-dot")
    assert lo <= float(dot.get("cx")) <= hi
    (due,) = find_class(root, "cspr-due")
    assert lo <= _marker_x(due) <= hi
    parse(timeline_svg(D(2025, 3, 1), D(2025, 1, 1), D(2025, 2, 1), [(D(2025, 2, 1), "x")], []))


def test_timeline_keeps_dates_outside_the_range_on_the_axis():
    root = parse(timeline_svg(D(2025, 1, 1), D(2025, 2, 1), D(2026, 1, 1),
                              [(D(2024, 6, 1), "Before"), (D(2025, 6, 1), "After")],
                              [{"title": "Long ago", "due": D(2020, 1, 1), "met_on": D(2030, 1, 1),
                                "status": "met_late"},
                               {"title": "Overdue", "due": D(2024, 1, 1), "met_on": None, "status": "overdue"}]))
    lo, hi = _axis(root)
    for dot in find_class(root, "cspr-event-dot"):
        assert lo <= float(dot.get("cx")) <= hi
    for marker in find_class(root, "cspr-due") + find_class(root, "cspr-met"):
        assert lo <= _marker_x(marker) <= hi
    for line in find_class(root, "cspr-late-line") + find_class(root, "cspr-overdue-line"):
        assert lo <= float(line.get("x1")) <= hi and lo <= float(line.get("x2")) <= hi
    assert not find_class(root, "cspr-today-line")  # today is after the range


def test_timeline_skips_deadlines_without_a_due_date():
    root = parse(sample_timeline(deadlines=[
        {"title": "A", "due": None, "met_on": None, "status": "not_started"},
        {"title": "B", "due": None, "met_on": None, "status": "not_applicable"},
    ]))
    assert not find_class(root, "cspr-deadline")
    assert "2 deadlines have no due date" in "".join(root.itertext())


def test_long_titles_are_cut_with_the_full_text_on_hover():
    long = "A very long deadline title " * 6
    root = parse(sample_timeline(
        events=[(D(2025, 2, 1), long)],
        deadlines=[{"title": long, "due": D(2025, 3, 1), "met_on": None, "status": "upcoming"}]))
    (lane,) = find_class(root, "cspr-deadline")
    shown = joined(find_class(lane, "cspr-deadline-title")[0])
    assert shown.endswith("\u2026") and len(shown) < len(long)
    assert long.strip() in lane.find(f"{NS}title").text
    (event,) = find_class(root, "cspr-event")
    assert "\u2026" in "".join(event.find(f"{NS}text").itertext())
    assert long.strip() in event.find(f"{NS}title").text


def test_every_status_draws(tmp_path: Path):
    statuses = ["upcoming", "due_soon", "overdue", "met", "met_late", "not_started", "not_applicable"]
    deadlines = [{"title": s, "due": D(2025, 4, 1), "met_on": D(2025, 4, 5) if s.startswith("met") else None,
                  "status": s} for s in statuses]
    root = parse(sample_timeline(deadlines=deadlines))
    assert [g.get("data-status") for g in find_class(root, "cspr-deadline")] == statuses
