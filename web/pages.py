"""The definition-only pages: the list of processes, one version of a process, its editions, the diagram.

Each handler gathers the page's data (:mod:`.views`) and hands it to
:func:`respond`, which renders the template for ``/...`` and the JSON for
``/api/...``: one handler serves a page and its twin.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from . import views
from .app_state import state

# A slash sent encoded (%2F) inside one segment of a path, as in a case reference like LSBU/2026/014. Starlette
# routes on the decoded path, where it would split the segment; EncodedSlashes (web/app.py) puts this
# character in its place instead, and path_param gives it back as a slash.
SLASH_IN_SEGMENT = "\x00"


def path_param(request: Request, name: str) -> str:
    """A parameter of the route, with any slash it was sent with (encoded, %2F) restored."""
    value: str = request.path_params[name]
    return value.replace(SLASH_IN_SEGMENT, "/")


def url_path(request: Request) -> str:
    """The request's path for a link back to it: a slash that was sent inside a segment stays encoded."""
    return request.url.path.replace(SLASH_IN_SEGMENT, "%2F")


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def respond(request: Request, template: str, page: dict[str, Any], *, status: int = 200,
            headers: dict[str, str] | None = None, twin: str | None = None) -> Response:
    """The page as JSON at ``/api/...``, else as HTML with a link to its twin (by default ``/api`` + its path)."""
    web = state(request)
    if is_api(request):
        return web.renderer.json(page, status=status, headers=headers)
    twin = twin or views.api(url_path(request)) + (f"?{request.url.query}" if request.url.query else "")
    return web.renderer.html(request, template, page, status=status, json_url=twin, headers=headers)


def redirect(request: Request, url: str) -> Response:
    return RedirectResponse(views.api(url) if is_api(request) else url, status_code=303)


async def home(request: Request) -> Response:
    """The caseload for someone signed in where there are cases; else the processes."""
    web = state(request)
    signed_in = request.scope.get("cspr.user") is not None
    return RedirectResponse("/cases" if signed_in and web.settings.stores is not None else "/processes", status_code=303)


async def healthz(request: Request) -> Response:
    """For load balancers and benchmarks: answers without touching the database or the templates."""
    return PlainTextResponse("ok\n")


async def api_index(request: Request) -> Response:
    web = state(request)
    links = {"processes": "/api/processes", "openapi": "/api/openapi.json"}
    if web.auth is not None:
        links["session"] = "/api/session"
    if web.auth is not None and web.settings.stores is not None:
        links |= {"cases": "/api/cases", "reports": "/api/reports", "users": "/api/users"}
    return web.renderer.json({"links": links, "pages": "every page at /PATH has its data as JSON at /api/PATH"})


async def processes(request: Request) -> Response:
    web = state(request)
    return respond(request, "processes.html", views.processes_page(web.catalog, web.today()))


async def process(request: Request) -> Response:
    """A process without a version: the version in effect today (or the first, if none is yet)."""
    web = state(request)
    process_id = request.path_params["process_id"]
    chosen = web.catalog.in_effect(process_id, web.today()) or web.catalog.versions(process_id)[0]
    return redirect(request, views.version_url(chosen))


async def version(request: Request) -> Response:
    web = state(request)
    definition = web.catalog.get(request.path_params["process_id"], request.path_params["version"])
    return respond(request, "process.html", views.process_page(web.catalog, definition, web.today()))


async def diagram(request: Request) -> Response:
    from cspr.engine.render.svg import process_svg

    web = state(request)
    definition = web.catalog.get(request.path_params["process_id"], request.path_params["version"])
    return Response(process_svg(definition), media_type="image/svg+xml")


async def editions(request: Request) -> Response:
    web = state(request)
    old, new = request.query_params.get("from"), request.query_params.get("to")
    page = views.editions_page(web.catalog, request.path_params["process_id"], old or None, new or None, web.today())
    return respond(request, "editions.html", page, status=400 if page["errors"] else 200)
