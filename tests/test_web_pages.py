"""The definition-only pages (processes, a process version, its editions, the diagram) and their
JSON twins, through `cspr serve` in a subprocess: generated from the definition, so the second
process and a hostile one get the same pages, and every word of a twin is on its page."""

from __future__ import annotations

import html
import itertools
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from cspr.engine.definition.describe import citation_verified
from cspr.engine.definition.diff import diff
from cspr.web.catalog import ProcessCatalog

from .conftest import FIXTURES
from .helpers.web import Browser, ServeProcess, second_version

SAR = FIXTURES / "processes" / "adult_review.yaml"
INJECTION = FIXTURES / "web" / "injection.yaml"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return [SAR, second_version(SAR, tmp_path_factory.mktemp("processes")), INJECTION]


@pytest.fixture(scope="module")
def catalog(files):
    return ProcessCatalog.load(files)


@pytest.fixture(scope="module")
def server(files):
    served = ServeProcess(*itertools.chain.from_iterable(("--process", str(f)) for f in files))
    yield served
    served.stop()


@pytest.fixture
def browser(server):
    return Browser(server.url)


class Page(HTMLParser):
    """A page's visible text and its elements, as a browser's parser sees them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.feed(text)
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.chunks.append(data)


def version_path(d) -> str:
    return f"/processes/{quote(d.id, safe='')}/versions/{quote(d.version, safe='')}"


def strings(value, key=""):
    """Every text a twin carries for people to read (identifiers, addresses and flags left out)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in ("id", "to_id", "source", "url", "json_url", "links", "content_hash", "status", "today",
                         "old", "new", "field", "kind", "section", "item"):
                yield from strings(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, key)
    elif isinstance(value, str) and value:
        yield value


def test_every_version_of_every_process_has_a_page_and_a_twin_that_agree(browser, catalog):
    assert {d.id for d in catalog} == {"cspr_pan_lancashire", "sar_care_act_s44", "injection"}
    for d in catalog:
        page, twin = browser.get(version_path(d)), browser.get("/api" + version_path(d))
        assert page.status == twin.status == 200, d.label
        data = twin.json()
        assert data["process"]["content_hash"] == d.content_hash and data["process"]["version"] == d.version
        assert [x["title"] for x in data["deadlines"]] == [x.title for x in d.deadlines.values()]
        assert [r["name"] for r in data["roles"]] == [r.name for r in d.roles.values()]
        assert [f["label"] for f in data["facts"]] == [f.label for f in d.facts.values()]
        assert [c["title"] for c in data["criteria"]] == [c.title for c in d.criteria.values()]
        assert [s["title"] for stage in data["stages"] for s in stage["states"]] == \
            [s.title for stage in d.stages.values() for s in d.states.values() if s.stage == stage.id]
        shown = Page(page.text).text
        assert d.content_hash in shown
        missing = [s for s in strings(data) if " ".join(s.split()) not in shown]
        assert missing == [], (d.label, missing)
        assert f'<link rel="alternate" type="application/json" href="/api{version_path(d)}">' in page.text


def test_unverified_readings_are_counted_and_marked(browser, catalog):
    for d in catalog:
        cites = [x.cite for section in (d.roles, d.facts, d.criteria, d.stages, d.states, d.events, d.deadlines, d.actions)
                 for x in section.values()] + [d.calendar.cite]
        expected = sum(1 for c in cites if c is not None and not citation_verified(d, c))
        data = browser.get("/api" + version_path(d)).json()
        assert len(data["unverified"]) == expected, d.label
        page = Page(browser.get(version_path(d)).text)
        marks = sum(1 for tag, attrs in page.tags if tag == "strong" and attrs.get("class") == "tag tag--yellow")
        unverified_sources = sum(1 for s in d.sources.values() if not s.verified)
        if expected:
            assert f"{expected} reading" in page.text and "not checked against the source" in page.text
        # each unverified reading is marked where it is used and again in the list at the end
        assert marks >= 2 * expected + unverified_sources


def test_the_pan_lancashire_page_cites_its_deadlines_and_marks_the_unverified_ones(browser, catalog):
    (current,) = [d for d in catalog if d.id == "cspr_pan_lancashire" and d.version == "2025.1"]
    data = browser.get("/api" + version_path(current)).json()
    notification = next(x for x in data["deadlines"] if x["id"] == "serious_incident_notification")
    assert notification["when"].startswith("5 working days after") and notification["citation"]["text"].startswith("Children Act 2004")
    assert any(not x["citation"]["verified"] and x["citation"]["note"] for x in data["deadlines"])


def test_a_process_without_a_version_goes_to_the_one_in_effect(browser):
    reply = browser.get("/processes/cspr_pan_lancashire")
    assert (reply.status, reply.headers["location"]) == (303, "/processes/cspr_pan_lancashire/versions/2025.2")
    reply = browser.get("/api/processes/sar_care_act_s44")
    assert reply.headers["location"] == "/api/processes/sar_care_act_s44/versions/0.1.1"


def test_a_rehearsed_day_chooses_the_version_in_effect_then(files):
    served = ServeProcess("--process", str(SAR), env={"CSPR_TODAY": "2024-06-01"})
    try:
        browser = Browser(served.url)
        # 2023.2 corrects 2023.1 from the same date: the correction is the one in effect
        assert browser.get("/processes/cspr_pan_lancashire").headers["location"].endswith("/versions/2023.2")
        listed = {p["id"]: p["in_effect"] for p in browser.get("/api/processes").json()["processes"]}
        assert listed == {"cspr_pan_lancashire": "2023.2", "sar_care_act_s44": "0.1"}
    finally:
        served.stop()


def test_the_editions_page_shows_the_engine_diff_for_every_pair_of_versions(browser, catalog):
    for process_id in ("cspr_pan_lancashire", "sar_care_act_s44"):
        versions = catalog.versions(process_id)
        for old, new in itertools.permutations(versions, 2):
            query = f"?from={quote(old.version)}&to={quote(new.version)}"
            twin = browser.get(f"/api/processes/{process_id}/editions{query}").json()
            texts = [c["text"] for group in twin["comparison"]["groups"] for c in group["changes"]]
            expected = diff(old, new)
            assert sorted(texts) == sorted(c.text for c in expected) and twin["comparison"]["differences"] == len(expected)
            shown = Page(browser.get(f"/processes/{process_id}/editions{query}").text).text
            assert all(" ".join(t.split()) in shown for t in texts)


def test_the_second_process_gets_the_same_editions_page(browser):
    page = browser.get("/processes/sar_care_act_s44/editions")
    twin = browser.get("/api/processes/sar_care_act_s44/editions").json()
    assert page.status == 200 and twin["choice"] == {"from": "0.1", "to": "0.1.1"}
    changed = [c for g in twin["comparison"]["groups"] for c in g["changes"] if c["section"] == "deadlines"]
    assert len(changed) == 1 and "15 working days" in changed[0]["text"] and "18 working days" in changed[0]["text"]
    assert "Changes from version 0.1 to version 0.1.1" in Page(page.text).text


def test_a_process_with_one_version_says_there_is_nothing_to_compare(browser):
    page = Page(browser.get("/processes/injection/editions").text)
    assert "only one version" in page.text and not any(tag == "select" for tag, _ in page.tags)
    assert browser.get("/api/processes/injection/editions").json()["comparison"] is None


def test_an_unknown_version_in_the_comparison_is_an_error_on_the_form(browser):
    reply = browser.get("/processes/cspr_pan_lancashire/editions?from=1999.9&to=2025.1")
    assert reply.status == 400
    page = Page(reply.text)
    assert "<title>Error: Editions of" in reply.text and "There is a problem" in page.text
    assert ("a", {"href": "#from"}) in page.tags
    select = next(attrs for tag, attrs in page.tags if tag == "select" and attrs["id"] == "from")
    assert select["aria-describedby"] == "from-hint from-error" and "select--error" in select["class"]
    twin = browser.get("/api/processes/cspr_pan_lancashire/editions?from=1999.9&to=2025.1")
    assert twin.status == 400 and twin.json()["errors"] == {"from": "Choose the version to compare from"}


def test_unknown_processes_and_versions_are_not_found(browser):
    for path in ("/processes/nothing", "/processes/cspr_pan_lancashire/versions/9.9", "/processes/nothing/editions"):
        page, twin = browser.get(path), browser.get("/api" + path)
        assert page.status == twin.status == 404
        assert "Page not found" in page.text and twin.json()["error"]["status"] == 404


def test_the_diagram_is_the_engine_svg(browser, catalog):
    for d in catalog:
        reply = browser.get(version_path(d) + "/diagram.svg")
        assert reply.status == 200 and reply.headers["content-type"] == "image/svg+xml"
        text = "".join(ET.fromstring(reply.body).itertext())
        assert all(s.title in text or s.title[:12] in text for s in d.states.values())


PAYLOADS = ["<script>document.title='pwned-1'</script>", "\"'><img src=x onerror=\"document.title='pwned-2'\">",
            "</title><script>document.title='pwned-3'</script>", "{{ 7*7 }}",
            "<a href=\"javascript:document.title='pwned-5'\">click</a>", "</td></tr></table><h1>forged</h1>"]


@pytest.mark.parametrize("path", ["/processes", "/processes/injection/versions/1.0", "/processes/injection/editions"])
def test_the_injection_corpus_renders_as_text(browser, path):
    reply = browser.get(path)
    page = Page(reply.text)
    assert reply.status == 200
    assert not [tag for tag, _ in page.tags if tag in ("script", "style", "iframe", "svg", "object", "embed", "h1")][1:]
    assert [attrs for tag, attrs in page.tags if tag == "h1"] == [{"class": "heading-xl"}]  # the page's own heading only
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name.lower().startswith("on")]
    assert not [attrs for tag, attrs in page.tags if any("javascript:" in (v or "") for v in attrs.values())]
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert all(src.startswith("/processes/") and src.endswith("/diagram.svg") for src in images)
    assert "Process <script>" in page.text  # shown, as text
    if path != "/processes":
        twin = browser.get("/api" + path).json()
        assert twin["process"]["title"] == "Process <script>document.title='pwned-1'</script>"


def test_every_payload_reaches_the_page_as_text_and_the_twin_unchanged(browser):
    reply = browser.get("/processes/injection/versions/1.0")
    shown = Page(reply.text).text
    twin_text = browser.get("/api/processes/injection/versions/1.0").text
    for payload in PAYLOADS:
        assert payload in html.unescape(shown) or payload in shown, payload
        assert payload.replace('"', '\\"') in twin_text, payload


def test_the_injection_diagram_is_inert(browser):
    svg = ET.fromstring(browser.get("/processes/injection/versions/1.0/diagram.svg").body)
    assert not [el for el in svg.iter() if el.tag.split("}")[-1] in ("script", "foreignObject", "image", "a")]
    assert not [name for el in svg.iter() for name in el.attrib if name.lower().startswith("on")]
