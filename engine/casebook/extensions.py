"""Extensions: a later due date agreed for a deadline, by a role the process names, for a reason.

``cspr case extend REF DEADLINE --to DATE --by ROLE --reason TEXT``. The
process says which deadlines may be extended and who may agree it
(``extension: {agreed_by: ...}``, language 2). The agreement is an entry of
the case's history like any other (who agreed: the role, as the case names
it; when: the entry's date; why: its note), so it is hashed, dated and
attributed; the statutory due date stays beside the agreed one everywhere a
deadline is shown, and reports count against both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Blocker, Refused, unknown_role
from cspr.engine.runtime.clock import key_parts
from cspr.engine.runtime.deadlines import deadline_timings
from cspr.engine.runtime.kinds import RecordKind

MAX_REASON = 2000


def extend(book: Any, ref: str, key: str, to: dt.date, by: str, reason: str, on: dt.date | None = None) -> dict[str, Any]:
    """Extend deadline ``key`` of case ``ref`` to ``to``, as agreed by role ``by``; return what was recorded."""
    on = on or book.today
    reason = reason.strip()
    if not reason:
        raise InputError("say why the deadline is extended with --reason (e.g. the agreement's reference)")
    if len(reason) > MAX_REASON:
        raise InputError(f"the reason is {len(reason)} characters; at most {MAX_REASON} are allowed")
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        deadline_id, number, task = key_parts(key)
        deadline = d.deadlines.get(deadline_id)
        if deadline is None or task is not None:
            known = ", ".join(d.deadlines) or "none"
            raise InputError(f"{d.label} has no deadline {key!r} (its deadlines: {known})")
        if by not in d.roles:
            raise unknown_role(d, by)
        timings = deadline_timings(case, deadline)
        if number is None:  # the deadline itself, or the cycle still running
            timing = next((t for t in reversed(timings) if t.open), timings[-1])
        else:
            found = next((t for t in timings if t.deadline == key), None)
            if found is None:
                raise InputError(f"{deadline.title} has no cycle {number} in {ref} ({len(timings)} so far)")
            timing = found
        blockers = []
        if deadline.extension is None:
            blockers.append(Blocker("state", f"{d.label} does not provide for extending '{deadline.title}'"))
        elif by not in deadline.extension.agreed_by:
            names = ", ".join(f"{case.who(r)} ({r})" for r in deadline.extension.agreed_by)
            blockers.append(Blocker("role", f"{case.who(by)} may not agree it; an extension is agreed by {names}"))
        if timing.met_on is not None:
            blockers.append(Blocker("state", f"'{timing.title}' was met on {timing.met_on.isoformat()}"))
        elif timing.paused_since is not None:
            blockers.append(Blocker("state", f"the clock of '{timing.title}' is stopped since "
                                             f"{timing.paused_since.isoformat()}; extend it once it runs again"))
        elif timing.due is None:
            blockers.append(Blocker("state", f"'{timing.title}' has not started ({timing.reason})"))
        elif not timing.applicable:
            blockers.append(Blocker("state", f"'{timing.title}' does not apply ({timing.reason})"))
        elif to <= timing.due:
            blockers.append(Blocker("date", f"{to.isoformat()} is not after the due date in force "
                                            f"({timing.due.isoformat()}); an extension only makes a deadline later"))
        if blockers:
            raise Refused(ref, f"an extension of '{deadline.title}'", blockers)
        book.check_date(case, on, RecordKind.EXTENDED)
        assert timing.due is not None
        data = {"deadline": timing.deadline, "to": to.isoformat(), "from": timing.due.isoformat(),
                "statutory": (timing.statutory_due or timing.due).isoformat()}
        book.append(case, RecordKind.EXTENDED, on, name=timing.deadline, role=by, note=reason, data=data)
    return {"ref": ref, "deadline": timing.deadline, "title": timing.title, "agreed_by": by,
            "agreed_by_name": case.who(by), "on": on, **data}
