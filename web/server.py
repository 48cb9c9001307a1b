"""Running the application: uvicorn on a socket we bind ourselves, so the address is known before serving.

:func:`serve` is the one entry point the command line calls (``cspr serve``):
plain values in, no click, so neither layer imports the other's internals.

Binding first lets ``cspr serve --port 0`` pick a free port and print the
address actually bound (tests and scripts read it), and lets a busy port fail
with a one-line error instead of a log message.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from cspr.engine.errors import CsprError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_allowed_hosts(host: str) -> tuple[str, ...] | None:
    """A loopback server answers only to loopback names (no DNS rebinding); otherwise any host."""
    return (*LOOPBACK_NAMES, host.lower()) if is_loopback(host) else None


def bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family, backlog=1024)
    except socket.gaierror as exc:
        raise CsprError(f"cannot listen on {host}: {exc.strerror}; give --host an address or a name of this machine") from None
    except OSError as exc:
        raise CsprError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port (0 picks a free one)") from None


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def uvicorn_config(app: ASGIApp) -> Any:
    """How uvicorn runs the application: quiet, anonymous, and trusting a proxy only on this machine."""
    import uvicorn

    return uvicorn.Config(
        app, log_level="warning", access_log=False, server_header=False, lifespan="off",
        proxy_headers=True,  # the scheme and client address from a proxy on this machine (FORWARDED_ALLOW_IPS)
        timeout_graceful_shutdown=5,
    )


def run(app: ASGIApp, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve ``app`` until interrupted (Ctrl+C, SIGTERM); ``announce`` is told the address first."""
    import uvicorn

    sock = bind(host, port)
    server = uvicorn.Server(uvicorn_config(app))
    announce(url_of(sock))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def serve(host: str, port: int, *, db: str, process_files: Sequence[str | Path] = (),
          today: Callable[[], dt.date] = dt.date.today, allowed_hosts: Sequence[str] = (),
          session_key_file: str | Path | None = None, announce: Callable[[str], None] = print,
          auth: str = "local", auth_header: str | None = None) -> None:
    """Build the application from these settings and serve it (``cspr serve``).

    ``auth``: ``local`` (users sign in with the accounts ``cspr user add`` keeps in ``db``) or
    ``trusted-header`` (a single sign-on proxy names the user in the header ``auth_header``)."""
    from .app import create_app
    from .catalog import ProcessCatalog
    from .sessions import load_key
    from .settings import Settings
    from .stores import StoreDirectory, Stores

    if auth not in ("local", "trusted-header"):
        raise CsprError(f"--auth is local or trusted-header, not {auth!r}")
    if auth == "trusted-header" and not auth_header:
        raise CsprError("--auth trusted-header needs the header's name: --auth-header NAME (as the proxy sets it)")
    stores = Stores(db)
    if stores.exists():
        stores.get()  # the database opens (and is migrated) before the first request, or the server does not start
    settings = Settings(
        catalog=ProcessCatalog.load(process_files, db), db=db, today=today,
        allowed_hosts=tuple(h.lower() for h in allowed_hosts) or default_allowed_hosts(host),
        stores=stores, directory=StoreDirectory(stores),
        trusted_header=auth_header.lower() if auth == "trusted-header" and auth_header else None,
    )
    if session_key_file is not None:
        settings = replace(settings, session_key=load_key(session_key_file))
    try:
        run(create_app(settings), host, port, announce)
    finally:
        stores.close()
