"""Case parties: naming the organisation that fills a role of a case, after it was opened (language 2).

``cspr case party REF ROLE=NAME``. A case names its parties when it is opened
(``--party``); this records one named, or corrected, later (e.g. once it is
known which local authority the incident happened in). It is an entry of the
history: who named it, when, and which organisation it replaced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Blocker, Refused
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.runtime.parties import organisation


def name(book: Any, ref: str, assignment: str, on: dt.date | None = None, note: str | None = None) -> dict[str, Any]:
    """Name the organisation ``ROLE=NAME`` for case ``ref``; return what was recorded."""
    on = on or book.today
    role, sep, text = assignment.partition("=")
    role = role.strip()
    if not sep or not role:
        raise InputError(f"{assignment!r}: write ROLE=NAME")
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        named = organisation(d, role, text)
        current = case.parties.get(role) or []
        if named in current:
            raise Refused(ref, f"{named} as {d.roles[role].name}", [Blocker("state", f"{named} is already named")])
        replaces = None if d.parties[role].multiple or not current else current[0]
        book.check_date(case, on, RecordKind.PARTY)
        data = {"role": role, "organisation": named, "replaces": replaces}
        book.append(case, RecordKind.PARTY, on, name=role, role=role, note=note, data=data)
    return {"ref": ref, **data, "on": on}
