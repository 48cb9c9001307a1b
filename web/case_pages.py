"""The case pages and their writes: the caseload, one case, opening a case, recording an event, signing
off, recording facts and notes. Each page has its JSON twin under ``/api``; each write is one form (or
its JSON twin) handled by one function.

A write goes: the signed-in user (or 401/redirect to sign in) → the permission
check (:mod:`.permissions`, 403) → the engine's own command, as the user (the
entry's actor) and in the role they signed as. The engine's refusal
(:class:`~cspr.engine.runtime.case.Refused`) is shown with the same reasons
``cspr`` prints (409), a wrong value as a 400; in every refusal nothing is
written, because the command raises before it writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cspr.engine.casebook import commands
from cspr.engine.casebook.book import Casebook, CaseNotFound
from cspr.engine.errors import CsprError
from cspr.engine.runtime.case import Refused
from cspr.engine.store.interface import StoreError

from . import case_views, forms, permissions
from .accounts import User
from .app_state import Web, state
from .csrf import form_data
from .pages import is_api, path_param, respond, url_path
from .views import api

Fields = dict[str, list[str]]


def signed_in(request: Request) -> User:
    """The signed-in user; else a redirect to sign in (pages) or 401 (the API)."""
    user: User | None = request.scope.get("cspr.user")
    if user is None:
        if is_api(request) or request.method != "GET":
            raise HTTPException(401, "Sign in first")
        raise HTTPException(303, headers={"Location": "/sign-in?next=" + quote(url_path(request), safe="/")})
    return user


def casebook(web: Web, user: User | None) -> Casebook:
    """A Casebook on this thread's store, as of the application's day, acting as the signed-in user."""
    assert web.settings.stores is not None
    return Casebook(web.settings.stores.get(), web.today(), actor=user.name if user else None)


async def read(request: Request, work: Callable[[Casebook], Any]) -> Any:
    web = state(request)
    user = signed_in(request)

    def run() -> Any:
        if web.settings.stores is None or not web.settings.stores.exists():
            raise CaseNotFound("there are no cases yet")
        return work(casebook(web, user))
    try:
        return await run_in_threadpool(run)
    except CaseNotFound as exc:
        raise HTTPException(404, str(exc)) from None


# --- pages ----------------------------------------------------------------------------------------------


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


async def caseload(request: Request) -> Response:
    q = request.query_params
    page = await read(request, lambda book: case_views.caseload_page(
        book, stage=q.get("stage"), state=q.get("state"), party=q.get("party"), due=q.get("due"),
        page=_int(q.get("page"), 1)))
    return respond(request, "caseload.html", page)


async def case(request: Request, *, errors: dict[str, Any] | None = None, status: int = 200) -> Response:
    ref = path_param(request, "ref")
    user = request.scope.get("cspr.user")
    page = await read(request, lambda book: case_views.case_page(book, ref, user))
    page["flash"] = request.session.pop("flash", None) if "flash" in request.session else None
    page["refusal"] = errors
    return respond(request, "case.html", page, status=status, twin=api(case_views.case_url(ref)))


async def timeline(request: Request) -> Response:
    ref = path_param(request, "ref")
    svg = await read(request, lambda book: case_views.timeline(book, ref))
    return Response(svg, media_type="image/svg+xml")


async def diagram(request: Request) -> Response:
    from cspr.engine.render.svg import process_svg

    ref = path_param(request, "ref")

    def draw(book: Casebook) -> str:
        found = book.load(ref)
        return process_svg(found.definition, highlight=found.state)
    return Response(await read(request, draw), media_type="image/svg+xml")


async def new_case(request: Request) -> Response:
    signed_in(request)
    web = state(request)
    return respond(request, "open_case.html", open_form(web, request.scope["cspr.user"], {}, None))


def open_form(web: Web, user: User, posted: Fields, errors: dict[str, Any] | None) -> dict[str, Any]:
    """The form to open a case under each process in effect today, with the opening facts each asks for."""
    processes = []
    for process_id in web.catalog.ids():
        d = web.catalog.in_effect(process_id, web.today())
        if d is None:
            continue
        roles = permissions.held(user, d, permissions.recording_roles(d))
        processes.append({
            "id": d.id, "title": d.title, "version": d.version,
            "example": d.reference.example if d.reference else None,
            "fields": forms.fields(d, d.opening.facts),
            "roles": [{"value": r, "label": d.roles[r].name} for r in roles],
        })
    return {"today": web.today(), "processes": processes, "posted": {k: v[-1] for k, v in posted.items() if v},
            "refusal": errors}


# --- writes ---------------------------------------------------------------------------------------------


async def write(request: Request, work: Callable[[Casebook, User, Fields], tuple[str, str]],
                on_error: Callable[[Request, dict[str, Any], int], Awaitable[Response]]) -> Response:
    """Run one write as the signed-in user; ``work`` returns (message, where to go next)."""
    web = state(request)
    user = signed_in(request)
    fields = form_data(request)

    def run() -> tuple[str, str]:
        stores = web.settings.stores
        if stores is None or not stores.exists():
            raise CaseNotFound("there is no database yet: add users with 'cspr user add' first")
        with stores.writing():
            return work(casebook(web, user), user, fields)
    try:
        message, where = await run_in_threadpool(run)
    except StoreError as exc:
        return await on_error(request, {"message": f"{exc}; nothing was changed, try again", "reasons": []}, 503)
    except permissions.Forbidden as exc:
        return await on_error(request, {"message": str(exc), "reasons": []}, 403)
    except CaseNotFound as exc:
        return await on_error(request, {"message": str(exc), "reasons": []}, 404)
    except Refused as exc:
        return await on_error(request, {"message": str(exc), "reasons": [b.message for b in exc.blockers]}, 409)
    except CsprError as exc:
        return await on_error(request, {"message": str(exc), "reasons": []}, 400)
    if is_api(request):
        return web.renderer.json({"ok": True, "message": message, "case": where,
                                  "json": api(where)}, status=201)
    request.session["flash"] = message
    return RedirectResponse(where, status_code=303)


async def _case_refused(request: Request, refusal: dict[str, Any], status: int) -> Response:
    if is_api(request) or status in (404, 503):
        return _error(request, refusal, status)
    return await case(request, errors=refusal, status=status)


def _error(request: Request, refusal: dict[str, Any], status: int) -> Response:
    from .app import render_error

    web = state(request)
    if is_api(request):
        return web.renderer.json({"error": {"status": status, **refusal}}, status=status)
    return render_error(web.renderer, request, status, refusal["message"] + (
        ": " + "; ".join(refusal["reasons"]) if refusal["reasons"] else ""))


async def _open_refused(request: Request, refusal: dict[str, Any], status: int) -> Response:
    if is_api(request) or status == 503:
        return _error(request, refusal, status)
    web = state(request)
    page = open_form(web, request.scope["cspr.user"], form_data(request), refusal)
    return respond(request, "open_case.html", page, status=status)


def _definition_for_open(book: Casebook, fields: Fields, web: Web) -> Any:
    from cspr.engine.errors import InputError

    process_id = forms.one(fields, "process") or (web.catalog.ids()[0] if len(web.catalog.ids()) == 1 else None)
    if process_id is None:
        raise InputError("choose the process the case follows")
    opened_on = forms.date_posted(fields, "opened_on") or book.today
    d = web.catalog.in_effect(process_id, opened_on)
    if d is None:
        raise InputError(f"no version of {process_id} is in effect on {opened_on.isoformat()}")
    return d, opened_on


async def open_case(request: Request) -> Response:
    web = state(request)

    def work(book: Casebook, user: User, fields: Fields) -> tuple[str, str]:
        from cspr.engine.errors import InputError

        d, opened_on = _definition_for_open(book, fields, web)
        role = permissions.may_write(user, d, forms.one(fields, "role"), "open a case")
        ref = forms.one(fields, "ref")
        if ref is None:
            raise InputError("enter the case reference")
        commands.open_case(book, ref, d, opened_on, forms.facts_posted(d, fields), note=forms.one(fields, "note"),
                           by=role)
        return f"Case {ref} opened", case_views.case_url(ref)
    return await write(request, work, _open_refused)


def _load_definition(book: Casebook, ref: str) -> Any:
    return book.load(ref).definition


async def record_event(request: Request) -> Response:
    ref = path_param(request, "ref")

    def work(book: Casebook, user: User, fields: Fields) -> tuple[str, str]:
        from cspr.engine.errors import InputError

        d = _load_definition(book, ref)
        event = forms.one(fields, "event")
        if event is None:
            raise InputError("choose the step to record")
        role = permissions.may_record(user, d, event, forms.one(fields, "role"))
        commands.record(book, ref, event, forms.date_posted(fields), by=role, values=forms.facts_posted(d, fields),
                        note=forms.one(fields, "note"))
        return f"Recorded: {d.events[event].title}", case_views.case_url(ref)
    return await write(request, work, _case_refused)


async def sign_off(request: Request) -> Response:
    ref = path_param(request, "ref")

    def work(book: Casebook, user: User, fields: Fields) -> tuple[str, str]:
        from cspr.engine.errors import InputError

        found = book.load(ref)
        d = found.definition
        role = forms.one(fields, "role")
        if role is None:
            raise InputError("choose the role you sign off as")
        party = permissions.may_sign_off(user, d, role, found.parties.get(role, []))
        commands.signoff(book, ref, role, forms.date_posted(fields), note=forms.one(fields, "note"), party=party)
        return f"Signed off as {party or d.roles[role].name}", case_views.case_url(ref)
    return await write(request, work, _case_refused)


async def record_facts(request: Request) -> Response:
    ref = path_param(request, "ref")

    def work(book: Casebook, user: User, fields: Fields) -> tuple[str, str]:
        d = _load_definition(book, ref)
        role = permissions.may_write(user, d, forms.one(fields, "role"), "record facts")
        commands.set_facts(book, ref, forms.facts_posted(d, fields), on=forms.date_posted(fields), by=role,
                           note=forms.one(fields, "note"))
        return "Facts recorded", case_views.case_url(ref)
    return await write(request, work, _case_refused)


async def record_note(request: Request) -> Response:
    ref = path_param(request, "ref")

    def work(book: Casebook, user: User, fields: Fields) -> tuple[str, str]:
        d = _load_definition(book, ref)
        role = permissions.may_write(user, d, forms.one(fields, "role"), "add a note")
        commands.note(book, ref, forms.one(fields, "note") or "", forms.date_posted(fields), by=role)
        return "Note added", case_views.case_url(ref)
    return await write(request, work, _case_refused)
