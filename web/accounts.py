"""Signing in: who a user is, checked against a user directory, with attempts throttled.

The web layer does not own the users: a **user directory** does (the store's
users table, :class:`cspr.engine.casebook.accounts.Accounts`; see :class:`UserDirectory`),
and the engine hashes passwords, so ``cspr user add`` never imports the web layer. This module asks it
for an account by name, checks the password against the account's argon2 hash
(argon2-cffi), and keeps a count of failed attempts.

What a person trying names learns is the same whether the name exists or not:
an unknown name, a disabled account and a wrong password get one message
(:data:`WRONG`), take the same time (an unknown name is checked against a
dummy hash), and count towards the same throttle. After :attr:`SignInThrottle.per_name`
failures for one name, or :attr:`SignInThrottle.per_client` from one address, in
:attr:`SignInThrottle.window` seconds, further attempts are refused without
looking at the password until the window has moved on.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cspr.engine.casebook.accounts import Account, hash_password, password_hasher

__all__ = ["THROTTLED", "WRONG", "Account", "Authenticator", "SignIn", "SignInThrottle", "User", "UserDirectory",
           "hash_password", "password_hasher"]

WRONG = "The user name or password is not correct"
THROTTLED = "There have been too many attempts to sign in with this name or from this computer"


@dataclass(frozen=True)
class User:
    """The person signed in, as pages see them; the actor of everything they record."""

    name: str
    roles: frozenset[str] = frozenset()
    party: str | None = None

    def holds(self, role: str) -> bool:
        return role in self.roles

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "roles": sorted(self.roles), "party": self.party}


class UserDirectory(Protocol):
    """What the web layer needs from whatever keeps the users (the store)."""

    def find_account(self, name: str) -> Account | None:
        """The account with this sign-in name (exactly as typed, surrounding spaces removed), or None."""

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        """Store a stronger hash of the same password, if the account still has ``old_hash``."""


@dataclass
class SignInThrottle:
    """Failed sign-in attempts, counted per name and per client address, in a sliding window."""

    per_name: int = 5
    per_client: int = 20
    window: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict, repr=False)

    def wait(self, name: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = self.clock()
        waits = [self._wait(("name", name), self.per_name, now), self._wait(("client", client), self.per_client, now)]
        return max(waits)

    def _wait(self, key: tuple[str, str], limit: int, now: float) -> int:
        times = self._recent(key, now)
        if len(times) < limit:
            return 0
        return max(int(times[-limit] + self.window - now) + 1, 1)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def failed(self, name: str, client: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys:
            self._forget_old(now)
        for key in (("name", name), ("client", client)):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        self._failures.pop(("name", name), None)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, times in self._failures.items() if not self._recent(k, now)]:
            del self._failures[key]


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: a user, or the errors to show (field → message) and how long to wait."""

    user: User | None
    errors: dict[str, str] = field(default_factory=dict)
    retry_after: int = 0


class Authenticator:
    """Signs users in against a directory and finds the user of a session."""

    def __init__(self, directory: UserDirectory, throttle: SignInThrottle | None = None, hasher: Any = None,
                 clock: Callable[[], float] = time.time):
        self.directory = directory
        self.throttle = throttle or SignInThrottle()
        self.hasher = hasher or password_hasher()
        self.clock = clock
        # Checked when the name is unknown, so that an unknown name costs what a known one does.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def sign_in(self, name: str, password: str, client: str) -> SignIn:
        """Check a name and password (slow by design: call it from a worker thread)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        name = name.strip()
        errors = {}
        if not name:
            errors["name"] = "Enter your user name"
        if not password:
            errors["password"] = "Enter your password"
        if errors:
            return SignIn(None, errors)
        key = name.casefold()
        wait = self.throttle.wait(key, client)
        if wait:
            minutes = -(-wait // 60)
            return SignIn(None, {"name": f"{THROTTLED}. Wait {minutes} minute{'s' if minutes != 1 else ''}, "
                                         "then try again"}, wait)
        account = self.directory.find_account(name)
        try:
            if account is None or account.disabled:
                self.hasher.verify(self._dummy, password)  # fails (the dummy is a random secret), after the same work
                raise VerificationError("no such account")
            self.hasher.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            self.throttle.failed(key, client)
            return SignIn(None, {"name": WRONG})
        if self.hasher.check_needs_rehash(account.password_hash):
            self.directory.replace_password_hash(account.name, account.password_hash, self.hasher.hash(password))
        self.throttle.succeeded(key)
        return SignIn(_user(account))

    def session_user(self, session: dict[str, Any]) -> User | None:
        """The user a session is signed in as, if the account still exists, is enabled and the session is not void."""
        name, signed_in_at = session.get("user"), session.get("auth_at")
        if not isinstance(name, str) or not isinstance(signed_in_at, (int, float)):
            return None
        account = self.directory.find_account(name)
        if account is None or account.disabled or signed_in_at < account.valid_after:
            return None
        return _user(account)

    def header_user(self, name: str) -> User | None:
        """The user a trusted single sign-on proxy names (``--auth trusted-header``), if enabled here."""
        account = self.directory.find_account(name)
        return None if account is None or account.disabled else _user(account)

    def start_session(self, session: Any, user: User) -> None:
        """A new session for a user who has just signed in (never the visitor's old one)."""
        session.renew()
        session["user"] = user.name
        session["auth_at"] = self.clock()


def _user(account: Account) -> User:
    return User(account.name, frozenset(account.roles), account.party)
