"""Reporting periods: a frequency plus a start date, on a city's fiscal calendar.

Forms (DESIGN §3): day `2024-03-05`, ISO week `2024-W10`, month `2024-03`, calendar
quarter `2024-Q1`, fiscal quarter `FY2024-Q1`, fiscal year `FY2024`, calendar year `2024`.
Fiscal year N is named for the calendar year it ends in: with a July start, FY2024 runs
2023-07-01 to 2024-06-30. A start month of 1 makes fiscal years calendar years.
"""
from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from metrics.reasons import Reason

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual")
_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


class PeriodError(ValueError):
    """Text or values that do not name a real period; the message says what is wrong."""


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@dataclass(frozen=True, order=True)
class Period:
    """A period of `frequency` starting on `start` (a Monday for weeks, the 1st for months,
    quarters and years). Periods of one frequency order and subtract like integers."""

    frequency: str
    start: date

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise PeriodError(f"unknown frequency {self.frequency!r}; use one of {', '.join(FREQUENCIES)}")
        if not isinstance(self.start, date):
            raise PeriodError(f"a period starts on a date, got {self.start!r}")
        if self.frequency == "weekly" and self.start.isoweekday() != 1:
            raise PeriodError(f"a week starts on a Monday; {self.start} is not one")
        if self.frequency in _MONTHS and self.start.day != 1:
            raise PeriodError(f"a {self.frequency} period starts on the 1st of a month, not {self.start}")

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return (self + 1).start - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __add__(self, n: int) -> "Period":
        if not isinstance(n, int):
            return NotImplemented
        if self.frequency == "daily":
            return Period("daily", self.start + timedelta(days=n))
        if self.frequency == "weekly":
            return Period("weekly", self.start + timedelta(weeks=n))
        return Period(self.frequency, _add_months(self.start, n * _MONTHS[self.frequency]))

    def __sub__(self, other):
        """`period - 3` is three periods earlier; `a - b` counts the periods from b to a."""
        if isinstance(other, int):
            return self + (-other)
        if isinstance(other, Period):
            if other.frequency != self.frequency:
                raise PeriodError(f"cannot subtract a {other.frequency} period from a {self.frequency} one")
            if self.frequency == "daily":
                return (self.start - other.start).days
            if self.frequency == "weekly":
                return (self.start - other.start).days // 7
            months = _month_index(self.start) - _month_index(other.start)
            return months // _MONTHS[self.frequency]
        return NotImplemented


_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q(\d)$")
_FISCAL_QUARTER = re.compile(r"^FY(\d{4})-Q(\d)$")
_FISCAL_YEAR = re.compile(r"^FY(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_date(text: str) -> date:
    """An ISO date `YYYY-MM-DD`, with a message naming the impossible part."""
    match = _DAY.match(text.strip())
    if not match:
        raise PeriodError(Reason("period.not_a_date", text=repr(text)))
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise PeriodError(Reason("period.no_month", text=repr(text), month=month))
    days = _calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        # month_name is English; the web layer names the month in the reader's language
        raise PeriodError(Reason("period.short_month", text=repr(text), month_name=_MONTH_NAMES[month - 1],
                                 month=month, year=year, days=days))
    return date(year, month, day)


@dataclass(frozen=True)
class FiscalCalendar:
    """The city's calendar: where fiscal years start, and how periods are named on it."""

    start_month: int = 7

    def __post_init__(self) -> None:
        if not (isinstance(self.start_month, int) and 1 <= self.start_month <= 12):
            raise PeriodError(f"the fiscal year start month must be 1 to 12, got {self.start_month!r}")

    # -- fiscal years -------------------------------------------------------------------
    def fiscal_year(self, day: date) -> int:
        """The number of the fiscal year holding `day`."""
        if self.start_month == 1:
            return day.year
        return day.year + 1 if day.month >= self.start_month else day.year

    def fiscal_year_start(self, fiscal_year: int) -> date:
        year = fiscal_year if self.start_month == 1 else fiscal_year - 1
        return date(year, self.start_month, 1)

    def fiscal_year_period(self, fiscal_year: int) -> Period:
        return Period("annual", self.fiscal_year_start(fiscal_year))

    def fiscal_year_of(self, period: Period) -> Period:
        """The fiscal year holding the start of `period`."""
        return self.fiscal_year_period(self.fiscal_year(period.start))

    # -- periods on the calendar ---------------------------------------------------------
    def containing(self, frequency: str, day: date) -> Period:
        """The period of `frequency` holding `day`; quarters and years are fiscal."""
        if frequency == "daily":
            return Period("daily", day)
        if frequency == "weekly":
            return Period("weekly", day - timedelta(days=day.isoweekday() - 1))
        if frequency == "monthly":
            return Period("monthly", day.replace(day=1))
        if frequency in ("quarterly", "annual"):
            length = _MONTHS[frequency]
            offset = (_month_index(day) - (self.start_month - 1)) % length
            return Period(frequency, _add_months(day.replace(day=1), -offset))
        raise PeriodError(f"unknown frequency {frequency!r}; use one of {', '.join(FREQUENCIES)}")

    def periods_in(self, container: Period, frequency: str) -> list[Period]:
        """Periods of `frequency` that start inside `container`, in order."""
        first = self.containing(frequency, container.start)
        if first.start < container.start:
            first = first + 1
        periods = []
        current = first
        while current.start <= container.end:
            periods.append(current)
            current = current + 1
        return periods

    def fiscal_quarter(self, period: Period) -> tuple[int, int] | None:
        """(fiscal year, quarter number) when `period` is a quarter on the fiscal grid."""
        if period.frequency != "quarterly":
            return None
        months = (_month_index(period.start) - (self.start_month - 1)) % 12
        if months % 3:
            return None
        return self.fiscal_year(period.start), months // 3 + 1

    # -- text ------------------------------------------------------------------------------
    def parse(self, text: str) -> Period:
        """Any period form of DESIGN §3, strictly; impossible dates are refused."""
        raw = str(text).strip()
        upper = raw.upper()
        if _DAY.match(raw):
            return Period("daily", parse_date(raw))
        if match := _WEEK.match(upper):
            year, week = int(match[1]), int(match[2])
            try:
                return Period("weekly", date.fromisocalendar(year, week, 1))
            except ValueError:
                weeks = date(year, 12, 28).isocalendar()[1]
                raise PeriodError(Reason("period.no_week", text=repr(raw), year=year, weeks=weeks)) from None
        if match := _MONTH.match(raw):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise PeriodError(Reason("period.month_range", text=repr(raw)))
            return Period("monthly", date(year, month, 1))
        if match := _FISCAL_QUARTER.match(upper):
            fiscal_year, quarter = int(match[1]), int(match[2])
            self._check_quarter(raw, quarter)
            return Period("quarterly", _add_months(self.fiscal_year_start(fiscal_year), 3 * (quarter - 1)))
        if match := _QUARTER.match(upper):
            year, quarter = int(match[1]), int(match[2])
            self._check_quarter(raw, quarter)
            return Period("quarterly", date(year, 3 * quarter - 2, 1))
        if match := _FISCAL_YEAR.match(upper):
            return self.fiscal_year_period(int(match[1]))
        if match := _YEAR.match(raw):
            return Period("annual", date(int(match[1]), 1, 1))
        raise PeriodError(Reason("period.unreadable", text=repr(raw)))

    @staticmethod
    def _check_quarter(raw: str, quarter: int) -> None:
        if not 1 <= quarter <= 4:
            raise PeriodError(Reason("period.quarter_range", text=repr(raw)))

    def label(self, period: Period) -> str:
        """The canonical text of `period`, which `parse` reads back to the same period."""
        start = period.start
        if period.frequency == "daily":
            return start.isoformat()
        if period.frequency == "weekly":
            year, week, _ = start.isocalendar()
            return f"{year}-W{week:02d}"
        if period.frequency == "monthly":
            return f"{start.year}-{start.month:02d}"
        if period.frequency == "quarterly":
            fiscal = self.fiscal_quarter(period)
            if fiscal and self.start_month != 1:
                return f"FY{fiscal[0]}-Q{fiscal[1]}"
            if start.month % 3 == 1:
                return f"{start.year}-Q{start.month // 3 + 1}"
            return f"{start.year}-{start.month:02d}+3M"
        if start.month == self.start_month and self.start_month != 1:
            return f"FY{self.fiscal_year(start)}"
        if start.month == 1:
            return str(start.year)
        return f"{start.year}-{start.month:02d}+12M"
