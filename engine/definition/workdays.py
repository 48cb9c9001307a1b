"""Working days, calendar days and calendar months, counted the statutory way.

The counting rule (``domain.md``): working days skip Saturdays, Sundays, the
region's bank holidays (substitute and one-off days included, from the
``holidays`` package) and any local closures. The day of the triggering event
is day 0, whatever kind of day it is: five working days after Tuesday 2 May
2023 is Wednesday 10 May 2023 (8 May was the coronation bank holiday); five
working days after a Saturday is the next Friday.

Every call is constant time: the calendar keeps, for a span of years, the
ordered list of working days and, for each date, how many working days fall
on or before it. The span grows when a date outside it is asked for.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from cspr.engine.errors import CalendarError, CsprError

FIRST_YEAR = 1900
LAST_YEAR = 2200
_MARGIN_YEARS = 2


CACHED_YEARS = (1990, 2070)


def _compute(country: str, subdivision: str | None, first: int, last: int) -> frozenset[dt.date]:
    import holidays

    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=range(first, last + 1))
    except NotImplementedError as exc:
        raise CalendarError(f"no public holidays are known for {country}/{subdivision}: {exc}") from None
    return frozenset(table)


def _cache_dir() -> Path:
    if os.environ.get("CSPR_CACHE_DIR"):
        return Path(os.environ["CSPR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cspr"


def _package_stamp() -> str:
    """Changes whenever the installed holidays package does, without importing it (which is slow)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        raise CalendarError("the holidays package is not installed")
    folder = Path(spec.origin).parent
    parts = []
    for name in ("__init__.py", "registry.py", "version.py"):
        try:
            stat = (folder / name).stat()
            parts.append(f"{stat.st_size}-{stat.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return hashlib.sha256(f"{folder}|{'|'.join(parts)}".encode()).hexdigest()[:16]


def _cache_digest(country: str, subdivision: str | None, stamp: str, dates: list[str]) -> str:
    text = json.dumps([country, subdivision, list(CACHED_YEARS), stamp, dates], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_path(country: str, subdivision: str | None, stamp: str) -> Path:
    first, last = CACHED_YEARS
    return _cache_dir() / f"holidays-{country}-{subdivision or 'all'}-{first}-{last}-{stamp}.json"


def _read_cache(path: Path, country: str, subdivision: str | None, stamp: str) -> frozenset[dt.date] | None:
    """The cached holidays if the file is ours and intact: owned by this user, writable by nobody else,
    for this region and this holidays package, and its dates match the digest stored with them."""
    from cspr.engine.files import read_bounded

    try:
        info = path.lstat()
        if not path.is_file() or path.is_symlink() or info.st_mode & 0o022 or info.st_uid != os.getuid():
            return None
        data = json.loads(read_bounded(path, 1_000_000, "a holiday cache"))
        dates = data["dates"]
        if (data["country"], data["subdivision"]) != (country, subdivision) or not isinstance(dates, list):
            return None
        if data["sha256"] != _cache_digest(country, subdivision, stamp, dates):
            return None  # edited or damaged: computed again below, and the file rewritten
        return frozenset(dt.date.fromisoformat(d) for d in dates)
    except (OSError, ValueError, KeyError, TypeError, CsprError):
        return None


@cache
def _cached(country: str, subdivision: str | None) -> frozenset[dt.date]:
    """The region's holidays for CACHED_YEARS, from a cache file kept beside the user's other caches.

    Computing eighty years of holidays takes a quarter of a second; reading them
    back takes a millisecond, so every command after the first starts fast. The
    file's name changes when the holidays package does, so an update (a new
    one-off bank holiday) is picked up at once. The file carries a digest of its
    dates; one that was edited (or is not the user's own) is ignored and
    written again, and ``cspr audit verify`` compares it with the package
    (:func:`cache_problems`).
    """
    stamp = _package_stamp()
    path = _cache_path(country, subdivision, stamp)
    found = _read_cache(path, country, subdivision, stamp)
    if found is not None:
        return found
    dates = _compute(country, subdivision, *CACHED_YEARS)
    _write_cache(path, country, subdivision, stamp, dates)
    return dates


def _write_cache(path: Path, country: str, subdivision: str | None, stamp: str, dates: frozenset[dt.date]) -> None:
    listed = sorted(d.isoformat() for d in dates)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"country": country, "subdivision": subdivision, "dates": listed,
                       "sha256": _cache_digest(country, subdivision, stamp, listed)}, handle)
        os.replace(temporary, path)
    except OSError:
        pass  # no writable cache: compute next time too


_CHECKED: set[tuple[str, int, int, int]] = set()


def cache_problems() -> list[str]:
    """Every cached holiday file of the installed holidays package that no longer says what the package says
    (each is rewritten from the package); empty when all agree."""
    stamp = _package_stamp()
    problems = []
    for path in sorted(_cache_dir().glob(f"holidays-*-{CACHED_YEARS[0]}-{CACHED_YEARS[1]}-{stamp}.json")):
        from cspr.engine.files import read_bounded

        try:
            data = json.loads(read_bounded(path, 1_000_000, "a holiday cache"))
            country, subdivision = str(data["country"]), data["subdivision"]
        except (OSError, ValueError, KeyError, TypeError, CsprError):
            problems.append(f"the holiday cache {path} cannot be read; it was removed")
            path.unlink(missing_ok=True)
            continue
        if path != _cache_path(country, subdivision, stamp):
            problems.append(f"the holiday cache {path} names another region; it was removed")
            path.unlink(missing_ok=True)
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        seen = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
        if seen in _CHECKED:
            continue  # compared with the package already, and unchanged since
        true = _compute(country, subdivision, *CACHED_YEARS)
        if _read_cache(path, country, subdivision, stamp) == true:
            _CHECKED.add(seen)
        else:
            problems.append(f"the holiday cache {path} differs from the holidays package (edited?); it was "
                            "written again from the package")
            _write_cache(path, country, subdivision, stamp, true)
    if problems:
        _cached.cache_clear()
        _holiday_dates.cache_clear()
    return problems


@cache
def _holiday_dates(country: str, subdivision: str | None, first: int, last: int) -> frozenset[dt.date]:
    if CACHED_YEARS[0] <= first and last <= CACHED_YEARS[1]:
        return frozenset(d for d in _cached(country, subdivision) if first <= d.year <= last)
    return _compute(country, subdivision, first, last)


@cache
def calendar_of(definition: Any) -> WorkingCalendar:
    """The working-day calendar a definition declares (its holiday region and local closures)."""
    spec = definition.calendar
    return WorkingCalendar(spec.country, spec.subdivision, [c.date for c in spec.closures])


def holiday_region_problem(country: str | None, subdivision: str | None) -> str | None:
    """Why this region cannot be used, or None if the holidays package knows it."""
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"the holidays package has no country {country!r} (GB is the United Kingdom)"
    if subdivision is not None and subdivision not in supported[country]:
        choices = ", ".join(supported[country]) or "none"
        return f"{country} has no subdivision {subdivision!r}; choose one of: {choices}"
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, or that month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(f"{months} months from {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    last = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


class PeriodUnit(StrEnum):
    """The units a period is counted in; the value is the YAML key (``working_days: 5``)."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"

    @property
    def word(self) -> str:
        return _UNIT_WORDS[self]

    def amount(self, n: int) -> str:
        """'1 working day', '5 working days', '2 months'."""
        return f"{n} {self.word}{'' if abs(n) == 1 else 's'}"


_UNIT_WORDS: dict[PeriodUnit, str] = {
    PeriodUnit.WORKING_DAYS: "working day",
    PeriodUnit.CALENDAR_DAYS: "calendar day",
    PeriodUnit.MONTHS: "month",
}


class WorkingCalendar:
    """Working-day arithmetic for one holiday region plus local closure days."""

    def __init__(self, country: str = "GB", subdivision: str | None = "ENG", closures: Iterable[dt.date] = ()):
        self.country = country
        self.subdivision = subdivision
        self.closures = frozenset(closures)
        self._first_year = 0
        self._last_year = -1
        self._base = 0  # ordinal of 1 January of the first year
        self._rank: list[int] = []  # working days on or before base+i
        self._days: list[int] = []  # ordinals of working days, ascending

    # -- the span --------------------------------------------------------------

    def _cover(self, first_year: int, last_year: int) -> None:
        if self._first_year <= first_year and last_year <= self._last_year:
            return
        if first_year < FIRST_YEAR or last_year > LAST_YEAR:
            raise CalendarError(f"dates must fall between {FIRST_YEAR} and {LAST_YEAR}")
        if self._last_year >= self._first_year:
            first_year = min(first_year, self._first_year)
            last_year = max(last_year, self._last_year)
        first_year = max(FIRST_YEAR, first_year - _MARGIN_YEARS)
        last_year = min(LAST_YEAR, last_year + _MARGIN_YEARS)
        closed = _holiday_dates(self.country, self.subdivision, first_year, last_year) | self.closures
        start = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        closed_ordinals = {d.toordinal() for d in closed}
        rank: list[int] = []
        days: list[int] = []
        count = 0
        for ordinal in range(start, end + 1):
            # date.fromordinal(o).weekday() == (o - 1) % 7; 5 and 6 are Saturday and Sunday
            if (ordinal - 1) % 7 < 5 and ordinal not in closed_ordinals:
                count += 1
                days.append(ordinal)
            rank.append(count)
        self._first_year, self._last_year = first_year, last_year
        self._base, self._rank, self._days = start, rank, days

    def _rank_of(self, day: dt.date) -> int:
        """How many working days of the span fall on or before ``day``."""
        self._cover(day.year, day.year)
        return self._rank[day.toordinal() - self._base]

    # -- the public arithmetic ---------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        self._cover(day.year, day.year)
        index = day.toordinal() - self._base
        return self._rank[index] != (self._rank[index - 1] if index else 0)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (before it, if n is negative); day 0 is ``day``."""
        if n == 0:
            return day
        years = abs(n) // 240 + 1
        if n > 0:
            self._cover(day.year, day.year + years)
            index = self._rank_of(day) + n - 1
        else:
            self._cover(day.year - years, day.year)
            # working days strictly before `day`, then step back
            index = self._rank_of(day) - (1 if self.is_working_day(day) else 0) + n
        if not 0 <= index < len(self._days):  # pragma: no cover - _cover leaves room
            raise CalendarError(f"{n} working days from {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
        return dt.date.fromordinal(self._days[index])

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end is earlier)."""
        self._cover(min(start.year, end.year), max(start.year, end.year))
        return self._rank_of(end) - self._rank_of(start)

    def add_calendar_days(self, day: dt.date, n: int) -> dt.date:
        try:
            result = day + dt.timedelta(days=n)
        except OverflowError:
            raise CalendarError(f"{n} days from {day.isoformat()} is out of range") from None
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise CalendarError(f"{n} days from {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
        return result

    def shift(self, day: dt.date, amount: int, unit: str) -> dt.date:
        """Move ``day`` by ``amount`` units (a :class:`PeriodUnit`)."""
        if unit == PeriodUnit.WORKING_DAYS:
            return self.add_working_days(day, amount)
        if unit == PeriodUnit.CALENDAR_DAYS:
            return self.add_calendar_days(day, amount)
        if unit == PeriodUnit.MONTHS:
            return add_months(day, amount)
        raise CalendarError(f"unknown unit {unit!r}")

    def holidays_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Bank holidays and closures that fall on weekdays from start to end inclusive."""
        self._cover(start.year, end.year)
        closed = _holiday_dates(self.country, self.subdivision, self._first_year, self._last_year) | self.closures
        return sorted(d for d in closed if start <= d <= end and d.weekday() < 5)

    def holiday_name(self, day: dt.date) -> str | None:
        import holidays

        if day in self.closures:
            return "local closure"
        table = holidays.country_holidays(self.country, subdiv=self.subdivision, years=[day.year])
        return table.get(day)
