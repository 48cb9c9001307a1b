"""The case pages through the real server: the caseload (overdue first, filters, due this week), one case
with its deadlines, steps, sign-offs and history, forms generated from the definition (a second, unrelated
process gets the same pages), reports with their downloads, and each page's JSON twin."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from .conftest import FIXTURES
from .helpers.web import PASSWORD, Browser, ThreadServer, add_users, case_app, csrf_from, post_json, signed_in

SAR = FIXTURES / "processes" / "adult_review.yaml"
TODAY = dt.date.today()


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("cases") / "cases.db")
    add_users(db)
    add_users(db, {"sar.referrer": (("sab_referrer",), None)}, files=(SAR,))
    server = ThreadServer(case_app(db, files=(SAR,)))
    lsbu, token = signed_in(server.url, "lsbu.officer")
    # An overdue case (aware 30 days ago: its 5-working-day notification deadline has passed) and a new one.
    for ref, days in (("LSBU-2026-501", 30), ("LSBU-2026-502", 1)):
        reply = post_json(lsbu, "/api/cases", token, {"ref": ref, "process": "cspr_pan_lancashire", "opened_on": ago(days),
                                                      "role": "lsbu", "fact.harm": "died", "fact.abuse_or_neglect": "known",
                                                      "fact.care_leaver": "no"})
        assert reply.status == 201, reply.text
    yield server, db
    server.stop()


def test_the_caseload_puts_overdue_cases_first_in_red(site):
    server, _ = site
    browser, _ = signed_in(server.url, "auditor")
    data = browser.get("/api/cases").json()
    refs = [c["ref"] for c in data["cases"]]
    assert refs.index("LSBU-2026-501") < refs.index("LSBU-2026-502")
    late = next(c for c in data["cases"] if c["ref"] == "LSBU-2026-501")
    assert late["overdue"] >= 1 and late["state"] == "referral"
    page = browser.get("/cases").text
    assert 'class="table__row--overdue"' in page and 'tag tag--red">1 overdue' in page
    assert browser.get("/api/cases?state=referral_received").json()["total"] == 0
    assert browser.get("/api/cases?stage=referral").json()["total"] >= 2
    owners = browser.get("/api/cases?party=local_authority").json()
    assert "LSBU-2026-501" in [c["ref"] for c in owners["cases"]]
    assert browser.get("/api/cases?party=reviewer").json()["total"] == 0
    week = [c["ref"] for c in browser.get("/api/cases?due=week").json()["cases"]]
    assert "LSBU-2026-502" in week


def test_the_case_page_shows_where_the_case_stands(site):
    server, _ = site
    browser, _ = signed_in(server.url, "icb.officer")
    data = browser.get("/api/cases/LSBU-2026-501").json()
    notification = next(x for x in data["deadlines"] if x["status"] == "overdue")
    assert notification["status_label"] == "Overdue" and notification["statutory_due"] == notification["due"]
    assert [e["actor"] for e in data["history"]] == ["lsbu.officer"]
    step = data["next_steps"][0]
    assert step["blockers"] and not step["may_record"]  # the ICB does not record referrals
    page = browser.get("/cases/LSBU-2026-501")
    assert page.status == 200 and "Overdue" in page.text and "lsbu.officer" in page.text
    assert browser.get("/cases/LSBU-2026-501/timeline.svg").headers["content-type"] == "image/svg+xml"
    assert browser.get("/cases/LSBU-2026-501/diagram.svg").text.startswith("<svg")
    assert browser.get("/cases/NO-SUCH").status == 404


def test_forms_come_from_the_definition_for_a_second_process(site):
    """The adult review process, unrelated to the child one: its facts become inputs, with no code change."""
    server, _ = site
    browser, token = signed_in(server.url, "sar.referrer")
    form = browser.get("/cases/new").text
    assert 'name="fact.adult_outcome" type="radio" value="adult_died"' in form
    opened = browser.post("/cases", form={"csrf_token": token, "process": "sar_care_act_s44", "ref": "SAR-2026-07",
                                          "opened_on": ago(3), "fact.adult_outcome": "adult_died"})
    assert opened.status == 303 and opened.headers["location"] == "/cases/SAR-2026-07"
    page = browser.get("/cases/SAR-2026-07").text
    assert "Case SAR-2026-07 opened" in page  # the flash, once
    assert 'name="fact.has_care_support_needs" type="radio" value="yes"' in page
    recorded = browser.post("/cases/SAR-2026-07/events", form={
        "csrf_token": csrf_from(browser.get("/cases/SAR-2026-07")), "event": "sar_referral_made", "on": ago(2),
        "fact.has_care_support_needs": "yes"})
    assert recorded.status == 303
    data = browser.get("/api/cases/SAR-2026-07").json()
    assert data["state"] == "subgroup_screening" and data["history"][-1]["actor"] == "sar.referrer"


def test_a_wrong_value_is_refused_with_the_engines_words(site):
    server, db = site
    browser, token = signed_in(server.url, "lsbu.officer")
    reply = post_json(browser, "/api/cases/LSBU-2026-502/facts", token, {"fact.children_count": "nine", "role": "lsbu"})
    assert reply.status == 400 and reply.json()["error"]["message"] == "fact 'children_count' is a whole number, not 'nine'"
    future = post_json(browser, "/api/cases/LSBU-2026-502/notes", token,
                       {"note": "x", "role": "lsbu", "on": (TODAY + dt.timedelta(days=3)).isoformat()})
    assert future.status == 400 and "in the future" in future.json()["error"]["message"]


def test_reports_and_their_downloads(site):
    server, _ = site
    browser, _ = signed_in(server.url, "auditor")
    data = browser.get("/api/reports").json()
    assert data["counts"]["overdue"] >= 1 and any(r["overdue"] for r in data["timeliness"])
    assert browser.get("/reports?by=quarter").status == 200
    sheet = browser.get("/reports/deadlines.csv")
    assert sheet.headers["content-disposition"] == 'attachment; filename="deadlines.csv"'
    rows = list(csv.DictReader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    late = [r for r in rows if r["ref"] == "LSBU-2026-501" and r["status"] == "overdue"]
    assert len(late) == 1 and late[0]["due"] < TODAY.isoformat()
    calendar = browser.get("/reports/deadlines.ics")
    assert calendar.text.startswith("BEGIN:VCALENDAR") and "LSBU-2026-501" in calendar.text
    assert browser.get("/reports/secrets.csv").status == 404


def test_users_page_for_admins(site):
    server, _ = site
    admin, token = signed_in(server.url, "admin")
    listed = admin.get("/api/users").json()["users"]
    assert {"name": "icb.officer", "roles": ["icb"], "party": "Lancashire and South Cumbria Integrated Care Board", "disabled": False} in listed
    assert all("password" not in str(u) for u in listed)
    added = admin.post("/users", form={"csrf_token": token, "name": "ofsted.inspector", "password": "a long enough one",
                                       "role": "auditor"})
    assert added.status == 303
    weak = admin.post("/users", form={"csrf_token": token, "name": "x.y", "password": "short", "role": "auditor"})
    assert weak.status == 400 and "at least 12 characters" in weak.text


def test_a_reference_or_a_name_with_slashes_has_its_pages(tmp_path):
    """A case reference may hold slashes (letters, digits and . _ / -): its pages are at /cases/A%2FB, and every
    link, form and write reaches the case; a user name with a slash can be disabled from the users page."""
    import re

    text = SAR.read_text()
    assert '"^SAR-[0-9]{4}-[0-9]{2}$"' in text
    slashed = tmp_path / "adult_review_slashed.yaml"
    slashed.write_text(text.replace('"^SAR-[0-9]{4}-[0-9]{2}$"', '"^SAR/[0-9]{4}/[0-9]{2}$"')
                       .replace("example: SAR-2025-03", "example: SAR/2025/03"))
    db = str(tmp_path / "cases.db")
    add_users(db, {"sar.referrer": (("sab_referrer",), None), "admin": (("admin",), None),
                   "relief/officer": (("auditor",), None)}, files=(slashed,))
    server = ThreadServer(case_app(db, files=(slashed,)))
    try:
        browser, token = signed_in(server.url, "sar.referrer")
        opened = browser.post("/cases", form={"csrf_token": token, "process": "sar_care_act_s44", "ref": "SAR/2026/07",
                                              "opened_on": ago(3), "fact.adult_outcome": "adult_died"})
        assert opened.status == 303 and opened.headers["location"] == "/cases/SAR%2F2026%2F07"
        page = browser.get("/cases/SAR%2F2026%2F07")
        assert page.status == 200 and "Case SAR/2026/07 opened" in page.text
        assert 'action="/cases/SAR%2F2026%2F07/events"' in page.text
        recorded = browser.post("/cases/SAR%2F2026%2F07/events", form={
            "csrf_token": csrf_from(page), "event": "sar_referral_made", "on": ago(2),
            "fact.has_care_support_needs": "yes"})
        assert recorded.status == 303 and recorded.headers["location"] == "/cases/SAR%2F2026%2F07"
        data = browser.get("/api/cases/SAR%2f2026%2f07").json()  # either case of hex digits
        assert data["ref"] == "SAR/2026/07" and data["state"] == "subgroup_screening"
        assert browser.get("/cases/SAR%2F2026%2F07/timeline.svg").text.startswith("<svg")
        listed = browser.get("/api/cases").json()["cases"]
        assert [c["url"] for c in listed] == ["/cases/SAR%2F2026%2F07"]
        assert browser.get("/cases/SAR/2026/07").status == 404  # unencoded, the slashes separate segments
        assert browser.get("/api/cases/SAR%2F2026%2F08").status == 404

        # signed out, a link to the case goes through sign-in and comes back to the same case
        anonymous = Browser(server.url)
        bounce = anonymous.get("/cases/SAR%2F2026%2F07")
        assert bounce.status == 303 and bounce.headers["location"] == "/sign-in?next=/cases/SAR%252F2026%252F07"
        form = anonymous.get(bounce.headers["location"])
        assert 'name="next" value="/cases/SAR%2F2026%2F07"' in form.text
        back = anonymous.post("/sign-in", form={"csrf_token": csrf_from(form), "name": "sar.referrer",
                                                "password": PASSWORD, "next": "/cases/SAR%2F2026%2F07"})
        assert back.status == 303 and back.headers["location"] == "/cases/SAR%2F2026%2F07"
        assert anonymous.get(back.headers["location"]).status == 200

        admin, admin_token = signed_in(server.url, "admin")
        users_page = admin.get("/users").text
        assert re.search(r'action="/users/relief%2Fofficer/disable"', users_page)
        disabled = admin.post("/users/relief%2Fofficer/disable", form={"csrf_token": admin_token})
        assert disabled.status == 303
        assert {"name": "relief/officer", "roles": ["auditor"], "party": None, "disabled": True} \
            in admin.get("/api/users").json()["users"]
    finally:
        server.stop()
