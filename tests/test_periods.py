"""Periods: every form of DESIGN §3, on fiscal calendars starting in any month."""
from __future__ import annotations

from datetime import date

import pytest

from metrics.periods import FiscalCalendar, Period, PeriodError, parse_date

JULY = FiscalCalendar(7)
JANUARY = FiscalCalendar(1)
OCTOBER = FiscalCalendar(10)


@pytest.mark.parametrize("text, frequency, start", [
    ("2024-03-05", "daily", date(2024, 3, 5)),
    ("2024-02-29", "daily", date(2024, 2, 29)),
    ("2024-W10", "weekly", date(2024, 3, 4)),
    ("2020-W53", "weekly", date(2020, 12, 28)),
    ("2024-03", "monthly", date(2024, 3, 1)),
    ("2024-Q1", "quarterly", date(2024, 1, 1)),
    ("2024-Q4", "quarterly", date(2024, 10, 1)),
    ("FY2024-Q1", "quarterly", date(2023, 7, 1)),
    ("FY2024-Q3", "quarterly", date(2024, 1, 1)),
    ("FY2024", "annual", date(2023, 7, 1)),
    ("2024", "annual", date(2024, 1, 1)),
    (" fy2024-q2 ", "quarterly", date(2023, 10, 1)),
])
def test_parse_every_form_on_a_july_calendar(text, frequency, start):
    assert JULY.parse(text) == Period(frequency, start)


@pytest.mark.parametrize("text", ["2024-03-05", "2024-W10", "2020-W53", "2024-03", "FY2024-Q1",
                                  "FY2024-Q4", "FY2024", "2024"])
def test_label_reads_back_to_the_same_period(text):
    period = JULY.parse(text)
    assert JULY.parse(JULY.label(period)) == period


@pytest.mark.parametrize("text, message", [
    ("2024-02-30", "February 2024 has 29 days"),
    ("2023-02-29", "February 2023 has 28 days"),
    ("2024-04-31", "April 2024 has 30 days"),
    ("2024-13-01", "no month 13"),
    ("2024-13", "months run 01 to 12"),
    ("2024-00", "months run 01 to 12"),
    ("2021-W53", "2021 has 52 ISO weeks"),
    ("2024-W00", "2024 has 52 ISO weeks"),
    ("2024-Q5", "quarters run Q1 to Q4"),
    ("FY2024-Q0", "quarters run Q1 to Q4"),
    ("March 2024", "is not a period"),
    ("", "is not a period"),
    ("03/01/2024", "is not a period"),
])
def test_impossible_or_unknown_text_is_refused_with_the_reason(text, message):
    with pytest.raises(PeriodError, match=message):
        JULY.parse(text)


def test_parse_date_is_strict():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    with pytest.raises(PeriodError, match="February 2024 has 29 days"):
        parse_date("2024-02-30")
    with pytest.raises(PeriodError):
        parse_date("2024-2-3")


def test_periods_check_their_start():
    with pytest.raises(PeriodError, match="Monday"):
        Period("weekly", date(2024, 3, 5))
    with pytest.raises(PeriodError, match="1st of a month"):
        Period("monthly", date(2024, 3, 5))
    with pytest.raises(PeriodError, match="unknown frequency"):
        Period("fortnightly", date(2024, 3, 4))


def test_fiscal_year_boundaries_with_a_july_start():
    assert JULY.fiscal_year(date(2023, 6, 30)) == 2023
    assert JULY.fiscal_year(date(2023, 7, 1)) == 2024
    assert JULY.fiscal_year(date(2024, 6, 30)) == 2024
    fy = JULY.fiscal_year_period(2024)
    assert (fy.start, fy.end) == (date(2023, 7, 1), date(2024, 6, 30))
    assert JULY.label(fy) == "FY2024"


def test_a_january_start_makes_fiscal_years_calendar_years():
    assert JANUARY.fiscal_year(date(2024, 1, 1)) == 2024
    assert JANUARY.fiscal_year(date(2024, 12, 31)) == 2024
    assert JANUARY.parse("FY2024") == JANUARY.parse("2024") == Period("annual", date(2024, 1, 1))
    assert JANUARY.parse("FY2024-Q2") == JANUARY.parse("2024-Q2")
    assert JANUARY.label(JANUARY.parse("FY2024-Q2")) == "2024-Q2"
    assert JANUARY.label(Period("annual", date(2024, 1, 1))) == "2024"


def test_an_october_start():
    assert OCTOBER.fiscal_year(date(2023, 9, 30)) == 2023
    assert OCTOBER.fiscal_year(date(2023, 10, 1)) == 2024
    assert OCTOBER.parse("FY2024-Q1") == Period("quarterly", date(2023, 10, 1))
    assert OCTOBER.containing("quarterly", date(2024, 2, 14)) == Period("quarterly", date(2024, 1, 1))
    assert OCTOBER.label(Period("quarterly", date(2024, 1, 1))) == "FY2024-Q2"


@pytest.mark.parametrize("start_month", range(1, 13))
def test_every_start_month_tiles_the_year_with_four_quarters(start_month):
    cal = FiscalCalendar(start_month)
    year = cal.fiscal_year_period(2025)
    quarters = cal.periods_in(year, "quarterly")
    assert len(quarters) == 4
    assert quarters[0].start == year.start and quarters[-1].end == year.end
    assert [cal.fiscal_quarter(q) for q in quarters] == [(2025, n) for n in (1, 2, 3, 4)]
    assert len(cal.periods_in(year, "monthly")) == 12
    for quarter in quarters:
        assert cal.parse(cal.label(quarter)) == quarter


def test_containing_maps_a_day_onto_each_frequency():
    day = date(2024, 2, 29)
    assert JULY.containing("daily", day) == Period("daily", day)
    assert JULY.containing("weekly", day) == Period("weekly", date(2024, 2, 26))
    assert JULY.containing("monthly", day) == Period("monthly", date(2024, 2, 1))
    assert JULY.containing("quarterly", day) == JULY.parse("FY2024-Q3")
    assert JULY.containing("annual", day) == JULY.parse("FY2024")
    with pytest.raises(PeriodError):
        JULY.containing("hourly", day)


def test_arithmetic_across_leap_years_and_year_ends():
    assert Period("daily", date(2024, 2, 28)) + 1 == Period("daily", date(2024, 2, 29))
    assert Period("daily", date(2023, 2, 28)) + 1 == Period("daily", date(2023, 3, 1))
    assert Period("monthly", date(2024, 1, 1)).end == date(2024, 1, 31)
    assert Period("monthly", date(2024, 2, 1)).end == date(2024, 2, 29)
    assert Period("monthly", date(2023, 2, 1)).end == date(2023, 2, 28)
    assert Period("monthly", date(2023, 11, 1)) + 3 == Period("monthly", date(2024, 2, 1))
    assert Period("monthly", date(2024, 2, 1)) - 14 == Period("monthly", date(2022, 12, 1))
    assert JULY.parse("FY2024-Q4") + 1 == JULY.parse("FY2025-Q1")
    assert JULY.parse("FY2024") + 1 == JULY.parse("FY2025")
    assert Period("annual", date(2024, 1, 1)).end == date(2024, 12, 31)


def test_iso_week_53_and_the_turn_of_the_year():
    week53 = JULY.parse("2020-W53")
    assert week53.end == date(2021, 1, 3)
    assert week53 + 1 == JULY.parse("2021-W01")
    assert JULY.label(JULY.containing("weekly", date(2021, 1, 1))) == "2020-W53"
    assert JULY.label(JULY.containing("weekly", date(2024, 12, 30))) == "2025-W01"
    assert JULY.parse("2021-W01") - week53 == 1


def test_subtracting_periods_counts_them():
    assert JULY.parse("2024-03") - JULY.parse("2023-03") == 12
    assert JULY.parse("FY2025-Q2") - JULY.parse("FY2024-Q1") == 5
    assert JULY.parse("2024-03-01") - JULY.parse("2024-02-01") == 29
    assert JULY.parse("2024-W10") - JULY.parse("2023-W10") == 52
    with pytest.raises(PeriodError, match="cannot subtract"):
        JULY.parse("2024-03") - JULY.parse("2024-Q1")


def test_periods_in_a_fiscal_year_for_pro_rating():
    fy = JULY.parse("FY2021")  # 2020-07-01 .. 2021-06-30
    weeks = JULY.periods_in(fy, "weekly")
    assert weeks[0].start >= fy.start and weeks[-1].start <= fy.end
    assert len(weeks) == 52
    assert len(JULY.periods_in(JULY.parse("FY2024"), "daily")) == 366  # holds 2024-02-29
    assert len(JULY.periods_in(JULY.parse("FY2023"), "daily")) == 365


def test_calendar_refuses_a_month_that_does_not_exist():
    with pytest.raises(PeriodError, match="1 to 12"):
        FiscalCalendar(13)
    with pytest.raises(PeriodError, match="1 to 12"):
        FiscalCalendar(0)
