"""Case parties and tasks: which organisation fills a role in one case, and the work each party owes.

A process (language 2) lists under ``parties`` the roles that each case binds
to a named organisation (which local authority, which police force, which
agencies), with the organisations allowed or any name; under ``tasks`` the
kinds of work each party of a role does in parallel, one task per party.

This module turns what a user typed into a checked organisation name, applies
``party`` and ``task_*`` records to a case, and says who must sign off a step
when a role is filled by several organisations (each of them) or only under a
condition (``{role: x, when: RULE}``). Nothing here knows any process.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from cspr.engine.definition.model import Definition, Event, PartySpec
from cspr.engine.errors import InputError

from .kinds import RecordKind, TaskStatus

if TYPE_CHECKING:
    from .case import Blocker, Case, Record

MAX_NAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def organisation(definition: Definition, role: str, name: str) -> str:
    """The organisation ``name`` names for ``role``, checked against what the process allows."""
    spec = definition.parties.get(role)
    if spec is None:
        parties = ", ".join(definition.parties) or "none"
        raise InputError(f"{definition.label} does not name organisations for {role!r} (its parties: {parties})")
    text = " ".join(name.split())
    if not text:
        raise InputError(f"--party {role}=: give the organisation's name")
    if spec.organisations:
        for allowed in spec.organisations:
            if allowed.casefold() == text.casefold():
                return allowed
        close = difflib.get_close_matches(text, list(spec.organisations), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"{text!r} is not one of the organisations {definition.label} allows for "
                         f"{definition.roles[role].name} ({role}): {', '.join(spec.organisations)}{hint}")
    if len(text) > MAX_NAME or _CONTROL.search(text):
        raise InputError(f"--party {role}=...: a name of 1 to {MAX_NAME} printable characters")
    return text


def parse_parties(definition: Definition, assignments: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """``["ROLE=NAME", ...]`` -> the organisations named for each role, checked."""
    out: dict[str, list[str]] = {}
    for text in assignments:
        role, sep, name = text.partition("=")
        role = role.strip()
        if not sep or not role:
            raise InputError(f"--party {text!r}: write ROLE=NAME, e.g. --party {next(iter(definition.parties), 'role')}=\"Name\"")
        named = organisation(definition, role, name)
        spec = definition.parties[role]
        if out.get(role) and not spec.multiple:
            raise InputError(f"--party {role}: {definition.roles[role].name} is one organisation per case; "
                             f"named twice ({out[role][0]!r} and {named!r})")
        if named not in out.setdefault(role, []):
            out[role].append(named)
    return out


def opening_parties(definition: Definition, named: dict[str, list[str]]) -> dict[str, list[str]]:
    """The parties a new case starts with: those named, the defaults, and a refusal for required ones missing."""
    out = {role: list(names) for role, names in named.items()}
    for role, spec in definition.parties.items():
        if role not in out and spec.default is not None:
            out[role] = [spec.default]
    missing = [role for role, spec in definition.parties.items() if spec.required and not out.get(role)]
    if missing:
        hints = "; ".join(_hint(definition, role, definition.parties[role]) for role in missing)
        raise InputError(f"name the organisation for {hints}")
    return out


def _hint(definition: Definition, role: str, spec: PartySpec) -> str:
    choice = " | ".join(spec.organisations) if spec.organisations else "NAME"
    return f"{definition.roles[role].name} with --party {role}=\"{choice}\""


def who(definition: Definition, parties: dict[str, list[str]], role: str) -> str:
    """A role as the case knows it: its organisation(s) when named, else the role's name."""
    names = parties.get(role)
    if names:
        return " and ".join(names)
    return definition.roles[role].name if role in definition.roles else role


# -- records ---------------------------------------------------------------------------------


def apply_party(case: Case, record: Record) -> None:
    """A ``party`` record: an organisation named for a role (replacing the one named before, for a
    role one organisation fills)."""
    role = str(record.data.get("role"))
    name = str(record.data.get("organisation"))
    spec = case.definition.parties.get(role)
    names = case.parties.setdefault(role, [])
    if spec is not None and spec.multiple:
        if name not in names:
            names.append(name)
    else:
        names[:] = [name]


def apply_task(case: Case, record: Record) -> None:
    """A ``task_added``, ``task_done`` or ``task_waived`` record."""
    from .case import Blocker, HistoryInvalid

    data = record.data
    task_id = str(data.get("task"))
    if record.kind == RecordKind.TASK_ADDED:
        kind = str(data.get("kind"))
        spec = case.definition.tasks.get(kind)
        role = spec.party if spec is not None else str(record.role)
        case.tasks[task_id] = {
            "task": task_id, "kind": kind, "title": spec.title if spec is not None else kind,
            "party_role": role, "party": data.get("party"), "due": data.get("due"),
            "due_given": bool(data.get("due_given")), "added_on": record.on.isoformat(),
            "status": TaskStatus.OPEN.value, "closed_on": None, "reason": None,
        }
        party = data.get("party")
        if party and party not in case.parties.get(role, []):
            case.parties.setdefault(role, []).append(str(party))
        return
    task = case.tasks.get(task_id)
    if task is None or task["status"] != TaskStatus.OPEN:
        raise HistoryInvalid(case.ref, record, [Blocker("state", f"there is no open task {task_id}")])
    task["status"] = (TaskStatus.DONE if record.kind == RecordKind.TASK_DONE else TaskStatus.WAIVED).value
    task["closed_on"] = record.on.isoformat()
    task["reason"] = record.note


# -- sign-offs by the parties ----------------------------------------------------------------------


def signoff_blockers(case: Case, event: Event, evaluator: Any) -> list[Blocker]:
    """Who must still sign off ``event``: every role it always needs, each role whose condition holds
    (or cannot be told yet), and, for a role several organisations fill, each of them."""
    from .case import Blocker

    d = case.definition
    out: list[Blocker] = []
    needed = list(event.requires.signoff)
    for conditional in event.requires.signoff_when:
        verdict = evaluator.rule(conditional.when)
        if verdict.value is True:
            needed.append(conditional.role)
        elif verdict.value is None:
            out.append(Blocker("signoff", f"cannot tell yet whether {who(d, case.parties, conditional.role)} must "
                                          f"sign off: {'; '.join(verdict.blockers(case.ref))}"))
    for role in dict.fromkeys(needed):
        for name in missing_signoffs(case, role):
            party = f" --party \"{name}\"" if name is not None and len(case.parties.get(role, [])) > 1 else ""
            shown = name or who(d, case.parties, role)
            out.append(Blocker("signoff", f"needs sign-off from {shown} (cspr case signoff {case.ref} {role}{party})"))
    return out


def missing_signoffs(case: Case, role: str) -> list[str | None]:
    """The organisations of ``role`` that have not signed off the step at hand ([None]: the role itself)."""
    names = case.parties.get(role) or []
    if len(names) > 1:
        signed = case.party_signoffs.get(role, {})
        return [name for name in names if name not in signed]
    return [] if role in case.signoffs else [names[0] if names else None]


def roles_wanted(case: Case, evaluator: Any) -> set[str]:
    """Roles whose sign-off some event from the current state needs (a condition not known to be false)."""
    out: set[str] = set()
    for event in case.definition.events_from(case.state):
        out |= set(event.requires.signoff)
        for conditional in event.requires.signoff_when:
            if evaluator.rule(conditional.when).value is not False:
                out.add(conditional.role)
    return out
