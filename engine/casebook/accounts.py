"""Accounts: the people who sign in to the web application, kept in the store (``cspr user``).

An account has a name, an argon2id hash of its password (argon2-cffi; never the
password), the roles its holder may act as and, optionally, the organisation
(party) they belong to. Roles are those of the process definitions served plus
the application's own (:data:`APPLICATION_ROLES`): nothing here names a process
or its roles. Accounts are disabled, never deleted: a name in a case's history
stays someone's.

Both the CLI (``cspr user add|disable|list``) and the web application (its user
directory, :class:`Accounts`) use this module, so neither imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError, InputError
from cspr.engine.store.interface import Store, StoreError
from cspr.engine.text import name_problem

MIN_PASSWORD = 12
MAX_PASSWORD = 1024

# The application's own roles, beside each process's: what they may do is the web application's rule.
APPLICATION_ROLES = {
    "admin": "Manages the accounts of the people who sign in",
    "auditor": "Reads every case, report and process; records nothing",
}


class AccountError(CsprError):
    """An account cannot be added or changed as asked."""


@dataclass(frozen=True)
class Account:
    """A user as the store keeps them.

    ``roles`` are the process roles the user may act as (sign off as, record
    events for) and the application's own (``auditor``, ``admin``); ``party``
    is the organisation they belong to. ``valid_after`` (seconds since the
    epoch) voids every session signed in before it.
    """

    name: str
    password_hash: str
    roles: frozenset[str] = frozenset()
    party: str | None = None
    disabled: bool = False
    valid_after: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """What ``cspr user list --json`` shows: never the hash."""
        return {"name": self.name, "roles": sorted(self.roles), "party": self.party, "disabled": self.disabled}


def password_hasher() -> Any:
    """The argon2id hasher with the library's recommended parameters (RFC 9106's second choice)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str, hasher: Any = None) -> str:
    return str((hasher or password_hasher()).hash(password))


def password_problem(password: str) -> str | None:
    """Why a new password cannot be used, or None."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    if password != password.strip():
        return "a password cannot begin or end with a space"
    return None


def assignable_roles(definitions: Iterable[Definition]) -> dict[str, str]:
    """Every role an account may hold: each process's roles (id → name) and the application's own."""
    roles: dict[str, str] = {}
    for definition in definitions:
        for role in definition.roles.values():
            roles.setdefault(role.id, role.name)
    for own, words in APPLICATION_ROLES.items():
        roles.setdefault(own, words)
    return roles


def _account(row: dict[str, Any]) -> Account:
    return Account(row["name"], row["password_hash"], frozenset(row["roles"]), row["party"], row["disabled"],
                   row["valid_after"])


class Accounts:
    """The accounts in one store: add, disable, list, and find one by name (the web's user directory)."""

    def __init__(self, store: Store):
        self.store = store

    def find_account(self, name: str) -> Account | None:
        row = self.store.user(name.strip())
        return _account(row) if row else None

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        with self.store.write():
            self.store.replace_password_hash(name, old_hash, new_hash)

    def listing(self) -> list[Account]:
        return [_account(row) for row in self.store.users()]

    def add(self, name: str, password: str, roles: Sequence[str], party: str | None, known_roles: dict[str, str],
            hasher: Any = None) -> Account:
        """A new account; refused (nothing stored) for a taken name, an unknown role or a weak password."""
        name = name.strip()
        problem = name_problem(name) or (None if not any(c.isspace() for c in name) else "it contains a space")
        if problem:
            raise InputError(f"the user name {name!r} cannot be used: {problem}")
        if not roles:
            raise InputError("give the user at least one role with --role ROLE")
        unknown = [r for r in roles if r not in known_roles]
        if unknown:
            raise InputError(f"no role {unknown[0]!r}; roles: {', '.join(sorted(known_roles))}")
        if party is not None:
            party = party.strip()
            problem = name_problem(party)
            if problem:
                raise InputError(f"the party {party!r} cannot be used: {problem}")
        problem = password_problem(password)
        if problem:
            raise InputError(f"the password was not accepted: {problem}; nothing was changed")
        password_hash = hash_password(password, hasher)
        with self.store.write():
            taken = self.store.user_folded(name.casefold())
            if taken is not None:
                raise AccountError(f"there is already a user {taken['name']!r}; choose another name "
                                   "(names differing only in capitals are the same person)")
            try:
                self.store.add_user(name, password_hash, sorted(set(roles)), party)
            except StoreError as exc:  # another writer added it first
                raise AccountError(f"there is already a user {name!r}; choose another name") from exc
        return Account(name, password_hash, frozenset(roles), party)

    def disable(self, name: str, now: float | None = None) -> Account:
        """Disable an account: it can no longer sign in, and its sessions end."""
        with self.store.write():
            row = self.store.user(name)
            if row is None:
                raise AccountError(f"no user {name!r}; see 'cspr user list'")
            if row["disabled"]:
                raise AccountError(f"{name} is already disabled; nothing was changed")
            self.store.disable_user(name, now if now is not None else time.time())
            found = self.store.user(name)
        assert found is not None
        return _account(found)
