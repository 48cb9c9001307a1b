"""The web application's request machinery, through a real server on a loopback port:
security headers on every response, CSRF refusals that write nothing, signed session
cookies, and signing in against a user directory with one message for every failure."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from starlette.routing import Mount, Route

from cspr.web.accounts import WRONG, Account, SignInThrottle
from cspr.web.app import create_app, routes
from cspr.web.catalog import ProcessCatalog
from cspr.web.security import CONTENT_SECURITY_POLICY
from cspr.web.settings import Settings

from .conftest import FIXTURES
from .helpers.web import FAST, Browser, Directory, ThreadServer, csrf_from


@pytest.fixture(scope="module")
def catalog():
    return ProcessCatalog.load([FIXTURES / "processes" / "adult_review.yaml"])


@pytest.fixture
def directory():
    users = Directory()
    users.add("icb.officer", "correct horse battery staple")
    return users


@pytest.fixture
def server(catalog, directory):
    app = create_app(Settings(catalog=catalog, directory=directory, password_hasher=FAST,
                              throttle=SignInThrottle(per_name=5, per_client=20)))
    served = ThreadServer(app)
    yield served
    served.stop()


def sign_in(browser: Browser, name: str, password: str, **extra: str):
    token = csrf_from(browser.get("/sign-in"))
    return browser.post("/sign-in", form={"csrf_token": token, "name": name, "password": password, **extra})


def signed_in_as(browser: Browser) -> str | None:
    user = browser.get("/api/session").json()["user"]
    return user and user["name"]


# --- headers ---------------------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def test_the_policy_allows_no_script_no_inline_style_and_no_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert directives["style-src"] == "'self'" and "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"


def _concrete(path: str) -> str:
    return path.replace("{process_id}", "sar_care_act_s44").replace("{version}", "0.1")


def every_request():
    """One request for every route of the application, and the refusals and errors around them."""
    requests = []
    for route in routes(with_sign_in=True):
        if isinstance(route, Mount):
            requests += [("GET", "/static/cspr.css"), ("GET", "/static/favicon.svg"), ("GET", "/static/missing.css")]
            continue
        assert isinstance(route, Route)
        for method in sorted(route.methods - {"HEAD"}):
            requests.append((method, _concrete(route.path)))
    return requests + [("GET", "/no/such/page"), ("GET", "/api/no/such/page"), ("GET", "/processes/unknown"),
                       ("POST", "/processes"), ("PUT", "/healthz"), ("HEAD", "/processes")]


def test_every_route_answers_with_the_security_headers(server):
    seen = set()
    for method, path in every_request():
        browser = Browser(server.url)
        token = csrf_from(browser.get("/sign-in"))
        for with_token in (False, True):
            reply = browser.request(method, path, headers={"X-CSRF-Token": token} if with_token else None)
            seen.add(reply.status)
            for name, value in SECURITY_HEADERS.items():
                assert reply.headers[name] == value, (method, path, reply.status, name)
            cache = reply.headers["cache-control"]
            assert cache == ("public, max-age=31536000, immutable" if path.startswith("/static/") else "no-store")
            assert "strict-transport-security" not in reply.headers  # plain HTTP: no HSTS
            assert reply.headers.get("server") is None  # the server does not name itself
    assert {200, 303, 403, 404, 405} <= seen


def test_an_unexpected_error_is_a_page_with_the_headers_and_no_traceback(catalog):
    app = create_app(Settings(catalog=catalog))
    starlette = app
    while not hasattr(starlette, "router"):
        starlette = starlette.app

    async def boom(request):
        raise RuntimeError("secret detail /etc/passwd")

    starlette.router.routes.append(Route("/boom", boom))
    starlette.router.routes.append(Route("/api/boom", boom))
    served = ThreadServer(app)
    try:
        page, twin = Browser(served.url).get("/boom"), Browser(served.url).get("/api/boom")
    finally:
        served.stop()
    assert page.status == twin.status == 500
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY == twin.headers["content-security-policy"]
    assert "secret detail" not in page.text and "Traceback" not in page.text and "problem with the service" in page.text
    assert twin.json()["error"]["status"] == 500 and "secret" not in twin.text


def test_over_tls_cookies_are_secure_and_browsers_told_to_stay_on_tls(server):
    # uvicorn takes the scheme from a proxy on this machine (X-Forwarded-Proto from 127.0.0.1)
    browser = Browser(server.url)
    reply = browser.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert reply.headers["strict-transport-security"] == "max-age=31536000"
    (cookie,) = reply.cookies()
    assert cookie.startswith("__Host-cspr_session=") and "; Secure" in cookie and "; Path=/" in cookie
    plain = Browser(server.url).get("/sign-in")
    (cookie,) = plain.cookies()
    assert cookie.startswith("cspr_session=") and "Secure" not in cookie


# --- CSRF ------------------------------------------------------------------------------------------------


def test_a_form_posted_without_its_token_is_refused_and_the_page_never_runs(server, directory):
    browser = Browser(server.url)
    browser.get("/sign-in")
    before = directory.lookups
    reply = browser.post("/sign-in", form={"name": "icb.officer", "password": "correct horse battery staple"})
    assert reply.status == 403 and "nothing was saved" in reply.text
    assert directory.lookups == before  # the sign-in page was never called
    assert signed_in_as(browser) is None


@pytest.mark.parametrize("how", ["wrong token", "another session's token", "from another site", "cross-site fetch",
                                 "token in the query string"])
def test_a_forged_form_is_refused(server, directory, how):
    browser, other = Browser(server.url), Browser(server.url)
    token, theirs = csrf_from(browser.get("/sign-in")), csrf_from(other.get("/sign-in"))
    form = {"csrf_token": token, "name": "icb.officer", "password": "correct horse battery staple"}
    headers = {}
    path = "/sign-in"
    if how == "wrong token":
        form["csrf_token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif how == "another session's token":
        form["csrf_token"] = theirs
    elif how == "from another site":
        headers["Origin"] = "http://attacker.example"
    elif how == "cross-site fetch":
        headers["Sec-Fetch-Site"] = "cross-site"
    else:
        path = f"/sign-in?csrf_token={token}"
        del form["csrf_token"]
    before = directory.lookups
    reply = browser.post(path, form=form, headers=headers)
    assert reply.status == 403 and directory.lookups == before and signed_in_as(browser) is None


def test_the_token_may_come_in_a_header_for_scripts(server):
    browser = Browser(server.url)
    token = browser.get("/api/session").json()["csrf_token"]
    reply = browser.post("/sign-in", form={"name": "icb.officer", "password": "correct horse battery staple"},
                         headers={"X-CSRF-Token": token, "Origin": server.url.rstrip("/")})
    assert reply.status == 303 and signed_in_as(browser) == "icb.officer"


def test_signing_out_needs_the_token_too(server):
    browser = Browser(server.url)
    sign_in(browser, "icb.officer", "correct horse battery staple")
    assert browser.post("/sign-out", form={}).status == 403
    assert signed_in_as(browser) == "icb.officer"


def test_an_oversized_form_is_refused(server):
    browser = Browser(server.url)
    token = csrf_from(browser.get("/sign-in"))
    reply = browser.post("/sign-in", form={"csrf_token": token, "name": "x" * 70_000, "password": "y"})
    assert reply.status == 413


# --- sessions --------------------------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_strict_and_expires(server):
    browser = Browser(server.url)
    reply = sign_in(browser, "icb.officer", "correct horse battery staple")
    (cookie,) = reply.cookies()
    attributes = [a.strip() for a in cookie.split(";")[1:]]
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
    max_age = int(next(a for a in attributes if a.startswith("Max-Age=")).split("=")[1])
    assert 0 < max_age <= 8 * 60 * 60


def test_signing_in_starts_a_new_session_and_voids_the_old_token(server):
    browser = Browser(server.url)
    old = csrf_from(browser.get("/sign-in"))
    browser.post("/sign-in", form={"csrf_token": old, "name": "icb.officer", "password": "correct horse battery staple"})
    new = csrf_from(browser.get("/sign-in"))
    assert new != old
    assert browser.post("/sign-out", form={"csrf_token": old}).status == 403
    assert browser.post("/sign-out", form={"csrf_token": new}).status == 303
    assert browser.cookies == {}  # the browser was told to delete the cookie
    assert signed_in_as(browser) is None


def test_a_tampered_cookie_signs_nobody_in(server):
    browser = Browser(server.url)
    sign_in(browser, "icb.officer", "correct horse battery staple")
    payload, mac = browser.cookies["cspr_session"].split(".")
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**data, "user": "admin"}).encode()).rstrip(b"=").decode()
    for value in (f"{forged}.{mac}", f"{payload}.{mac[:-1]}", payload, "", "...."):
        browser.cookies["cspr_session"] = value
        assert signed_in_as(browser) is None


def test_a_disabled_account_or_a_changed_password_ends_its_sessions(server, directory):
    browser = Browser(server.url)
    sign_in(browser, "icb.officer", "correct horse battery staple")
    account = directory.accounts["icb.officer"]
    directory.accounts["icb.officer"] = Account(account.name, account.password_hash, account.roles, account.party,
                                                disabled=True)
    assert signed_in_as(browser) is None
    directory.add("icb.officer", "a new password entirely")
    sign_in(browser, "icb.officer", "a new password entirely")
    assert signed_in_as(browser) == "icb.officer"
    import time

    account = directory.accounts["icb.officer"]
    directory.accounts["icb.officer"] = Account(account.name, account.password_hash, account.roles, account.party,
                                                valid_after=time.time() + 1)
    assert signed_in_as(browser) is None


# --- signing in ------------------------------------------------------------------------------------------


def _errors(reply) -> list[str]:
    return re.findall(r'<li><a href="#\w+">([^<]*)</a></li>', reply.text)


def test_an_unknown_name_a_wrong_password_and_a_disabled_account_get_the_same_answer(server, directory):
    directory.add("gone.officer", "correct horse battery staple", disabled=True)
    answers = []
    for name, password in [("nobody.here", "correct horse battery staple"), ("icb.officer", "wrong password"),
                           ("gone.officer", "correct horse battery staple")]:
        reply = sign_in(Browser(server.url), name, password)
        answers.append((reply.status, _errors(reply), reply.text.replace(name, "NAME").replace(csrf_from(reply), "T")))
    assert answers[0][:2] == (400, [WRONG])
    assert answers[0] == answers[1] == answers[2]


def test_a_successful_sign_in_goes_where_the_user_was_going_and_only_on_this_site(server):
    browser = Browser(server.url)
    reply = sign_in(browser, "icb.officer", "correct horse battery staple", next="/processes/sar_care_act_s44/editions")
    assert (reply.status, reply.headers["location"]) == (303, "/processes/sar_care_act_s44/editions")
    page = browser.get("/processes")
    assert "Signed in as icb.officer" in page.text and "Sign out" in page.text
    for elsewhere in ("//attacker.example/", "https://attacker.example/", "/\\attacker.example", "javascript:alert(1)"):
        reply = sign_in(Browser(server.url), "icb.officer", "correct horse battery staple", next=elsewhere)
        assert reply.headers["location"] == "/"


def test_missing_fields_are_named_and_cost_no_attempt(server, directory):
    reply = sign_in(Browser(server.url), "", "")
    assert reply.status == 400 and _errors(reply) == ["Enter your user name", "Enter your password"]
    assert 'aria-describedby="name-error"' in reply.text and "<title>Error: Sign in" in reply.text
    assert directory.lookups == 0


def test_repeated_failures_are_throttled_for_known_and_unknown_names_alike(server):
    for name in ("icb.officer", "nobody.here"):
        for _ in range(5):
            assert sign_in(Browser(server.url), name, "guess").status == 400
        throttled = sign_in(Browser(server.url), name, "correct horse battery staple")
        assert throttled.status == 429 and int(throttled.headers["retry-after"]) > 0
        assert "too many attempts" in _errors(throttled)[0]
    assert signed_in_as(Browser(server.url)) is None


def test_a_weaker_stored_hash_is_replaced_after_a_successful_sign_in(catalog):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users = Directory(hasher=weak)
    users.add("lsbu.officer", "another good passphrase")
    served = ThreadServer(create_app(Settings(catalog=catalog, directory=users, password_hasher=FAST)))
    try:
        assert sign_in(Browser(served.url), "lsbu.officer", "another good passphrase").status == 303
    finally:
        served.stop()
    stored = users.accounts["lsbu.officer"].password_hash
    assert "m=8192,t=1,p=1" in stored and FAST.verify(stored, "another good passphrase")


def test_without_a_user_directory_there_is_no_sign_in(catalog):
    served = ThreadServer(create_app(Settings(catalog=catalog)))
    try:
        browser = Browser(served.url)
        assert browser.get("/sign-in").status == 404 and browser.get("/api/session").status == 404
        assert "Sign in" not in browser.get("/processes").text
    finally:
        served.stop()


def test_servers_sharing_a_session_key_accept_each_others_sessions(catalog, directory):
    import tempfile
    from pathlib import Path

    from cspr.web.sessions import load_key

    with tempfile.TemporaryDirectory() as folder:
        key = load_key(Path(folder) / "session.key")
    servers = [ThreadServer(create_app(Settings(catalog=catalog, directory=directory, password_hasher=FAST, session_key=key)))
               for _ in range(2)]
    stranger = ThreadServer(create_app(Settings(catalog=catalog, directory=directory, password_hasher=FAST)))
    try:
        first = Browser(servers[0].url)
        sign_in(first, "icb.officer", "correct horse battery staple")
        second, third = Browser(servers[1].url, dict(first.cookies)), Browser(stranger.url, dict(first.cookies))
        assert signed_in_as(second) == "icb.officer" and signed_in_as(third) is None
    finally:
        for served in (*servers, stranger):
            served.stop()
