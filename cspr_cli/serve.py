"""``cspr serve``: the web application, for partners, the business unit and auditors in a browser."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .context import database_spec, db_option, today


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default unless a proxy in front of this server handles TLS.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one (the address is printed).")
@db_option
@click.option("--process", "process_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also serve this process definition file (repeat for more).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name browsers use to reach this server (repeat for more). "
                   "Default: loopback names on a loopback address, any name otherwise.")
@click.option("--session-key-file", "session_key_file", metavar="FILE", envvar="CSPR_SESSION_KEY_FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the key that signs session cookies in FILE (made, owner-only, if missing), so sessions "
                   "survive a restart and several servers share them (default: $CSPR_SESSION_KEY_FILE, else a new "
                   "key each start).")
def serve(host: str, port: int, db_path: str | None, process_files: tuple[Path, ...],
          allowed_hosts: tuple[str, ...], session_key_file: Path | None) -> None:
    """Run the web application, for partners and auditors in a browser.

    Shows each process and its editions; every page has a JSON twin under
    /api. Prints the address it serves (with --port 0, the free port it
    picked), then serves until interrupted (Ctrl+C).
    """
    from cspr.web.server import serve as serve_web  # the one place the command line reaches into the web layer

    root = click.get_current_context().find_root().obj or {}
    fixed = today() if root.get("today") or os.environ.get("CSPR_TODAY") else None  # a rehearsal; else the real date
    db = database_spec(db_path)

    def announce(url: str) -> None:
        click.echo(f"Serving {url} (database {_without_password(db)}; press Ctrl+C to stop)")
        sys.stdout.flush()

    serve_web(host, port, db=db, process_files=process_files, today=(lambda: fixed) if fixed else dt.date.today,
              allowed_hosts=allowed_hosts, session_key_file=session_key_file, announce=announce)


def _without_password(spec: str) -> str:
    """A database URL as it may be shown: never with its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
