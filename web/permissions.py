"""Who may do what: the web application's rules, in one place.

- Anyone signed in reads every case, report and process.
- A user records an event, opens a case, records facts or a note only as a
  process role they hold that the process lets record (an event's ``by``);
  the entry's role is the role they signed as, its actor the user.
- A user signs off only as a role they hold and, where the case names the
  organisations filling that role, only for their own party.
- ``auditor`` reads only: the role records nothing. ``admin`` manages users.

Each check returns the role to record as, or raises :class:`Forbidden` with
the reason (shown on a 403 page). Nothing here names a process: the roles
come from the definition and the user's account.
"""

from __future__ import annotations

from collections.abc import Iterable

from cspr.engine.casebook.accounts import APPLICATION_ROLES
from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError

from .accounts import User

ADMIN = "admin"
AUDITOR = "auditor"
assert set(APPLICATION_ROLES) == {ADMIN, AUDITOR}


class Forbidden(CsprError):
    """The signed-in user may not do this (HTTP 403); nothing was written."""


def recording_roles(definition: Definition) -> set[str]:
    """The roles the process lets record something: those that record at least one of its events."""
    return {role for event in definition.events.values() for role in event.by}


def held(user: User, definition: Definition, allowed: Iterable[str]) -> list[str]:
    """The roles in ``allowed`` that ``user`` holds, in the definition's order."""
    allowed = set(allowed)
    return [r for r in definition.roles if r in allowed and user.holds(r)]


def _choose(user: User, definition: Definition, allowed: Iterable[str], asked: str | None, what: str) -> str:
    mine = held(user, definition, allowed)
    if asked is not None:
        if asked not in definition.roles:
            raise Forbidden(f"{definition.label} has no role {asked!r}")
        if not user.holds(asked):
            raise Forbidden(f"you do not hold the role {definition.roles[asked].name}, so you cannot {what} as it")
        if asked not in mine:
            raise Forbidden(f"{definition.roles[asked].name} cannot {what}")
        return asked
    if not mine:
        raise Forbidden(f"none of your roles may {what}")
    if len(mine) > 1:
        raise Forbidden(f"you hold several roles that may {what}; choose one ({', '.join(mine)})")
    return mine[0]


def may_record(user: User, definition: Definition, event_id: str, asked: str | None) -> str:
    event = definition.events.get(event_id)
    if event is None:
        from cspr.engine.runtime.case import unknown_event

        raise unknown_event(definition, event_id)
    return _choose(user, definition, event.by, asked, f"record '{event.title}'")


def may_write(user: User, definition: Definition, asked: str | None, what: str) -> str:
    """Opening a case, recording facts or a note: as a role of the process that records events."""
    return _choose(user, definition, recording_roles(definition), asked, what)


def may_sign_off(user: User, definition: Definition, role: str, named: list[str]) -> str | None:
    """Signing off as ``role``; returns the party to sign for (None where the case names none)."""
    if role not in definition.roles:
        raise Forbidden(f"{definition.label} has no role {role!r}")
    if not user.holds(role):
        raise Forbidden(f"you do not hold the role {definition.roles[role].name}, so you cannot sign off as it")
    if not named:
        return None
    if user.party is None:
        if len(named) == 1:
            return named[0]
        raise Forbidden(f"{len(named)} organisations fill {definition.roles[role].name} in this case and your "
                        "account names none; ask an admin to set your party")
    if user.party not in named:
        raise Forbidden(f"{user.party} is not named for {definition.roles[role].name} in this case "
                        f"({', '.join(named)}), so you cannot sign off for it")
    return user.party


def may_manage_users(user: User) -> None:
    if not user.holds(ADMIN):
        raise Forbidden("only an admin manages users")
