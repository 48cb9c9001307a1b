"""Signing in and out, and the session's JSON twin (who is signed in, and the token scripts send).

These routes exist only when the application has a user directory. A failed
attempt shows the same message whatever was wrong (:mod:`.accounts`); a
successful one starts a new session, so nothing from before sign-in (a
fixated cookie, an old CSRF token) survives it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .app_state import state
from .csrf import csrf_token, form_value
from .pages import respond
from .sessions import Session


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (``//host``, ``/\\host``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n\\"):
        return "/"
    return target


def _page(request: Request, *, name: str = "", errors: dict[str, str] | None = None, next_url: str = "/",
          signed_out: bool = False) -> dict[str, object]:
    user = request.scope.get("cspr.user")
    return {"name": name, "errors": errors or {}, "next": next_url, "signed_out": signed_out,
            "user": user.as_dict() if user else None}


async def sign_in_form(request: Request) -> Response:
    page = _page(request, next_url=safe_next(request.query_params.get("next")),
                 signed_out="signed-out" in request.query_params)
    return respond(request, "sign_in.html", page, twin="/api/session")


async def sign_in(request: Request) -> Response:
    web = state(request)
    assert web.auth is not None
    name, password = form_value(request, "name"), form_value(request, "password")
    next_url = safe_next(form_value(request, "next"))
    client = request.client.host if request.client else "unknown"
    result = await run_in_threadpool(web.auth.sign_in, name, password, client)
    if result.user is None:
        status, headers = (429, {"Retry-After": str(result.retry_after)}) if result.retry_after else (400, None)
        return respond(request, "sign_in.html", _page(request, name=name.strip(), errors=result.errors,
                                                      next_url=next_url), status=status, headers=headers, twin="/api/session")
    web.auth.start_session(request.session, result.user)
    return RedirectResponse(next_url, status_code=303)


async def sign_out(request: Request) -> Response:
    session: Session = request.scope["session"]
    session.renew()
    return RedirectResponse("/sign-in?signed-out", status_code=303)


async def session(request: Request) -> Response:
    """Who is signed in, and the CSRF token a script must send (``X-CSRF-Token``) with a write."""
    user = request.scope.get("cspr.user")
    return state(request).renderer.json({"user": user.as_dict() if user else None, "csrf_token": csrf_token(request)})
