"""Tests that need a real service (a browser, npm, a database server) skip on a machine without it,
saying how to enable them, and fail instead when CSPR_REQUIRE_SERVICES=1 (as .ci/run sets)."""

from __future__ import annotations

import os

import pytest


def required() -> bool:
    return os.environ.get("CSPR_REQUIRE_SERVICES") == "1"


def unavailable(what: str, how: str) -> None:
    """Skip (or, under CSPR_REQUIRE_SERVICES=1, fail) because ``what`` is missing; ``how`` says how to get it."""
    message = f"{what}; {how}"
    if required():
        pytest.fail(f"{message} (CSPR_REQUIRE_SERVICES=1, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)
