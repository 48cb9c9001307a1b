"""A page's data as HTML (Jinja2 templates, autoescaped) or as its JSON twin.

Every page is built in two steps: a view function gathers the page's data as
plain JSON-ready values, then this module renders those values either through
a template (``/...``) or as JSON (``/api/...``). The twin therefore carries
exactly what the page shows, and a test can compare them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STYLESHEET = "cspr.css"


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default).encode("utf-8") + b"\n"


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


class Renderer:
    """The templates of one application."""

    def __init__(self, service_name: str, cases_enabled: bool = False):
        self.cases_enabled = cases_enabled
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
        )
        stylesheet = (STATIC / STYLESHEET).read_bytes()
        self.env.globals.update(
            service_name=service_name,
            stylesheet_url=f"/static/{STYLESHEET}?v={hashlib.sha256(stylesheet).hexdigest()[:12]}",
        )
        self.env.filters["plural"] = plural

    def html(self, request: Request, template: str, page: dict[str, Any], *, status: int = 200,
             json_url: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
        from .csrf import csrf_token

        context = {
            "request": request, "page": page, "json_url": json_url,
            "user": request.scope.get("cspr.user"), "sign_in_enabled": request.scope.get("cspr.sign_in", False),
            "csrf_token": lambda: csrf_token(request),
            "cases_enabled": self.cases_enabled,
        }
        body = self.env.get_template(template).render(context)
        return HTMLResponse(body, status_code=status, headers=headers)

    @staticmethod
    def json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(data, status_code=status, headers=headers)


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``3 differences``, ``1 difference``."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"
