"""Who may do what in the web application: every role × every write endpoint, through the real server on
a real database; a refused write answers 403 and leaves the database (and the anchor log) byte for byte as
it was; an allowed one records the signed-in user as the entry's actor, in the role they signed as."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest

from .conftest import dump
from .helpers.web import USERS, ThreadServer, add_users, case_app, post_json, signed_in

PROCESS = "cspr_pan_lancashire"
DAY0 = dt.date.today() - dt.timedelta(days=12)
counter = itertools.count(1)


def day(n: int) -> str:
    return (DAY0 + dt.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("permissions")
    db = str(folder / "cases.db")
    add_users(db)
    server = ThreadServer(case_app(db))
    sessions = {name: signed_in(server.url, name) for name in USERS}
    yield db, sessions
    server.stop()


def prepare(db: str, state: str) -> str:
    """A new case, moved by a setup user to ``state``: referral_received or case_consideration."""
    from cspr.engine.casebook import commands
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.definition.catalog import shipped
    from cspr.engine.store.interface import open_store

    ref = f"LSBU-{DAY0.year}-{next(counter):03d}"
    definition = next(d for d in shipped() if d.id == PROCESS)
    store = open_store(db)
    try:
        book = Casebook(store, actor="setup")
        commands.open_case(book, ref, definition, DAY0, by="lsbu")
        commands.signoff(book, ref, "agency_safeguarding_lead", DAY0)
        commands.record(book, ref, "referral_submitted", DAY0 + dt.timedelta(days=1), by="referring_agency",
                        assignments=["harm=died", "abuse_or_neglect=suspected", "referring_agency=School"])
        if state == "case_consideration":
            commands.record(book, ref, "case_consideration_arranged", DAY0 + dt.timedelta(days=2), by="lsbu")
    finally:
        store.close()
    return ref


def requests(db: str) -> dict[str, tuple[str, dict[str, object]]]:
    """One write of each endpoint, each on its own case or user: (path, body)."""
    referral = prepare(db, "referral_received")
    consideration = prepare(db, "case_consideration")
    other = prepare(db, "referral_received")
    n = next(counter)
    add_users(db, {f"leaver.{n}": (("icb",), None)})
    return {
        "open a case": ("/api/cases", {"ref": f"LSBU-{DAY0.year}-{900 + n % 99:03d}", "process": PROCESS,
                                       "opened_on": day(0), "role": "lsbu"}),
        "record an event": (f"/api/cases/{referral}/events", {"event": "case_consideration_arranged", "role": "lsbu",
                                                              "on": day(3)}),
        "sign off as the ICB": (f"/api/cases/{consideration}/signoffs", {"role": "icb", "on": day(3)}),
        "record facts": (f"/api/cases/{other}/facts", {"fact.children_count": 1, "role": "lsbu", "on": day(3)}),
        "add a note": (f"/api/cases/{other}/notes", {"note": "Spoke to the school", "role": "lsbu", "on": day(3)}),
        "add a user": ("/api/users", {"name": f"new.{n}", "password": "another long password", "role": ["icb"]}),
        "disable a user": (f"/api/users/leaver.{n}/disable", {}),
    }


ALLOWED = {
    "open a case": {"lsbu.officer"}, "record an event": {"lsbu.officer"}, "record facts": {"lsbu.officer"},
    "add a note": {"lsbu.officer"}, "sign off as the ICB": {"icb.officer"},
    "add a user": {"admin"}, "disable a user": {"admin"},
}


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_role_against_every_write_endpoint(site, user):
    db, sessions = site
    browser, token = sessions[user]
    log = Path(os.environ["CSPR_ANCHOR_LOG"])
    for endpoint, (path, body) in requests(db).items():
        before, anchors = dump(db), log.read_bytes() if log.exists() else b""
        reply = post_json(browser, path, token, body)
        if user in ALLOWED[endpoint]:
            assert reply.status == 201, (endpoint, reply.text)
            assert dump(db) != before
        else:
            assert reply.status == 403, (endpoint, user, reply.status, reply.text)
            assert dump(db) == before, (endpoint, user)
            assert (log.read_bytes() if log.exists() else b"") == anchors


def test_the_entry_names_the_signed_in_user_and_the_role_signed_as(site):
    db, sessions = site
    ref = prepare(db, "case_consideration")
    for user, role in (("icb.officer", "icb"), ("police.officer", "constabulary")):
        browser, token = sessions[user]
        assert post_json(browser, f"/api/cases/{ref}/signoffs", token, {"role": role}).status == 201
    browser, _ = sessions["auditor"]
    history = browser.get(f"/api/cases/{ref}").json()["history"]
    assert [(e["actor"], e["kind"], e["role"]) for e in history[-2:]] == [
        ("icb.officer", "signoff", "Lancashire and South Cumbria Integrated Care Board"),
        ("police.officer", "signoff", "Lancashire Constabulary")]


def test_a_refused_step_shows_the_clis_reasons_and_writes_nothing(site):
    from .conftest import run_cli

    db, sessions = site
    ref = prepare(db, "case_consideration")
    browser, token = sessions["lsbu.officer"]
    before = dump(db)
    reply = post_json(browser, f"/api/cases/{ref}/events", token, {"event": "criteria_met", "role": "lsbu"})
    assert reply.status == 409 and dump(db) == before
    cli = run_cli("--db", db, "case", "record", ref, "criteria_met", "--by", "lsbu")
    assert cli.exit_code == 1
    assert cli.output.strip() == f"Error: {reply.json()['error']['message']}"
    assert "needs sign-off from Lancashire and South Cumbria Integrated Care Board" in reply.json()["error"]["reasons"][-3]
    page = browser.post(f"/cases/{ref}/events", form={"csrf_token": token, "event": "criteria_met", "role": "lsbu"})
    assert page.status == 409 and "Nothing was recorded" in page.text and dump(db) == before


def test_reading_needs_signing_in(site):
    from .helpers.web import Browser

    db, sessions = site
    anonymous = Browser(sessions["admin"][0].base)
    assert anonymous.get("/api/cases").status == 401
    page = anonymous.get("/cases")
    assert page.status == 303 and page.headers["location"] == "/sign-in?next=/cases"
    for user in USERS:  # everyone signed in reads, auditors included
        assert sessions[user][0].get("/api/cases").status == 200
