"""Sessions and sign-in rules on their own, with a clock the test moves: expiry, the throttle's
window, and an unknown name costing the same argon2 work as a known one."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from cspr.web.accounts import THROTTLED, WRONG, Account, Authenticator, SignInThrottle
from cspr.web.sessions import IDLE, LIFETIME, SessionCodec

KEY = b"k" * 32


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_session_lasts_until_idle_or_its_lifetime_is_over():
    codec = SessionCodec(KEY)
    start = 1_800_000_000
    cookie = codec.encode({"user": "a", "iat": start, "seen": start})
    assert codec.decode(cookie, start + IDLE - 1) == {"user": "a", "iat": start, "seen": start}
    assert codec.decode(cookie, start + IDLE) is None
    busy = codec.encode({"user": "a", "iat": start, "seen": start + LIFETIME - 10})
    assert codec.decode(busy, start + LIFETIME - 5) is not None
    assert codec.decode(busy, start + LIFETIME) is None  # however busy, a session ends after its lifetime


def test_a_cookie_signed_with_another_key_or_from_the_future_is_refused():
    start = 1_800_000_000
    data = {"user": "a", "iat": start, "seen": start}
    assert SessionCodec(b"x" * 32).decode(SessionCodec(KEY).encode(data), start) is None
    assert SessionCodec(KEY).decode(SessionCodec(KEY).encode({**data, "seen": start + 3600}), start) is None
    with pytest.raises(ValueError):
        SessionCodec(b"short")


def test_the_throttle_counts_in_a_sliding_window_per_name_and_per_client():
    clock = Clock(0)
    throttle = SignInThrottle(per_name=3, per_client=5, window=600, clock=clock)
    for _ in range(3):
        assert throttle.wait("ann", "10.0.0.1") == 0
        throttle.failed("ann", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.9") == 601  # the name is held, from any address
    assert throttle.wait("bob", "10.0.0.1") == 0
    clock.now = 300
    throttle.failed("bob", "10.0.0.1")
    throttle.failed("cat", "10.0.0.1")
    assert throttle.wait("dan", "10.0.0.1") == 301  # five failures from one address hold every name there
    clock.now = 601
    assert throttle.wait("ann", "10.0.0.9") == 0 and throttle.wait("dan", "10.0.0.1") == 0
    throttle.failed("ann", "10.0.0.9")
    throttle.succeeded("ann")
    assert throttle.wait("ann", "10.0.0.9") == 0


def test_the_throttle_forgets_old_names_rather_than_grow_without_bound():
    clock = Clock(0)
    throttle = SignInThrottle(window=60, clock=clock, max_keys=100)
    for number in range(100):
        throttle.failed(f"name{number}", "10.0.0.1")
    clock.now = 61
    throttle.failed("late", "10.0.0.2")
    assert len(throttle._failures) <= 3


class CountingHasher:
    def __init__(self):
        self.real = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        self.verified = 0

    def hash(self, password):
        return self.real.hash(password)

    def verify(self, stored, password):
        self.verified += 1
        return self.real.verify(stored, password)

    def check_needs_rehash(self, stored):
        return self.real.check_needs_rehash(stored)


class OneUser:
    def __init__(self, account):
        self.account = account

    def find_account(self, name):
        return self.account if name == self.account.name else None

    def replace_password_hash(self, name, old, new):
        raise AssertionError("no rehash expected")


def test_an_unknown_name_costs_one_password_check_like_a_known_one():
    hasher = CountingHasher()
    auth = Authenticator(OneUser(Account("ann", hasher.hash("right"))), hasher=hasher)
    for name, password in [("nobody", "right"), ("ann", "wrong")]:
        before = hasher.verified
        result = auth.sign_in(name, password, "10.0.0.1")
        assert result.user is None and result.errors == {"name": WRONG} and hasher.verified == before + 1
    ok = auth.sign_in("  ann ", "right", "10.0.0.1")
    assert ok.user is not None and ok.user.name == "ann"


def test_a_throttled_attempt_checks_no_password_and_says_how_long_to_wait():
    clock = Clock(0)
    hasher = CountingHasher()
    auth = Authenticator(OneUser(Account("ann", hasher.hash("right"))), SignInThrottle(per_name=2, clock=clock), hasher)
    auth.sign_in("ann", "x", "a")
    auth.sign_in("ANN", "y", "b")  # names are counted without regard to case
    before = hasher.verified
    result = auth.sign_in("ann", "right", "c")
    assert result.user is None and result.retry_after == 901 and hasher.verified == before
    assert result.errors["name"] == f"{THROTTLED}. Wait 16 minutes, then try again"


def test_a_session_key_file_is_made_owner_only_and_read_back(tmp_path):
    import os
    import stat

    from cspr.engine.errors import CsprError
    from cspr.web.sessions import load_key

    path = tmp_path / "session.key"
    old = os.umask(0)
    try:
        key = load_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32 and load_key(path) == key
    path.chmod(0o640)
    with pytest.raises(CsprError, match="can be read by others; run 'chmod 600"):
        load_key(path)
    short = tmp_path / "short.key"
    short.write_text("abc\n")
    short.chmod(0o600)
    with pytest.raises(CsprError, match="holds 3 characters"):
        load_key(short)
