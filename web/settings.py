"""How one web application is set up: what it serves, to whom, and as of which day."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .accounts import SignInThrottle, UserDirectory
from .catalog import ProcessCatalog
from .stores import Stores

SERVICE_NAME = "Case reviews"


@dataclass(frozen=True)
class Settings:
    """Everything :func:`cspr.web.app.create_app` needs; ``cspr serve`` builds it from its options.

    ``session_key`` signs the session cookies: a new random key each start
    unless one is given, so sessions end when the server stops.
    ``allowed_hosts`` are the host names the server answers for (None: any).
    ``directory`` is where users are kept; without one, nobody can sign in and
    the sign-in pages do not exist. ``stores`` opens the database the cases are
    in (None: only the definition pages are served).
    ``trusted_header``: the name of a request header that a single sign-on proxy
    in front of the server sets to the signed-in user's name (``--auth
    trusted-header``); the server then believes it, so it is only safe when that
    proxy is the only way in and strips the header from what clients send.
    """

    catalog: ProcessCatalog
    db: str | None = None  # an SQLite file or a postgresql:// URL, as the store opens it
    today: Callable[[], dt.date] = dt.date.today
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    allowed_hosts: tuple[str, ...] | None = None
    directory: UserDirectory | None = None
    throttle: SignInThrottle | None = None
    password_hasher: Any = None
    service_name: str = SERVICE_NAME
    stores: Stores | None = None
    trusted_header: str | None = None
