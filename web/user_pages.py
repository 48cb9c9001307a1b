"""Managing users in the browser (admins only): the list of accounts, adding one, disabling one.

The same operations as ``cspr user add|disable|list``, through the engine's
:class:`~cspr.engine.casebook.accounts.Accounts`; anyone else gets 403 and
nothing changes.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cspr.engine.casebook.accounts import Accounts, assignable_roles
from cspr.engine.errors import CsprError

from . import permissions
from .app_state import Web, state
from .case_pages import Fields, signed_in
from .csrf import form_data
from .pages import is_api, path_param, respond


def _accounts(web: Web) -> Accounts:
    assert web.settings.stores is not None
    return Accounts(web.settings.stores.get())


def users_page(web: Web, refusal: dict[str, Any] | None = None, posted: Fields | None = None) -> dict[str, Any]:
    roles = assignable_roles(web.catalog)
    return {"users": [a.as_dict() for a in _accounts(web).listing()],
            "roles": [{"value": k, "label": v} for k, v in roles.items()],
            "posted": {k: v for k, v in (posted or {}).items() if k != "password"}, "refusal": refusal}


async def users(request: Request, refusal: dict[str, Any] | None = None, status: int = 200) -> Response:
    web = state(request)
    user = signed_in(request)
    try:
        permissions.may_manage_users(user)
    except permissions.Forbidden as exc:
        return _refused(request, str(exc), 403)
    page = await run_in_threadpool(users_page, web, refusal, form_data(request) if refusal else None)
    page["flash"] = request.session.pop("flash") if "flash" in request.session else None
    return respond(request, "users.html", page, status=status, twin="/api/users")


def _refused(request: Request, message: str, status: int) -> Response:
    from .app import render_error

    return render_error(state(request).renderer, request, status, message)


async def _change(request: Request, work: Any) -> Response:
    web = state(request)
    user = signed_in(request)
    try:
        permissions.may_manage_users(user)
    except permissions.Forbidden as exc:
        return _refused(request, str(exc), 403)
    def run() -> str:
        assert web.settings.stores is not None
        with web.settings.stores.writing():
            return str(work(web, form_data(request)))
    try:
        message = await run_in_threadpool(run)
    except CsprError as exc:
        if is_api(request):
            return web.renderer.json({"error": {"status": 400, "message": str(exc), "reasons": []}}, status=400)
        return await users(request, {"message": str(exc), "reasons": []}, 400)
    if is_api(request):
        return web.renderer.json({"ok": True, "message": message}, status=201)
    request.session["flash"] = message
    return RedirectResponse("/users", status_code=303)


async def add_user(request: Request) -> Response:
    def work(web: Web, fields: Fields) -> str:
        name = (fields.get("name") or [""])[-1]
        party = (fields.get("party") or [""])[-1].strip() or None
        account = _accounts(web).add(name, (fields.get("password") or [""])[-1], fields.get("role", []), party,
                                     assignable_roles(web.catalog), web.settings.password_hasher)
        return f"Added user {account.name}"
    return await _change(request, work)


async def disable_user(request: Request) -> Response:
    name = path_param(request, "name")

    def work(web: Web, fields: Fields) -> str:
        _accounts(web).disable(name)
        return f"Disabled user {name}"
    return await _change(request, work)
