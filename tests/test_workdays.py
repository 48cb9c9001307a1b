"""The working-day calendar: exact bank holidays, the day-0 rule, constant-time arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspr.engine.definition.workdays import WorkingCalendar, add_months
from cspr.engine.errors import CalendarError

D = dt.date
CAL = WorkingCalendar()


# --- an independent table of England and Wales bank holidays, from the rules ---------------


def _easter(year: int) -> dt.date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return D(year, month, day)


def _first_monday(year: int, month: int) -> dt.date:
    day = D(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    day = D(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=day.weekday())


# Moved or added by proclamation (gov.uk/bank-holidays and its archives).
EARLY_MAY_MOVED = {2020: D(2020, 5, 8)}  # VE Day 75
SPRING_MOVED = {2002: D(2002, 6, 4), 2012: D(2012, 6, 4), 2022: D(2022, 6, 2)}  # jubilees
ONE_OFF = {
    D(2002, 6, 3),  # Golden Jubilee
    D(2011, 4, 29),  # Royal Wedding
    D(2012, 6, 5),  # Diamond Jubilee
    D(2022, 6, 3),  # Platinum Jubilee
    D(2022, 9, 19),  # State Funeral of Queen Elizabeth II
    D(2023, 5, 8),  # Coronation of King Charles III
}


def england_and_wales_bank_holidays(year: int) -> set[dt.date]:
    days = set()
    new_year = D(year, 1, 1)
    days.add(new_year + dt.timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    easter = _easter(year)
    days |= {easter - dt.timedelta(days=2), easter + dt.timedelta(days=1)}
    days.add(EARLY_MAY_MOVED.get(year, _first_monday(year, 5)))
    days.add(SPRING_MOVED.get(year, _last_monday(year, 5)))
    days.add(_last_monday(year, 8))
    christmas = D(year, 12, 25)
    if christmas.weekday() == 4:  # Friday: Boxing Day falls on Saturday, moved to Monday 28
        days |= {christmas, D(year, 12, 28)}
    elif christmas.weekday() == 5:  # Saturday: both moved to Monday 27 and Tuesday 28
        days |= {D(year, 12, 27), D(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday 26, Christmas Tuesday 27
        days |= {D(year, 12, 26), D(year, 12, 27)}
    else:
        days |= {christmas, D(year, 12, 26)}
    return days | {d for d in ONE_OFF if d.year == year}


def test_every_day_from_2000_to_2040_is_classified_exactly():
    wrong = []
    day = D(2000, 1, 1)
    while day <= D(2040, 12, 31):
        expected = day.weekday() < 5 and day not in england_and_wales_bank_holidays(day.year)
        if CAL.is_working_day(day) != expected:
            wrong.append(day)
        day += dt.timedelta(days=1)
    assert wrong == []


def test_the_reference_table_knows_the_one_off_and_substitute_days():
    assert D(2022, 9, 19) in england_and_wales_bank_holidays(2022)
    assert D(2021, 12, 28) in england_and_wales_bank_holidays(2021)  # Boxing Day substitute
    assert len(england_and_wales_bank_holidays(2023)) == 9


# --- the counting rule in domain.md ---------------------------------------------------------


@pytest.mark.parametrize("start,n,expected", [
    (D(2023, 5, 2), 5, D(2023, 5, 10)),  # the domain example: 8 May 2023 was the coronation
    (D(2023, 6, 3), 5, D(2023, 6, 9)),  # aware on a Saturday: the next Friday
    (D(2023, 6, 4), 5, D(2023, 6, 9)),  # aware on a Sunday: the same Friday
    (D(2023, 6, 5), 0, D(2023, 6, 5)),  # day 0 is the day itself
    (D(2025, 12, 22), 5, D(2025, 12, 31)),  # Christmas and Boxing Day
    (D(2026, 4, 1), 5, D(2026, 4, 10)),  # Good Friday and Easter Monday 2026
    (D(2022, 9, 14), 5, D(2022, 9, 22)),  # the Queen's funeral
    (D(2020, 12, 21), 15, D(2021, 1, 14)),  # Christmas substitute day 28 Dec 2020 and New Year
    (D(2023, 5, 10), -5, D(2023, 5, 2)),  # counting back
    (D(2023, 6, 10), -1, D(2023, 6, 9)),  # one working day before a Saturday is the Friday
])
def test_add_working_days(start, n, expected):
    assert CAL.add_working_days(start, n) == expected


def test_between_counts_working_days_after_start_up_to_end():
    assert CAL.working_days_between(D(2023, 5, 2), D(2023, 5, 10)) == 5
    assert CAL.working_days_between(D(2023, 5, 10), D(2023, 5, 2)) == -5
    assert CAL.working_days_between(D(2023, 6, 3), D(2023, 6, 4)) == 0


def test_local_closures_are_not_working_days():
    closed = WorkingCalendar(closures=[D(2023, 6, 7)])
    assert not closed.is_working_day(D(2023, 6, 7))
    assert closed.add_working_days(D(2023, 6, 5), 3) == D(2023, 6, 9)


@pytest.mark.parametrize("start,months,expected", [
    (D(2023, 5, 10), 6, D(2023, 11, 10)),
    (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year, last day of the month
    (D(2023, 8, 31), 1, D(2023, 9, 30)),
    (D(2023, 12, 15), 1, D(2024, 1, 15)),
    (D(2024, 3, 31), -1, D(2024, 2, 29)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_dates_outside_the_supported_years_are_refused():
    with pytest.raises(CalendarError):
        CAL.add_working_days(D(2199, 12, 1), 400)
    with pytest.raises(CalendarError):
        CAL.is_working_day(D(1800, 1, 1))


# --- Hypothesis: against a day-by-day count -----------------------------------------------------

DATES = st.dates(min_value=D(1990, 1, 1), max_value=D(2060, 12, 31))


def _slow_add(start: dt.date, n: int) -> dt.date:
    step = dt.timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if CAL.is_working_day(day):
            left -= 1
    return day


def _slow_between(start: dt.date, end: dt.date) -> int:
    sign = 1 if end >= start else -1
    low, high = sorted((start, end))
    count, day = 0, low + dt.timedelta(days=1)
    while day <= high:
        count += CAL.is_working_day(day)
        day += dt.timedelta(days=1)
    return sign * count


@given(start=DATES, n=st.integers(-400, 400))
def test_add_agrees_with_a_day_by_day_count(start, n):
    assert CAL.add_working_days(start, n) == _slow_add(start, n)


@given(start=DATES, span=st.integers(-800, 800))
def test_between_agrees_with_a_day_by_day_count(start, span):
    end = start + dt.timedelta(days=span)
    assert CAL.working_days_between(start, end) == _slow_between(start, end)


@given(start=DATES, n=st.integers(0, 3000))
def test_adding_then_counting_round_trips(start, n):
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@given(start=DATES, n=st.integers(1, 3000))
def test_counting_back_lands_on_a_working_day_n_before(start, n):
    earlier = CAL.add_working_days(start, -n)
    assert CAL.is_working_day(earlier)
    # n working days before `start`: counting forward again gives n, or n - 1 if start itself is not one
    assert CAL.working_days_between(earlier, start) == (n if CAL.is_working_day(start) else n - 1)
