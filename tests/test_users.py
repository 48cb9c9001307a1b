"""cspr user add|disable|list: accounts kept through the store on both engines, passwords hashed by the engine,
never taken from the command line."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cspr(database):
    def call(*args: str, input: str | None = None):
        return run_cli(*args, "--db", database.spec, input=input)
    return call


def test_a_user_is_added_listed_and_disabled(cspr, database):
    added = cspr("user", "add", "icb.officer", "--role", "icb", "--party", "Integrated Care Board", "--password-stdin",
                 "--json", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {"name": "icb.officer", "roles": ["icb"], "party": "Integrated Care Board",
                                        "disabled": False}
    listed = cspr("user", "list", "--json")
    assert json.loads(listed.output) == [json.loads(added.output)]
    text = cspr("user", "list")
    assert "icb.officer" in text.output and "Integrated Care Board" in text.output and "active" in text.output
    stored = database.rows("SELECT password_hash FROM users WHERE name = 'icb.officer'")[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    disabled = cspr("user", "disable", "icb.officer")
    assert disabled.exit_code == 0 and "Disabled user icb.officer" in disabled.output
    assert json.loads(cspr("user", "list", "--json").output)[0]["disabled"] is True


def test_the_password_is_asked_twice_at_a_prompt(cspr):
    result = cspr("user", "add", "lsbu.officer", "--role", "lsbu", "--role", "auditor",
                  input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Added user lsbu.officer: auditor, lsbu" in result.output
    assert PASSWORD not in result.output


def test_there_is_no_password_option(cspr):
    result = cspr("user", "add", "x.officer", "--role", "lsbu", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


@pytest.mark.parametrize("args, message", [
    (("--role", "police"), "no role 'police'; roles: admin, agency_safeguarding_lead, auditor"),
    ((), "Missing option '--role'"),
    (("--role", "lsbu", "--party", "bad\u202eparty"), "the party"),
])
def test_a_bad_role_or_party_is_refused_and_nothing_is_stored(cspr, database, args, message):
    result = cspr("user", "add", "someone", *args, "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code in (1, 2) and message in result.output
    if database.engine == "sqlite" and not database.path.exists():
        return
    assert database.rows("SELECT COUNT(*) FROM users")[0][0] == 0


def test_a_short_password_or_a_taken_name_is_refused(cspr, database):
    short = cspr("user", "add", "icb.officer", "--role", "icb", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert cspr("user", "add", "icb.officer", "--role", "icb", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    before = database.dump()
    again = cspr("user", "add", "ICB.Officer", "--role", "icb", "--password-stdin", input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already a user 'icb.officer'" in again.output
    assert database.dump() == before


def test_disabling_an_unknown_or_disabled_user_is_an_error(cspr):
    assert cspr("user", "add", "a.officer", "--role", "icb", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    unknown = cspr("user", "disable", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    assert cspr("user", "disable", "a.officer").exit_code == 0
    again = cspr("user", "disable", "a.officer")
    assert again.exit_code == 1 and "already disabled" in again.output


def test_the_cli_does_not_import_the_web_layer():
    import subprocess
    import sys

    code = ("import sys; from cspr.cli.app import cli\n"
            "from click.testing import CliRunner\n"
            "CliRunner().invoke(cli, ['user', 'list', '--db', ':memory:'])\n"
            "print(any(m.startswith('cspr.web') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- the accounts in the web application ----------------------------------------------------------------


def _add(db: str, name: str, *roles: str, party: str | None = None) -> None:
    args = ["user", "add", name, *[x for r in roles for x in ("--role", r)], "--password-stdin", "--db", db]
    result = run_cli(*args, *(["--party", party] if party else []), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_cspr_serve_signs_in_the_users_kept_in_the_database(tmp_path):
    from .helpers.web import Browser, ServeProcess, csrf_from

    db = str(tmp_path / "cases.db")
    _add(db, "icb.officer", "icb", party="Integrated Care Board")
    served = ServeProcess("--db", db)
    try:
        browser = Browser(served.url)
        token = csrf_from(browser.get("/sign-in"))
        wrong = browser.post("/sign-in", form={"csrf_token": token, "name": "icb.officer", "password": "not it at all"})
        assert wrong.status == 400
        token = csrf_from(browser.get("/sign-in"))
        right = browser.post("/sign-in", form={"csrf_token": token, "name": "icb.officer", "password": PASSWORD})
        assert right.status == 303
        assert browser.get("/api/session").json()["user"] == {"name": "icb.officer", "roles": ["icb"],
                                                             "party": "Integrated Care Board"}
        assert run_cli("user", "disable", "icb.officer", "--db", db).exit_code == 0
        assert browser.get("/api/session").json()["user"] is None  # disabling ends the session at once
    finally:
        served.stop()


def test_behind_a_single_sign_on_proxy_the_named_header_says_who_is_signed_in(tmp_path):
    from .helpers.web import Browser, ServeProcess

    db = str(tmp_path / "cases.db")
    _add(db, "icb.officer", "icb")
    _add(db, "gone.officer", "icb")
    assert run_cli("user", "disable", "gone.officer", "--db", db).exit_code == 0
    served = ServeProcess("--db", db, "--auth", "trusted-header", "--auth-header", "X-Remote-User")
    try:
        browser = Browser(served.url)
        def who(name: str | None) -> object:
            headers = {"X-Remote-User": name} if name else {}
            return browser.get("/api/session", headers=headers).json()["user"]
        assert who("icb.officer") == {"name": "icb.officer", "roles": ["icb"], "party": None}
        assert who("gone.officer") is None and who("nobody") is None and who(None) is None
        assert browser.get("/sign-in").status == 404  # no passwords behind the proxy
    finally:
        served.stop()


def test_trusted_header_needs_the_header_named():
    result = run_cli("serve", "--auth", "trusted-header")
    assert result.exit_code == 2 and "--auth-header NAME" in result.output


def test_the_readmes_three_commands_let_a_partner_sign_off_a_decision(demo_db):
    """make demo; cspr user demo; cspr --today 2026-06-10 serve: a newcomer signs in as a partner and signs off."""
    from .helpers.web import ServeProcess, post_json, signed_in

    result = run_cli("user", "demo", "--db", str(demo_db))
    assert result.exit_code == 0 and "demo password, not secret" in result.output
    assert "constabulary" in result.output and "auditor" in result.output and "admin" in result.output
    served = ServeProcess("--db", str(demo_db), env={"CSPR_TODAY": "2026-06-10"})
    try:
        for role in ("constabulary", "children_social_care"):
            browser, token = signed_in(served.url, role, "demo password, not secret")
            page = browser.get("/cases/LSBU-2026-015")
            assert f'name="role" value="{role}"' in page.text  # the sign-off button for the role held
            assert post_json(browser, "/api/cases/LSBU-2026-015/signoffs", token, {"role": role}).status == 201
        browser, token = signed_in(served.url, "lsbu", "demo password, not secret")
        decided = post_json(browser, "/api/cases/LSBU-2026-015/events", token, {"event": "criteria_met"})
        assert decided.status == 201, decided.text
        assert browser.get("/api/cases/LSBU-2026-015").json()["state"] == "notification"
    finally:
        served.stop()
