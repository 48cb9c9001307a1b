"""Cross-site request forgery: every request that could change something must prove it came from our form.

A request with any method but GET, HEAD or OPTIONS is refused (403) before it
reaches a page unless it carries the session's CSRF token, in the form field
``csrf_token`` (HTML forms) or the ``X-CSRF-Token`` header (scripts), and,
when the browser says where it came from (``Origin``, ``Sec-Fetch-Site``),
it came from this site. The refusal happens here, once, for every route, so no
page can forget it, and a refused request writes nothing: the page is never
called.

Form bodies are read here too, bounded in size, and handed to the page already
parsed (:func:`form_data`): URL-encoded forms, or (for the JSON API) a JSON
object whose values are text, numbers, true/false or lists of them, read as
the same fields. The pages upload no files.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY = 64 * 1024
MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

Refusal = Callable[[Scope, int, str], Awaitable[Response]]


def csrf_token(request: Request) -> str:
    """The session's token, made when a page first shows a form."""
    session = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def form_data(request: Request) -> dict[str, list[str]]:
    """The fields of a form posted to this request (checked and parsed by the middleware)."""
    fields: dict[str, list[str]] = request.scope.get("cspr.form", {})
    return fields


def form_value(request: Request, name: str) -> str:
    values = form_data(request).get(name, [])
    return values[0] if values else ""


class CsrfMiddleware:
    """Refuse unsafe requests without the session's token; parse the form of those with it."""

    def __init__(self, app: ASGIApp, refuse: Refusal):
        self.app, self.refuse = app, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(scope, headers):
            await self._refuse(scope, receive, send, 403, "This form was sent from another site, so it was refused.")
            return
        body = await _read_body(receive, MAX_BODY)
        if body is None:
            await self._refuse(scope, receive, send, 413, "The form was too large, so it was refused.")
            return
        fields: dict[str, list[str]] = {}
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if content_type == FORM_TYPE:
                for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS):
                    fields.setdefault(key, []).append(value)
            elif content_type == JSON_TYPE and body.strip():
                fields = json_fields(body)
        except (UnicodeDecodeError, ValueError):
            await self._refuse(scope, receive, send, 400, "The form could not be read, so it was refused.")
            return
        supplied = headers.get(HEADER) or (fields.get(FIELD) or [""])[0]
        expected = scope["session"].get("csrf")
        if not isinstance(expected, str) or not supplied or not hmac.compare_digest(supplied.encode(), expected.encode()):
            await self._refuse(scope, receive, send, 403,
                               "The form had expired or did not come from this service, so nothing was saved. "
                               "Go back, reload the page and try again.")
            return
        scope["cspr.form"] = fields
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response = await self.refuse(scope, status, message)
        await response(scope, receive, send)


def json_fields(body: bytes) -> dict[str, list[str]]:
    """A JSON object as form fields: each value text (numbers and true/false as JSON writes them), a list as
    several values. Anything else (nesting, null, too many fields) is a ValueError."""
    import json

    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or len(data) > MAX_FIELDS:
        raise ValueError("not a JSON object of fields")
    fields: dict[str, list[str]] = {}
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, bool):
                fields.setdefault(key, []).append("yes" if item else "no")
            elif isinstance(item, (str, int, float)):
                fields.setdefault(key, []).append(str(item))
            else:
                raise ValueError(f"field {key!r} is not text")
        fields.setdefault(key, [])
    return fields


def _same_origin(scope: Scope, headers: Headers) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None or origin == "null":
        # No origin given, or hidden: browsers send "null" from pages whose Referrer-Policy is
        # no-referrer, as ours is. Sec-Fetch-Site above and the token still decide.
        return True
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
    return origin.lower() == own


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then whatever the connection says next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
