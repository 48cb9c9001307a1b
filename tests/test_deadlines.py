"""Deadline status rules that scenarios do not pin down on their own."""

from __future__ import annotations

import datetime as dt

from cspr.engine.runtime.deadlines import Timing, status_on
from cspr.engine.definition.workdays import WorkingCalendar

CAL = WorkingCalendar()


def timing(due, met_on=None, warn_from=None, applicable=True, start=dt.date(2022, 12, 16)):
    return Timing("d", "A deadline", ("owner",), start, due, warn_from, met_on, applicable)


def test_met_on_a_bank_holiday_after_the_due_date_is_one_working_day_late():
    # due Friday 23 December 2022; sent Tuesday 27 December, a bank holiday (Christmas substitute)
    status = status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 27)), dt.date(2023, 1, 9), CAL)
    assert (status.status, status.late_by) == ("met_late", 1)


def test_met_late_counts_working_days_after_the_due_date():
    status = status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 29)), dt.date(2023, 1, 9), CAL)
    assert (status.status, status.late_by) == ("met_late", 2)  # Wed 28, Thu 29


def test_met_on_the_due_date_is_on_time():
    assert status_on(timing(dt.date(2022, 12, 23), met_on=dt.date(2022, 12, 23)), dt.date(2023, 1, 9), CAL).status == "met"


def test_status_before_during_and_after_the_warning_period():
    t = timing(dt.date(2023, 5, 10), warn_from=dt.date(2023, 5, 5))
    assert status_on(t, dt.date(2023, 5, 4), CAL).status == "upcoming"
    assert status_on(t, dt.date(2023, 5, 5), CAL).status == "due_soon"
    soon = status_on(t, dt.date(2023, 5, 10), CAL)
    assert (soon.status, soon.working_days_left) == ("due_soon", 0)
    late = status_on(t, dt.date(2023, 5, 12), CAL)
    assert (late.status, late.working_days_left) == ("overdue", -2)


def test_without_a_warning_period_it_is_due_soon_only_on_the_day():
    t = timing(dt.date(2023, 5, 10))
    assert status_on(t, dt.date(2023, 5, 9), CAL).status == "upcoming"
    assert status_on(t, dt.date(2023, 5, 10), CAL).status == "due_soon"


def test_not_applicable_and_not_started():
    assert status_on(timing(dt.date(2023, 5, 10), applicable=False), dt.date(2023, 5, 12), CAL).status == "not_applicable"
    assert status_on(timing(None, start=None), dt.date(2023, 5, 12), CAL).status == "not_started"
