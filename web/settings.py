"""How one web application is set up: what it serves, to whom, and as of which day."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .accounts import SignInThrottle, UserDirectory
from .catalog import ProcessCatalog

SERVICE_NAME = "Case reviews"


@dataclass(frozen=True)
class Settings:
    """Everything :func:`cspr.web.app.create_app` needs; ``cspr serve`` builds it from its options.

    ``session_key`` signs the session cookies: a new random key each start
    unless one is given, so sessions end when the server stops.
    ``allowed_hosts`` are the host names the server answers for (None: any).
    ``directory`` is where users are kept; without one, nobody can sign in and
    the sign-in pages do not exist.
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
