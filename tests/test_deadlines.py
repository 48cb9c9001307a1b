"""Deadline status rules and their wording, which scenarios do not pin down on their own.

The status of a deadline is decided in one place (``status_on`` over a stored
``Timing``) and worded by one Enum (``DeadlineStatus``); the last tests check
that no renderer keeps words of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cspr.engine.definition.workdays import WorkingCalendar
from cspr.engine.runtime.deadlines import DeadlineStatus, Timing, days_late, status_on

CAL = WorkingCalendar()
ROOT = Path(__file__).resolve().parent.parent


def timing(due, met_on=None, warn_from=None, applicable=True, start=dt.date(2022, 12, 16), reason=""):
    late_by = days_late(due, met_on, CAL) if due and met_on and met_on > due else None
    return Timing("d", "A deadline", ("owner",), start, due, warn_from, met_on, applicable, reason, late_by)


def test_met_on_a_bank_holiday_after_the_due_date_is_one_working_day_late():
    # due Friday 23 December 2022; sent Tuesday 27 December, a bank holiday (Christmas substitute)
    status = status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 27)), dt.date(2023, 1, 9), CAL)
    assert (status.status, status.late_by) == (DeadlineStatus.MET_LATE, 1)
    assert status.detail == "met 2022-12-27, 1 working day late"


def test_met_late_counts_working_days_after_the_due_date():
    status = status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 29)), dt.date(2023, 1, 9), CAL)
    assert (status.status, status.late_by) == ("met_late", 2)  # Wed 28, Thu 29
    assert status.detail == "met 2022-12-29, 2 working days late"


def test_met_on_the_due_date_is_on_time():
    status = status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 23)), dt.date(2023, 1, 9), CAL)
    assert (status.status, status.detail) == ("met", "met 2022-12-23")


def test_status_before_during_and_after_the_warning_period():
    t = timing(dt.date(2023, 5, 10), warn_from=dt.date(2023, 5, 5))
    assert status_on(t, dt.date(2023, 5, 4), CAL).status == "upcoming"
    assert status_on(t, dt.date(2023, 5, 5), CAL).status == "due_soon"
    soon = status_on(t, dt.date(2023, 5, 10), CAL)
    assert (soon.status, soon.working_days_left, soon.detail) == ("due_soon", 0, "due today")
    late = status_on(t, dt.date(2023, 5, 12), CAL)
    assert (late.status, late.working_days_left, late.late_by) == ("overdue", -2, 2)
    assert late.detail == "2 working days overdue"


def test_without_a_warning_period_it_is_due_soon_only_on_the_day():
    t = timing(dt.date(2023, 5, 10))
    assert status_on(t, dt.date(2023, 5, 9), CAL).status == "upcoming"
    assert status_on(t, dt.date(2023, 5, 10), CAL).status == "due_soon"


def test_not_applicable_and_not_started():
    na = status_on(timing(dt.date(2023, 5, 10), applicable=False, reason="not applicable on this route"),
                   dt.date(2023, 5, 12), CAL)
    assert (na.status, na.detail) == ("not_applicable", "not applicable on this route")
    waiting = status_on(timing(None, start=None, reason="starts with 'Notified'"), dt.date(2023, 5, 12), CAL)
    assert (waiting.status, waiting.detail) == ("not_started", "starts with 'Notified'")


@pytest.mark.parametrize(("today", "words"), [
    (dt.date(2026, 5, 4), "5 working days left"),  # Monday
    (dt.date(2026, 5, 7), "2 working days left"),
    (dt.date(2026, 5, 8), "1 working day left"),  # Friday: one, not "1 working days"
    (dt.date(2026, 5, 11), "due today"),  # Monday
    (dt.date(2026, 5, 12), "1 working day overdue"),
    (dt.date(2026, 5, 13), "2 working days overdue"),
])
def test_plural_wording(today, words):
    assert status_on(timing(dt.date(2026, 5, 11)), today, CAL).detail == words


def test_the_saturday_after_a_friday_due_date_is_one_working_day_overdue_never_zero():
    friday = dt.date(2026, 5, 8)
    t = timing(friday)
    for day in (dt.date(2026, 5, 9), dt.date(2026, 5, 10), dt.date(2026, 5, 11)):  # Saturday, Sunday, Monday
        status = status_on(t, day, CAL)
        assert (status.status, status.late_by, status.detail) == ("overdue", 1, "1 working day overdue")
    # the same count as if it were met that day
    assert status_on(timing(friday, met_on=dt.date(2026, 5, 9)), dt.date(2026, 5, 20), CAL).late_by == 1
    assert status_on(t, dt.date(2026, 5, 12), CAL).detail == "2 working days overdue"


def test_due_on_a_weekend_with_no_working_day_before_it_names_the_day():
    # a calendar-day deadline may fall on a Saturday; on the Friday before, no working day is left
    status = status_on(timing(dt.date(2026, 5, 9), warn_from=dt.date(2026, 5, 6)), dt.date(2026, 5, 8), CAL)
    assert (status.status, status.detail) == ("due_soon", "due Saturday 2026-05-09")


def test_every_status_has_a_label_and_a_heading():
    assert [s.value for s in DeadlineStatus] == ["met", "met_extended", "met_late", "overdue", "due_soon", "upcoming",
                                                 "paused", "not_started", "not_applicable"]
    assert DeadlineStatus.MET_EXTENDED.heading == "Met (extended)" and DeadlineStatus.PAUSED.label == "paused"
    assert DeadlineStatus.OVERDUE.label == "OVERDUE" and DeadlineStatus.OVERDUE.heading == "Overdue"
    assert DeadlineStatus.DUE_SOON.label == "due soon" and DeadlineStatus.NOT_APPLICABLE.heading == "Not applicable"
    assert DeadlineStatus("met_late") is DeadlineStatus.MET_LATE and DeadlineStatus.MET_LATE == "met_late"


def test_a_stored_timing_reads_back_the_same():
    t = timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 29), warn_from=dt.date(2022, 12, 20))
    row = t.to_row()
    assert (row["settled"], row["late_by"], row["open"]) == ("met_late", 2, 0)
    assert Timing.from_row(row) == t
    assert timing(dt.date(2022, 12, 23)).to_row()["settled"] is None


# -- one home for the words -------------------------------------------------------------------

RENDERERS = [ROOT / "cspr_cli", ROOT / "engine" / "render", ROOT / "engine" / "casebook"]
CODES = "(?:overdue|due_soon|upcoming|met|met_late|not_started|not_applicable)"
HAND_WRITTEN = [
    # a dictionary of words for the statuses (the three STATUS_WORDS there were)
    re.compile(rf"""["']{CODES}["']\s*:\s*["']"""),
    # a label written out: "due soon", "met late", "not started", "not applicable", "n/a"
    re.compile(r"""(?i)["'](?:due soon|met late|not started|not applicable|n/a)["']"""),
    # a detail worded by hand: "3 working days left", "2 working days overdue", "due today"
    re.compile(r"working days? (?:left|overdue|late)\b|working day\{[^}]*\} (?:left|overdue|late)\b|\bdue today\b"),
    # a status decided by comparing with its stored code instead of the Enum
    re.compile(rf"""status\W{{0,3}}\s*(?:==|!=)\s*["']{CODES}["']"""),
    re.compile(rf"""status\W{{0,3}}\s+(?:not\s+)?in\s+\(["']{CODES}["']"""),
]


def _sources() -> list[Path]:
    return sorted(p for folder in RENDERERS for p in folder.rglob("*") if p.suffix in (".py", ".html", ".j2"))


def test_renderers_ask_the_enum_for_status_words():
    found = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for pattern in HAND_WRITTEN:
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "status words written outside DeadlineStatus:\n" + "\n".join(found)


def test_the_grep_would_catch_a_hand_written_word():
    def caught(line: str) -> bool:
        return any(p.search(line) for p in HAND_WRITTEN)

    assert caught('STATUS_WORDS = {"overdue": "OVERDUE", "due_soon": "due soon"}')
    assert caught('when = f"{_days(-left)} working days overdue"')
    assert caught('detail = f"met {t.met_on}, {s.late_by} working day{\'s\' if s.late_by != 1 else \'\'} late"')
    assert caught('return "due today" if left == 0 else ...')
    assert caught('if s.status == "overdue":')
    assert caught('if r["status"] in ("met", "met_late"):')
    assert caught('word = "n/a"')
    assert not caught("word = s.status.label")
    assert not caught('header = ["REF", "STATE", "OVERDUE DEADLINES"]')
