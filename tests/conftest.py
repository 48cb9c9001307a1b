"""Shared test helpers: the real CLI through click's CliRunner, fixture paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# Keep the holiday cache of this test run apart from the user's own.
os.environ.setdefault("CSPR_CACHE_DIR", str(Path(__import__("tempfile").mkdtemp(prefix="cspr-cache-"))))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def dump(path) -> str:
    """Every row of every table of a database: a refused command must leave this unchanged."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def run_cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `cspr ARGS` in-process through the real click entry point."""
    from cspr.cli.app import cli

    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cspr():
    return run_cli


@pytest.fixture
def minimal_text() -> str:
    return (FIXTURES / "minimal.yaml").read_text()
