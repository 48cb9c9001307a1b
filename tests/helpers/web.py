"""The real web server for tests: `cspr serve --port 0` in a subprocess, or an application
built in the test (with a user directory) served by uvicorn in a thread, both on a
random loopback port; and a small HTTP client that follows no redirects and keeps cookies."""

from __future__ import annotations

import http.client
import os
import re
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from argon2 import PasswordHasher

from ..conftest import ROOT

# The real argon2id, with cheaper parameters than a deployment's, so tests sign in quickly.
FAST = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
ADDRESS = re.compile(r"Serving (http://\S+/) ")


class ServeProcess:
    """`cspr serve --port 0 ARGS` as a subprocess; `.url` is the address it printed."""

    def __init__(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 30):
        command = [sys.executable, "-m", "cspr", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, cwd=cwd or ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        self.url = self._address(timeout)

    def _address(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                line = self.process.stdout.readline()
                match = ADDRESS.search(line)
                if match:
                    return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"cspr serve exited with {self.process.returncode}: {self.process.stderr.read()}")
        self.stop()
        raise RuntimeError("cspr serve printed no address in time")

    def stop(self) -> str:
        """Stop the server (SIGTERM, as a service manager would) and return what it wrote to stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read() if self.process.stderr else ""


class ThreadServer:
    """An ASGI application served by uvicorn in a thread, on a free loopback port, as `cspr serve` runs it."""

    def __init__(self, app: Any):
        import uvicorn

        from cspr.web.server import bind, url_of, uvicorn_config

        self.socket = bind("127.0.0.1", 0)
        self.url = url_of(self.socket)
        self.server = uvicorn.Server(uvicorn_config(app))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        import json

        assert self.headers["content-type"].startswith("application/json"), self.headers["content-type"]
        return json.loads(self.body)

    def cookies(self) -> list[str]:
        return self.headers.get_all("set-cookie") or []


@dataclass
class Browser:
    """A client that keeps cookies like a browser would and follows no redirects."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, *, form: dict[str, str] | list[tuple[str, str]] | None = None,
                body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        sent = dict(headers or {})
        if form is not None:
            body = urlencode(form).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for cookie in reply.cookies():
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in cookie.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(page: Reply) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, "the page has no CSRF field"
    return match.group(1)


def second_version(source: Path, folder: Path) -> Path:
    """A later version of a process, with one deadline's period changed, written to ``folder``."""
    text = source.read_text()
    version = re.search(r'^version: "([^"]+)"', text, re.MULTILINE).group(1)
    later = f"{version}.1"
    text = re.sub(r'^version: "[^"]+"', f'version: "{later}"', text, count=1, flags=re.MULTILINE)
    text = re.sub(r"^effective_from: (\d{4})-", lambda m: f"effective_from: {int(m.group(1)) + 1}-", text, count=1, flags=re.MULTILINE)
    text, changed = re.subn(r"period: \{working_days: (\d+)\}", lambda m: f"period: {{working_days: {int(m.group(1)) + 3}}}", text, count=1)
    assert changed == 1
    path = folder / f"{source.stem}_{later}.yaml"
    path.write_text(text)
    return path


class Directory:
    """A user directory kept in a dict: the interface the store will implement (cspr.web.accounts.UserDirectory)."""

    def __init__(self, hasher: Any = None):
        self.hasher = hasher or FAST
        self.accounts: dict[str, Any] = {}
        self.lookups = 0

    def add(self, name: str, password: str, roles: tuple[str, ...] = ("icb",), party: str | None = "Integrated Care Board",
            **more: Any) -> None:
        from cspr.web.accounts import Account

        self.accounts[name] = Account(name, self.hasher.hash(password), frozenset(roles), party, **more)

    def find_account(self, name: str) -> Any:
        self.lookups += 1
        return self.accounts.get(name)

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        from dataclasses import replace

        account = self.accounts[name]
        if account.password_hash == old_hash:
            self.accounts[name] = replace(account, password_hash=new_hash)


# --- an application on a real database, with users ----------------------------------------------------

PASSWORD = "correct horse battery staple"
# One user per kind of role in the Pan Lancashire process, and the application's own.
USERS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "lsbu.officer": (("lsbu", "referring_agency", "agency_safeguarding_lead", "local_authority"), None),
    "icb.officer": (("icb",), "Lancashire and South Cumbria Integrated Care Board"),
    "csc.officer": (("children_social_care",), "Lancashire County Council"),
    "police.officer": (("constabulary",), "Lancashire Constabulary"),
    "auditor": (("auditor",), None),
    "admin": (("admin",), None),
}


def add_users(spec: str, users: dict[str, tuple[tuple[str, ...], str | None]] = USERS, files: tuple[Path, ...] = ()) -> None:
    """The users, added through the engine as `cspr user add` adds them (with the tests' fast hasher)."""
    from cspr.engine.casebook.accounts import Accounts, assignable_roles
    from cspr.engine.definition.catalog import shipped
    from cspr.engine.definition.loader import load_file
    from cspr.engine.store.interface import open_store

    store = open_store(spec, create=True)
    try:
        known = assignable_roles([*shipped(), *(load_file(f) for f in files)])
        for name, (roles, party) in users.items():
            Accounts(store).add(name, PASSWORD, roles, party, known, FAST)
    finally:
        store.close()


def case_app(spec: str, files: tuple[Path, ...] = (), **settings: Any) -> Any:
    """The application `cspr serve --db SPEC` runs, with the tests' fast hasher."""
    from cspr.web.app import create_app
    from cspr.web.catalog import ProcessCatalog
    from cspr.web.settings import Settings
    from cspr.web.stores import StoreDirectory, Stores

    stores = Stores(spec)
    return create_app(Settings(catalog=ProcessCatalog.load(files, spec), db=spec, stores=stores,
                               directory=StoreDirectory(stores), password_hasher=FAST, **settings))


def signed_in(base: str, name: str, password: str = PASSWORD) -> tuple[Browser, str]:
    """A browser signed in as ``name``, and the CSRF token its forms carry."""
    browser = Browser(base)
    token = csrf_from(browser.get("/sign-in"))
    reply = browser.post("/sign-in", form={"csrf_token": token, "name": name, "password": password})
    assert reply.status == 303, reply.text
    return browser, browser.get("/api/session").json()["csrf_token"]


def post_json(browser: Browser, path: str, token: str, data: dict[str, Any]) -> Reply:
    import json

    return browser.post(path, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json", "X-CSRF-Token": token})
