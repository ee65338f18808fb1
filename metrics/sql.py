"""SQL expressions for period arithmetic, so set-wise queries agree with metrics.periods.

Each function returns an expression over columns or parameters named by the caller;
fiscal expressions read the `$fy_month` parameter. Frequencies are those of
metrics.periods: daily, weekly, monthly, quarterly, annual.
"""
from __future__ import annotations


def fiscal_year_start(day: str) -> str:
    """First day of the fiscal year holding `day`."""
    return (f"CAST(date_trunc('month', {day}) - to_months(CAST((month({day}) - $fy_month + 12) % 12 "
            f"AS INTEGER)) AS DATE)")


def shift(frequency: str, start: str, n: str) -> str:
    """The start of the period `n` periods after the one starting at `start`."""
    return f"""CAST(CASE {frequency}
        WHEN 'daily' THEN {start} + to_days(CAST({n} AS INTEGER))
        WHEN 'weekly' THEN {start} + to_days(CAST(7 * ({n}) AS INTEGER))
        WHEN 'monthly' THEN {start} + to_months(CAST({n} AS INTEGER))
        WHEN 'quarterly' THEN {start} + to_months(CAST(3 * ({n}) AS INTEGER))
        ELSE {start} + to_months(CAST(12 * ({n}) AS INTEGER)) END AS DATE)"""


def period_end(frequency: str, start: str) -> str:
    """The last day of the period starting at `start`."""
    return f"CAST({shift(frequency, start, '1')} - INTERVAL 1 DAY AS DATE)"


def period_index(frequency: str, start: str) -> str:
    """A running number of the period, so consecutive periods differ by one."""
    return f"""CASE {frequency}
        WHEN 'daily' THEN datediff('day', DATE '2000-01-03', {start})
        WHEN 'weekly' THEN datediff('day', DATE '2000-01-03', {start}) // 7
        WHEN 'monthly' THEN datediff('month', DATE '2000-01-01', {start})
        WHEN 'quarterly' THEN datediff('month', DATE '2000-01-01', {start}) // 3
        ELSE datediff('month', DATE '2000-01-01', {start}) // 12 END"""


def _first_period_start(frequency: str, fy_start: str) -> str:
    # Weeks start on Mondays: the fiscal year's first week is the first starting inside it.
    return (f"CAST(CASE {frequency} WHEN 'weekly' THEN {fy_start} + to_days(CAST((8 - isodow({fy_start})) % 7 "
            f"AS INTEGER)) ELSE {fy_start} END AS DATE)")


def periods_in_fiscal_year(frequency: str, fy_start: str) -> str:
    """How many periods of `frequency` start inside the fiscal year starting at `fy_start`."""
    first = _first_period_start(frequency, fy_start)
    last_day = f"CAST({fy_start} + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE)"
    return f"""CASE {frequency}
        WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 WHEN 'annual' THEN 1
        WHEN 'weekly' THEN datediff('day', {first}, {last_day}) // 7 + 1
        ELSE datediff('day', {fy_start}, {last_day}) + 1 END"""


def elapsed_in_fiscal_year(frequency: str, fy_start: str, start: str) -> str:
    """Periods of the fiscal year up to and including the one starting at `start`."""
    first = _first_period_start(frequency, fy_start)
    return f"({period_index(frequency, start)}) - ({period_index(frequency, first)}) + 1"
