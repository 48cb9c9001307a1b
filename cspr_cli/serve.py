"""``cspr serve``: the web application, for partners, the business unit and auditors in a browser."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .context import database_spec, db_option, today
from .output import comma_list


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default unless a proxy in front of this server handles TLS.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one (the address is printed).")
@db_option
@click.option("--process", "process_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also serve this process definition file (repeat for more).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, callback=comma_list, metavar="NAME",
              help="A host name browsers use to reach this server (repeat for more). "
                   "Default: loopback names on a loopback address, any name otherwise.")
@click.option("--session-key-file", "session_key_file", metavar="FILE", envvar="CSPR_SESSION_KEY_FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the key that signs session cookies in FILE (made, owner-only, if missing), so sessions "
                   "survive a restart and several servers share them (default: $CSPR_SESSION_KEY_FILE, else a new "
                   "key each start).")
@click.option("--auth", "auth", type=click.Choice(["local", "trusted-header"]), default="local", show_default=True,
              help="How users sign in: local (the accounts 'cspr user add' keeps in the database, with passwords), "
                   "or trusted-header (a single sign-on proxy in front of this server names the user in a header; "
                   "only safe behind that proxy, which must strip the header from what clients send).")
@click.option("--auth-header", "auth_header", metavar="NAME",
              help="With --auth trusted-header: the header the proxy puts the user name in, e.g. X-Remote-User.")
def serve(host: str, port: int, db_path: str | None, process_files: tuple[Path, ...],
          allowed_hosts: tuple[str, ...], session_key_file: Path | None, auth: str, auth_header: str | None) -> None:
    """Run the web application, for partners and auditors in a browser.

    Users sign in with the accounts 'cspr user add' keeps in the database
    (or through a single sign-on proxy, --auth trusted-header). Shows the
    caseload, each case with its forms, reports, each process and its
    editions; every page has a JSON twin under /api (described at
    /api/openapi.json). Prints the address it serves (with --port 0, the free port it
    picked), then serves until interrupted (Ctrl+C).
    """
    from cspr.web.server import serve as serve_web  # the one place the command line reaches into the web layer

    root = click.get_current_context().find_root().obj or {}
    fixed = today() if root.get("today") or os.environ.get("CSPR_TODAY") else None  # a rehearsal; else the real date
    db = database_spec(db_path)
    if auth_header is not None and auth != "trusted-header":
        raise click.UsageError("--auth-header is only for --auth trusted-header")
    if auth == "trusted-header" and not auth_header:
        raise click.UsageError("--auth trusted-header needs --auth-header NAME, the header the proxy sets")

    def announce(url: str) -> None:
        click.echo(f"Serving {url} (database {_without_password(db)}; press Ctrl+C to stop)")
        sys.stdout.flush()

    serve_web(host, port, db=db, process_files=process_files, today=(lambda: fixed) if fixed else dt.date.today,
              allowed_hosts=allowed_hosts, session_key_file=session_key_file, announce=announce,
              auth=auth, auth_header=auth_header)


def _without_password(spec: str) -> str:
    """A database URL as it may be shown: never with its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
