"""The JSON API described by OpenAPI 3.1 (served at ``/api/openapi.json``), for the partners' own systems.

Every page's JSON twin is a GET under ``/api``; every write is a POST under
``/api`` taking a JSON object (or the same fields URL-encoded) with the
session cookie and the ``X-CSRF-Token`` header that ``GET /api/session``
returns. Facts are fields named ``fact.ID`` (see ``GET /api/processes/...``
for the ids and their values). The suite fuzzes the API against this
document (tests/test_web_api.py).
"""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string", "maxLength": 4000}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["status"], "properties": {
        "status": {"type": "integer"}, "title": {"type": "string"}, "message": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}}}}}}
_DONE = {"type": "object", "required": ["ok", "message"], "properties": {
    "ok": {"const": True}, "message": {"type": "string"}, "case": {"type": "string"}, "json": {"type": "string"}}}
_PAGE = {"type": "object"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "A value is not accepted; nothing was written", 401: "Not signed in",
             403: "Not allowed for the signed-in user, or no CSRF token; nothing was written",
             404: "No such case or page", 409: "The process does not allow it now (the reasons say why); nothing was written",
             413: "The request was too large", 503: "The database is busy or unavailable; nothing was written"}
    return {str(c): _json(_ERROR, words[c]) for c in codes}


def _get(summary: str, *, params: tuple[str, ...] = (), query: dict[str, dict[str, Any]] | None = None,
         errors: tuple[int, ...] = (401, 404)) -> dict[str, Any]:
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                         "pattern": "^[A-Za-z0-9._-]+$"}} for p in params]
    parameters += [{"name": k, "in": "query", "required": False, "schema": v} for k, v in (query or {}).items()]
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": _json(_PAGE, "The page's data"), **_errors(*errors)}}}


def _post(summary: str, fields: dict[str, Any], required: list[str], *, params: tuple[str, ...] = ()) -> dict[str, Any]:
    body = {"type": "object", "properties": fields, "required": required,
            "patternProperties": {r"^fact\.[a-z_][a-z0-9_]*$": {"anyOf": [
                _TEXT, {"type": "array", "items": _TEXT, "maxItems": 20}, {"type": "integer"}, {"type": "boolean"}]}},
            "additionalProperties": False}
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                         "pattern": "^[A-Za-z0-9._-]+$"}} for p in params]
    return {"post": {
        "summary": summary, "parameters": parameters,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body},
                                                      "application/x-www-form-urlencoded": {"schema": body}}},
        "responses": {"201": _json(_DONE, "Recorded"), **_errors(400, 401, 403, 404, 409, 413, 503)},
    }}


_DATE = {"type": "string", "format": "date"}
_ON = {"on": _DATE, "note": _TEXT, "role": {"type": "string", "maxLength": 100}}


def document(with_cases: bool = True) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/processes": _get("The processes served, and their versions", errors=()),
        "/api/processes/{process_id}/versions/{version}": _get(
            "One version of a process: roles, facts, criteria, deadlines with citations",
            params=("process_id", "version"), errors=(404,)),
        "/api/processes/{process_id}/editions": _get(
            "The differences between two versions", params=("process_id",),
            query={"from": {"type": "string"}, "to": {"type": "string"}}, errors=(400, 404)),
    }
    if with_cases:
        paths |= {
            "/api/session": _get("Who is signed in, and the CSRF token to send as X-CSRF-Token", errors=()),
            "/api/cases": {
                **_get("The caseload: open cases, overdue first", query={
                    "stage": {"type": "string"}, "state": {"type": "string"}, "party": {"type": "string"},
                    "due": {"enum": ["", "week"]}, "page": {"type": "integer", "minimum": 1}}, errors=(401,)),
                **_post("Open a case", {"ref": {"type": "string", "maxLength": 64}, "process": {"type": "string"},
                                        "opened_on": _DATE, **_ON}, ["ref"]),
            },
            "/api/cases/{ref}": _get("One case: state, deadlines, next steps, sign-offs, facts, criteria, history",
                                     params=("ref",)),
            "/api/cases/{ref}/events": _post("Record a step of the process", {"event": {"type": "string"}, **_ON},
                                             ["event"], params=("ref",)),
            "/api/cases/{ref}/signoffs": _post("Sign off the step at hand as a role you hold",
                                               {"role": {"type": "string"}, "on": _DATE, "note": _TEXT}, ["role"],
                                               params=("ref",)),
            "/api/cases/{ref}/facts": _post("Record or correct facts", dict(_ON), [], params=("ref",)),
            "/api/cases/{ref}/notes": _post("Add a note", dict(_ON), ["note"], params=("ref",)),
            "/api/reports": _get("Timeliness and the caseload overview",
                                 query={"by": {"enum": ["", "month", "quarter", "year"]}}, errors=(401,)),
            "/api/users": {
                **_get("Every user (admins only)", errors=(401, 403)),
                **_post("Add a user (admins only)", {"name": {"type": "string"}, "password": {"type": "string"},
                                                     "role": {"type": "array", "items": {"type": "string"}},
                                                     "party": {"type": "string"}}, ["name", "password", "role"]),
            },
            "/api/users/{name}/disable": _post("Disable a user (admins only)", {}, [], params=("name",)),
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "cspr case reviews", "version": "1",
                 "description": __doc__.split("\n\n", 1)[1].strip() if __doc__ else ""},
        "paths": paths,
        "components": {"securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "cspr_session"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}}},
        "security": [{"session": [], "csrf": []}],
    }
