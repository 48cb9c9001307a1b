"""Security headers on every response, and the Host header checked against the hosts served.

Both are plain ASGI middleware wrapped *around* the Starlette application, so
they also cover the responses Starlette makes on its own (a 404, a 405, the
page for an unexpected error) and the refusals of the session and CSRF layers.

The policy allows our own stylesheet and images and nothing else: no script at
all (the pages need none), no inline style, no framing, no form posted to
another site, no ``<base>``. Browsers send no referrer, do not guess content
types, and over TLS remember to use it (HSTS).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "style-src 'self'; "
    "img-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'none'"
)

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Add the security headers to every HTTP response; pages are never cached, our assets are."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        static = scope.get("path", "").startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                # Assets carry their content hash in the URL (?v=...), so they may be kept;
                # everything else may one day show case data and is never stored.
                cache = b"public, max-age=31536000, immutable" if static else b"no-store"
                message = {**message, "headers": headers + extra + [(b"cache-control", cache)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_OURS = {name for name, _ in HEADERS} | {HSTS[0], b"cache-control"}


class HostCheck:
    """Refuse a request whose Host header is not one of ours (a defence against DNS rebinding).

    ``allowed`` holds host names without ports; None allows any host (a server
    bound to every interface, behind a proxy that checks the host itself).
    """

    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None):
        self.app = app
        self.allowed = None if allowed is None else {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.allowed is not None:
            host = Headers(scope=scope).get("host", "")
            if host_name(host) not in self.allowed:
                await _plain(send, 400, "Bad request: this server does not answer for that host name.\n")
                return
        await self.app(scope, receive, send)


def host_name(host: str) -> str:
    """``example.org:8000`` → ``example.org``; ``[::1]:8000`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
