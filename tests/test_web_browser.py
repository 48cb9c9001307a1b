"""The web application in a real browser: Debian's Chromium, driven by Playwright, against
`cspr serve` started as a subprocess on a random loopback port.

Every page is checked by axe-core at WCAG 2.2 AA (zero violations), obeys its own
Content-Security-Policy (no violation reported), and is saved as a screenshot under the
test run's output folder. The injection corpus stays inert; the forms work without
JavaScript and by keyboard; a form posted from another site is refused.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from cspr.web.app import create_app
from cspr.web.catalog import ProcessCatalog
from cspr.web.settings import Settings

from .conftest import FIXTURES
from .helpers.browser import CHROMIUM_FLAGS, adopt_orphans, axe_violations, chromium, output_dir, playwright, reap_chromium
from .helpers.web import FAST, Directory, ServeProcess, ThreadServer, second_version

SAR = FIXTURES / "processes" / "adult_review.yaml"
INJECTION = FIXTURES / "web" / "injection.yaml"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def chrome():
    executable, sync_playwright = chromium(), playwright()
    adopt_orphans()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    assert reap_chromium() == []


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return [SAR, second_version(SAR, tmp_path_factory.mktemp("processes")), INJECTION]


@pytest.fixture(scope="module")
def server(files, chrome):
    served = ServeProcess(*itertools.chain.from_iterable(("--process", str(f)) for f in files))
    yield served
    served.stop()


@pytest.fixture(scope="module")
def shots():
    return output_dir("screenshots")


@dataclass
class Visit:
    """What the browser saw on one page."""

    url: str
    status: int
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


SHOT_HEIGHT = 6000  # a long page is saved down to here: enough to review, without seconds per picture


def visit(context: Any, url: str, shot: Any = None, *, full_page: bool = True) -> tuple[Any, Visit]:
    page = context.new_page()
    seen = Visit(url, 0)
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    response = page.goto(url)
    seen.status = response.status if response else 0
    if shot is not None:
        if full_page:
            width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            page.screenshot(path=str(shot), full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": min(height, SHOT_HEIGHT)})
        else:
            page.screenshot(path=str(shot))
    return page, seen


def every_page(catalog: ProcessCatalog) -> list[tuple[str, str, int]]:
    """(screenshot name, path, expected status) for every kind of page the server has."""
    pages = [("processes", "/processes", 200)]
    for d in catalog:
        pages.append((f"process-{d.id}-{d.version}", f"/processes/{d.id}/versions/{d.version}", 200))
    for process_id in catalog.ids():
        pages.append((f"editions-{process_id}", f"/processes/{process_id}/editions", 200))
    pages += [("editions-error", "/processes/cspr_pan_lancashire/editions?from=nonesuch&to=2025.1", 400),
              ("not-found", "/processes/nonesuch", 404)]
    return pages


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)


def _unexpected(console: list[str], status: int) -> list[str]:
    """Console messages other than the browser reporting the status we asked for."""
    expected = f"status of {status}"
    return [m for m in console if not (status >= 400 and expected in m)]


def test_every_page_has_no_accessibility_violations_and_obeys_its_policy(chrome, server, files, shots):
    catalog = ProcessCatalog.load(files)
    context = chrome.new_context(viewport=DESKTOP)
    problems = {}
    try:
        for name, path, status in every_page(catalog):
            page, seen = visit(context, server.url.rstrip("/") + path, shots / f"{_name(name)}.png")
            violations = axe_violations(page)
            page.close()
            found = {"status": seen.status} if seen.status != status else {}
            if violations:
                found["axe"] = violations
            if _unexpected(seen.console, status) or seen.errors:
                found["console"] = _unexpected(seen.console, status) + seen.errors
            if found:
                problems[path] = found
    finally:
        context.close()
    assert problems == {}


def test_pages_reflow_on_a_phone_without_violations(chrome, server, shots):
    context = chrome.new_context(viewport=PHONE, device_scale_factor=2)
    try:
        for name, path in [("phone-processes", "/processes"),
                           ("phone-process", "/processes/cspr_pan_lancashire/versions/2025.1"),
                           ("phone-editions", "/processes/cspr_pan_lancashire/editions")]:
            page, seen = visit(context, server.url.rstrip("/") + path, shots / f"{name}.png", full_page=False)
            assert axe_violations(page) == [] and seen.console == []
            # nothing makes the page scroll sideways (WCAG 1.4.10, reflow)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            page.close()
    finally:
        context.close()


def test_the_injection_corpus_is_inert_in_the_browser(chrome, server, shots):
    context = chrome.new_context(viewport=DESKTOP)
    dialogs: list[str] = []
    try:
        for path in ["/processes", "/processes/injection/versions/1.0", "/processes/injection/editions"]:
            page, seen = visit(context, server.url.rstrip("/") + path, shots / f"injection{_name(path)}.png")
            page.on("dialog", lambda d: dialogs.append(d.message))
            page.wait_for_timeout(200)
            assert not re.match(r"pwned-\d+$", page.title()) and seen.errors == [] and seen.console == []
            assert page.evaluate("document.querySelectorAll('script, style, iframe, object, embed').length") == 0
            handlers = page.evaluate("""[...document.querySelectorAll('*')].flatMap(
                el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))""")
            assert handlers == []
            if path != "/processes":
                assert "Process <script>" in page.inner_text("main")
            page.close()
    finally:
        context.close()
    assert dialogs == []


def test_the_editions_form_works_without_javascript(chrome, server, shots):
    context = chrome.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page, _ = visit(context, server.url + "processes/cspr_pan_lancashire/editions")
        page.select_option("#from", "2018.1")
        page.select_option("#to", "2023.1")
        page.click("button:has-text('Compare')")
        page.wait_for_load_state()
        assert page.url.endswith("/processes/cspr_pan_lancashire/editions?from=2018.1&to=2023.1")
        assert page.inner_text("#changes") == "Changes from version 2018.1 to version 2023.1"
        page.screenshot(path=str(shots / "editions-compared-without-javascript.png"), full_page=True)
        page.close()
    finally:
        context.close()


def test_the_keyboard_reaches_the_skip_link_first_and_it_leads_to_the_content(chrome, server):
    context = chrome.new_context(viewport=DESKTOP)
    try:
        page, _ = visit(context, server.url + "processes")
        page.keyboard.press("Tab")
        focused = page.evaluate("({text: document.activeElement.textContent, href: document.activeElement.getAttribute('href')})")
        assert focused == {"text": "Skip to main content", "href": "#main-content"}
        assert page.is_visible("a.skip-link")  # visible once focused
        outline = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
        assert outline == "rgb(255, 221, 0)"  # the yellow focus state
        page.keyboard.press("Enter")
        # the fragment navigation is asynchronous in Chromium: wait for it (up to 5 s) rather than read the URL at once
        page.wait_for_function("location.hash === '#main-content'", timeout=5000)
        assert page.url.endswith("#main-content")
        page.close()
    finally:
        context.close()


# --- signing in, with a user directory, in the browser ---------------------------------------------------

ATTACKER_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Win a prize</title></head><body>
<form method="post" action="{target}sign-out"><button type="submit">Claim</button></form></body></html>"""


def attacker_site(target: str) -> Any:
    """Another site, whose page holds a form that posts to ours."""
    body = ATTACKER_PAGE.format(target=target).encode()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture(scope="module")
def signing_server(chrome):
    users = Directory()
    users.add("constabulary.officer", "a long and private passphrase", roles=("constabulary",), party="Constabulary")
    app = create_app(Settings(catalog=ProcessCatalog.load([SAR]), directory=users, password_hasher=FAST))
    served = ThreadServer(app)
    yield served
    served.stop()


def test_signing_in_and_out_in_the_browser(chrome, signing_server, shots):
    context = chrome.new_context(viewport=DESKTOP)
    try:
        page, _ = visit(context, signing_server.url + "sign-in?next=/processes/sar_care_act_s44/editions")
        page.fill("#name", "constabulary.officer")
        page.fill("#password", "not the passphrase")
        page.click("button:has-text('Sign in')")
        assert page.inner_text(".error-summary") .startswith("There is a problem")
        assert page.title().startswith("Error: Sign in") and axe_violations(page) == []
        page.screenshot(path=str(shots / "sign-in-error.png"), full_page=True)
        page.click(".error-summary a")  # the summary's link takes the user to the field
        assert page.evaluate("document.activeElement.id") == "name"

        page.fill("#password", "a long and private passphrase")
        page.click("button:has-text('Sign in')")
        assert page.url.endswith("/processes/sar_care_act_s44/editions")
        assert "Signed in as constabulary.officer" in page.inner_text("header")
        assert axe_violations(page) == []
        page.screenshot(path=str(shots / "signed-in.png"))
        cookie = next(c for c in context.cookies() if c["name"] == "cspr_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0

        page.click("header button:has-text('Sign out')")
        assert page.inner_text(".notification-banner") .endswith("You have signed out.")
        assert axe_violations(page) == [] and "Signed in as" not in page.inner_text("header")
        page.close()
    finally:
        context.close()


def test_a_form_on_another_site_cannot_post_to_ours(chrome, signing_server, shots):
    attacker = ThreadServer(attacker_site(signing_server.url))
    context = chrome.new_context(viewport=DESKTOP)
    try:
        page, _ = visit(context, signing_server.url + "sign-in")
        page.fill("#name", "constabulary.officer")
        page.fill("#password", "a long and private passphrase")
        page.click("button:has-text('Sign in')")
        assert "Signed in as" in page.inner_text("header")
        evil = context.new_page()
        evil.goto(attacker.url.replace("127.0.0.1", "localhost"))  # another site altogether
        with evil.expect_navigation():
            evil.click("button")
        assert "You cannot do that" in evil.inner_text("main")
        evil.screenshot(path=str(shots / "forged-form-refused.png"))
        page.reload()
        assert "Signed in as constabulary.officer" in page.inner_text("header")  # still signed in
    finally:
        context.close()
        attacker.stop()
