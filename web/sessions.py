"""Sessions kept in a signed cookie: who is signed in, and the CSRF token of their forms.

The key that signs them is random for each start of the server unless it is
kept in a file (:func:`load_key`, ``cspr serve --session-key-file``), which
several server processes can share.

The cookie holds a small JSON document, base64url-encoded, and an HMAC-SHA256
of it under a key that only the server knows; a cookie that does not verify,
or has expired, is ignored (the request carries on as a visitor who is not
signed in). Nothing else about a session is kept on the server, so a
session ends when its cookie expires: ``lifetime`` after sign-in at most, and
after ``idle`` seconds without a request. Signing out deletes the cookie; a
disabled account is refused at its next request (the user is looked up each
time).

The cookie is ``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no
other site can make the browser send it), ``Path=/``, and over TLS ``Secure``
with the ``__Host-`` name prefix, which browsers accept only from a secure
origin and never for another host.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "cspr_session"
SECURE_COOKIE = "__Host-cspr_session"
LIFETIME = 8 * 60 * 60  # the longest a session lasts, signed in or not
IDLE = 30 * 60  # a session not used for this long has ended
REFRESH = 60  # how stale the last-seen time may get before the cookie is written again
_CONTEXT = b"cspr web session v1\x00"


def load_key(path: str | os.PathLike[str]) -> bytes:
    """The session key kept in ``path``, made (random, readable by its owner only) if the file does not exist.

    Several server processes given the same file accept each other's cookies.
    A file others can read, or one too short to be a key, is refused.
    """
    from cspr.engine.errors import CsprError

    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CsprError(f"cannot create the session key file {path}: {exc.strerror}") from None
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        mode = os.stat(path).st_mode
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CsprError(f"cannot read the session key file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if mode & 0o077:
        raise CsprError(f"the session key file {path} can be read by others; run 'chmod 600 {path}' and start again")
    if len(text) < 32:
        raise CsprError(f"the session key file {path} holds {len(text)} characters; a key needs at least 32 "
                        "(delete the file and a new key is made)")
    return text.encode("ascii")


class Session(dict[str, Any]):
    """A session's data; writing to it marks it to be sent back in a cookie."""

    def __init__(self, data: dict[str, Any] | None = None, *, existed: bool = False):
        super().__init__(data or {})
        self.existed = existed
        self.modified = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.modified = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.modified = True

    def pop(self, key: str, *default: Any) -> Any:
        self.modified = True
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self.modified = True

    def renew(self) -> None:
        """Start a new session (at sign-in and sign-out): nothing of the old one is kept,
        not even its CSRF token, so a token seen before sign-in is worthless after it."""
        self.clear()


class SessionCodec:
    """Signs and checks session cookies with one key."""

    def __init__(self, key: bytes, *, lifetime: int = LIFETIME, idle: int = IDLE):
        if len(key) < 32:
            raise ValueError("a session key needs at least 32 bytes")
        self.key, self.lifetime, self.idle = key, lifetime, idle

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, _CONTEXT + payload, hashlib.sha256).digest()

    def encode(self, data: dict[str, Any]) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return payload.decode() + "." + _b64(self._mac(payload)).decode()

    def decode(self, value: str, now: float) -> dict[str, Any] | None:
        """The session in a cookie, or None if it is forged, malformed or over."""
        payload, _, mac = value.encode("ascii", "replace").partition(b".")
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(payload)):
                return None
            data = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        issued, seen = data.get("iat"), data.get("seen")
        if not isinstance(issued, (int, float)) or not isinstance(seen, (int, float)):
            return None
        if now >= issued + self.lifetime or now >= seen + self.idle or seen > now + 60:
            return None
        return data


class SessionMiddleware:
    """Put ``scope["session"]`` on every HTTP request and write the cookie back when it changes."""

    def __init__(self, app: ASGIApp, codec: SessionCodec, clock: Callable[[], float] = time.time):
        self.app, self.codec, self.clock = app, codec, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"
        name = SECURE_COOKIE if secure else COOKIE
        now = self.clock()
        raw = _cookie(Headers(scope=scope), name)
        data = self.codec.decode(raw, now) if raw else None
        session = Session(data, existed=data is not None)
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = self._cookie_for(session, name, secure, now)
                if cookie is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie_for(self, session: Session, name: str, secure: bool, now: float) -> str | None:
        attributes = "; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
        content = {k: v for k, v in session.items() if k not in ("iat", "seen")}
        if not content:
            # Nothing to keep: delete a cookie the browser holds, and never set an empty one.
            return f"{name}=; Max-Age=0{attributes}" if session.existed else None
        if not session.modified and now - session.get("seen", 0) < REFRESH:
            return None
        issued = session.get("iat") or int(now)
        value = self.codec.encode({**content, "iat": issued, "seen": int(now)})
        max_age = max(int(issued + self.codec.lifetime - now), 0)
        return f"{name}={value}; Max-Age={max_age}{attributes}"


def _cookie(headers: Headers, name: str) -> str | None:
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                return value
    return None


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
