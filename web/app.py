"""The ASGI application: routes, the request machinery around them, and error pages.

From the outside in, every request passes through:

1. :class:`~.security.SecurityHeaders`: headers on every response, whoever makes it;
2. :class:`~.security.HostCheck`: only the host names this server is for;
3. :class:`~.sessions.SessionMiddleware`: the signed session cookie;
4. :class:`CurrentUser`: who is signed in, looked up in the directory each time;
5. :class:`~.csrf.CsrfMiddleware`: no write without the session's token;
6. :class:`EncodedSlashes`: a slash sent as %2F stays inside its segment (a case reference may hold one);
7. Starlette's router and the page.

Routes come in pairs, a page and its JSON twin under ``/api``, served by one handler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from cspr.engine.errors import ProcessNotFound

from . import account_pages, case_pages, pages, report_pages, user_pages
from .accounts import Authenticator
from .app_state import Web
from .csrf import CsrfMiddleware
from .pages import SLASH_IN_SEGMENT
from .rendering import STATIC, Renderer
from .security import HostCheck, SecurityHeaders
from .sessions import SessionCodec, SessionMiddleware
from .settings import Settings

ERROR_TITLES = {
    400: "There is a problem with the request", 403: "You cannot do that", 404: "Page not found",
    405: "That cannot be done to this page", 413: "The request was too large",
    503: "The service is busy", 500: "Sorry, there is a problem with the service",
}


def paired(path: str, endpoint: Any, methods: list[str] | None = None) -> list[Route]:
    """A page at ``path`` and its JSON twin at ``/api`` + ``path``."""
    return [Route(path, endpoint, methods=methods), Route("/api" + path, endpoint, methods=methods)]


def routes(with_sign_in: bool, with_users: bool | None = None, with_cases: bool = False) -> list[BaseRoute]:
    """The routes of an application; ``with_sign_in``: the sign-in pages (local accounts); ``with_users``: who is
    signed in (``/api/session``), also behind a single sign-on proxy; ``with_cases``: the case pages, reports and
    users (there is a database)."""
    table: list[BaseRoute] = [
        Route("/", pages.home),
        Route("/healthz", pages.healthz),
        Route("/api", pages.api_index),
        *paired("/processes", pages.processes),
        *paired("/processes/{process_id}", pages.process),
        *paired("/processes/{process_id}/editions", pages.editions),
        *paired("/processes/{process_id}/versions/{version}", pages.version),
        Route("/processes/{process_id}/versions/{version}/diagram.svg", pages.diagram),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if with_sign_in:
        table += [
            Route("/sign-in", account_pages.sign_in_form, methods=["GET"]),
            Route("/sign-in", account_pages.sign_in, methods=["POST"]),
            Route("/sign-out", account_pages.sign_out, methods=["POST"]),
        ]
    if with_sign_in if with_users is None else with_users:
        table.append(Route("/api/session", account_pages.session, methods=["GET"]))
    if with_cases:
        table += case_routes()
    table.append(Route("/api/openapi.json", openapi_document))
    return table


def case_routes() -> list[BaseRoute]:
    """The caseload, the case pages and their writes, reports and users: each page with its JSON twin."""
    get, post = ["GET"], ["POST"]
    return [
        *paired("/cases", case_pages.caseload, get),
        *paired("/cases", case_pages.open_case, post),
        Route("/cases/new", case_pages.new_case, methods=get),
        *paired("/cases/{ref}", case_pages.case, get),
        *paired("/cases/{ref}/events", case_pages.record_event, post),
        *paired("/cases/{ref}/signoffs", case_pages.sign_off, post),
        *paired("/cases/{ref}/facts", case_pages.record_facts, post),
        *paired("/cases/{ref}/notes", case_pages.record_note, post),
        Route("/cases/{ref}/timeline.svg", case_pages.timeline, methods=get),
        Route("/cases/{ref}/diagram.svg", case_pages.diagram, methods=get),
        *paired("/reports", report_pages.reports, get),
        Route("/reports/{name}.csv", report_pages.spreadsheet, methods=get),
        Route("/reports/deadlines.ics", report_pages.calendar_file, methods=get),
        *paired("/users", user_pages.users, get),
        *paired("/users", user_pages.add_user, post),
        *paired("/users/{name}/disable", user_pages.disable_user, post),
    ]


async def openapi_document(request: Request) -> Response:
    from .openapi import document

    return state_of(request).renderer.json(document(state_of(request).settings.stores is not None))


def state_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def create_app(settings: Settings) -> ASGIApp:
    renderer = Renderer(settings.service_name, cases_enabled=settings.stores is not None)
    auth = None
    if settings.directory is not None:
        auth = Authenticator(settings.directory, settings.throttle, settings.password_hasher)
    web = Web(settings, renderer, auth)

    async def error_page(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ProcessNotFound):
            status, message, headers = 404, str(exc), None
        elif isinstance(exc, HTTPException):
            status, headers = exc.status_code, exc.headers
            message = "" if exc.detail == _default_detail(status) else str(exc.detail)
        else:
            status, message, headers = 500, "The error has been logged. Try again later.", None
        return render_error(renderer, request, status, message, headers)

    async def refuse(scope: Scope, status: int, message: str) -> Response:
        return render_error(renderer, Request(scope), status, message)

    app = Starlette(
        routes=routes(with_sign_in=auth is not None and settings.trusted_header is None, with_users=auth is not None,
                      with_cases=settings.stores is not None and auth is not None),
        exception_handlers={HTTPException: error_page, ProcessNotFound: error_page, Exception: error_page},
    )
    app.state.web = web
    stack: ASGIApp = CsrfMiddleware(EncodedSlashes(app), refuse)
    stack = CurrentUser(stack, auth, settings.trusted_header)
    stack = SessionMiddleware(stack, SessionCodec(settings.session_key))
    stack = HostCheck(stack, settings.allowed_hosts)
    return SecurityHeaders(stack)


def _default_detail(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def render_error(renderer: Renderer, request: Request, status: int, message: str,
                 headers: Mapping[str, str] | None = None) -> Response:
    title = ERROR_TITLES.get(status, _default_detail(status))
    page = {"status": status, "title": title, "message": message}
    extra = dict(headers or {})
    if pages.is_api(request):
        return renderer.json({"error": page}, status=status, headers=extra)
    return renderer.html(request, "error.html", page, status=status, headers=extra)


class EncodedSlashes:
    """Route a slash sent encoded (%2F) as part of one segment, not as a separator: a case reference may hold
    slashes (LSBU/2026/014), and its pages are at /cases/LSBU%2F2026%2F014. The router sees
    :data:`~.pages.SLASH_IN_SEGMENT` in its place, and :func:`~.pages.path_param` gives the slash back."""

    ENCODED = re.compile(rb"%2f", re.IGNORECASE)

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and self.ENCODED.search(raw):
            path = SLASH_IN_SEGMENT.join(unquote(part.decode("latin-1")) for part in self.ENCODED.split(raw))
            scope = {**scope, "path": path}  # raw_path holds any root_path too, as path does
        await self.app(scope, receive, send)


class CurrentUser:
    """Put the signed-in user (or None) on the request as ``scope["cspr.user"]``.

    With a ``trusted_header`` (``--auth trusted-header``) the user is whoever the
    single sign-on proxy names in that header, if the directory has them and
    they are not disabled; otherwise whoever the session says signed in.
    """

    def __init__(self, app: ASGIApp, auth: Authenticator | None, trusted_header: str | None = None):
        self.app, self.auth, self.trusted_header = app, auth, trusted_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.auth is not None and self.trusted_header is not None:
            from starlette.datastructures import Headers

            scope["cspr.sign_in"] = False
            name = Headers(scope=scope).get(self.trusted_header, "").strip()
            scope["cspr.user"] = await run_in_threadpool(self.auth.header_user, name) if name else None
        elif scope["type"] == "http":
            scope["cspr.sign_in"] = self.auth is not None
            session = scope["session"]
            user = None
            if self.auth is not None and "user" in session:
                # the directory may be a database: ask it from a worker thread, not the event loop
                user = await run_in_threadpool(self.auth.session_user, session)
            if user is None and "user" in session:
                session.renew()  # signed in as an account that is gone, disabled, or signed in again since
            scope["cspr.user"] = user
        await self.app(scope, receive, send)
