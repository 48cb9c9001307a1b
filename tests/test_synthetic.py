"""Synthetic cases and the working-day arithmetic the benchmarks rely on: correctness only, no timings."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3

import pytest

from cspr.engine.definition.workdays import WorkingCalendar

from .conftest import run_cli


def content(path):
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT case_ref, seq, kind, name, on_date, role, facts, note, data FROM events ORDER BY id").fetchall()
    conn.close()
    return rows


def test_the_same_seed_gives_the_same_cases(tmp_path):
    for name in ("a", "b"):
        result = run_cli("--today", "2026-11-25", "demo", "--cases", "60", "--seed", "11", "--db", str(tmp_path / f"{name}.db"))
        assert result.exit_code == 0, result.output
        assert "Generated 60 synthetic cases" in result.stdout
    assert content(tmp_path / "a.db") == content(tmp_path / "b.db")
    run_cli("--today", "2026-11-25", "demo", "--cases", "60", "--seed", "12", "--db", str(tmp_path / "c.db"))
    assert content(tmp_path / "a.db") != content(tmp_path / "c.db")


def test_synthetic_cases_pass_every_check_and_vary(tmp_path):
    db = tmp_path / "s.db"
    assert run_cli("--today", "2026-11-25", "demo", "--cases", "300", "--seed", "3", "--db", str(db)).exit_code == 0
    report = json.loads(run_cli("--db", str(db), "--today", "2026-11-25", "audit", "verify", "--json").stdout)
    assert report["ok"] and report["cases"] == 300
    cases = json.loads(run_cli("--db", str(db), "--today", "2026-11-25", "case", "list", "--json").stdout)
    states = {c["state"] for c in cases}
    assert len(states) >= 6  # many routes, not one
    assert any(not c["final"] for c in cases) and any(c["final"] for c in cases)
    versions = {c["version"] for c in cases}
    assert len(versions) >= 2  # cases over five years follow the version in effect when they opened
    late = json.loads(run_cli("--db", str(db), "--today", "2026-11-25", "report", "timeliness", "--json").stdout)
    assert sum(r["met_late"] for r in late["rows"]) > 0 and sum(r["met_on_time"] for r in late["rows"]) > 0
    # the projections the bulk path wrote equal a rebuild from the events
    listing = run_cli("--db", str(db), "--today", "2026-11-25", "case", "list", "--json").stdout
    assert run_cli("--db", str(db), "rebuild").exit_code == 0
    assert run_cli("--db", str(db), "--today", "2026-11-25", "case", "list", "--json").stdout == listing


def test_demo_cases_refuses_an_existing_file_and_bad_counts(tmp_path):
    existing = tmp_path / "x.db"
    existing.write_text("")
    assert "already exists" in run_cli("demo", "--cases", "5", "--db", str(existing)).output
    assert run_cli("demo", "--cases", "0", "--db", str(tmp_path / "y.db")).exit_code == 2


def test_working_days_agree_with_numpy_busday_offset():
    np = pytest.importorskip("numpy")
    calendar = WorkingCalendar()
    holidays = calendar.holidays_between(dt.date(1995, 1, 1), dt.date(2065, 12, 31))
    numpy_calendar = np.busdaycalendar(holidays=np.array(holidays, dtype="datetime64[D]"))
    rng = random.Random(99)
    for _ in range(20_000):
        start = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 40 * 365))
        n = rng.choice([rng.randint(1, 30), rng.randint(-30, -1), rng.randint(31, 2500)])
        # numpy rolls a weekend or holiday start back (counting forward) or on (counting back) first,
        # which is the day-0 rule of domain.md
        expected = np.busday_offset(np.datetime64(start), n, roll="backward" if n > 0 else "forward",
                                    busdaycal=numpy_calendar).astype(dt.date)
        assert calendar.add_working_days(start, n) == expected, (start, n)


def test_the_holiday_cache_holds_what_the_holidays_package_says(tmp_path, monkeypatch):
    import holidays

    from cspr.engine.definition import workdays

    monkeypatch.setenv("CSPR_CACHE_DIR", str(tmp_path))
    workdays._cached.cache_clear()
    workdays._holiday_dates.cache_clear()
    first = workdays._cached("GB", "ENG")
    assert list(tmp_path.glob("holidays-GB-ENG-*.json"))
    workdays._cached.cache_clear()
    again = workdays._cached("GB", "ENG")  # read back from the file
    expected = frozenset(holidays.country_holidays("GB", subdiv="ENG", years=range(*workdays.CACHED_YEARS[:1],
                                                                                    workdays.CACHED_YEARS[1] + 1)))
    assert first == again == expected
    (next(tmp_path.glob("holidays-GB-ENG-*.json"))).write_text("not json")
    workdays._cached.cache_clear()
    assert workdays._cached("GB", "ENG") == expected  # a damaged cache is recomputed
    workdays._cached.cache_clear()
    workdays._holiday_dates.cache_clear()
