"""Year-end forecasts: seasonal naive with a year of history, else linear; an 80 % interval
that narrows as the year fills; likely, unlikely or uncertain against the target."""
from __future__ import annotations

from datetime import date

import pytest

from metrics.forecast import forecast_one
from metrics.periods import FiscalCalendar

JULY = FiscalCalendar(7)
FY24 = [date(2023, 7, 1) if m == 7 else date(2023 + (m < 7), m, 1) for m in (7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6)]
FY23 = [date(d.year - 1, d.month, 1) for d in FY24]


def _kpi(latest, direction="up", aggregation="sum"):
    return {"id": "k", "frequency": "monthly", "direction": direction, "aggregation": aggregation,
            "latest_period_start": latest}


def _annual(value=None, low=None, high=None, start=date(2023, 7, 1)):
    return [{"frequency": "annual", "period_start": start, "value": value, "low": low, "high": high}]


def test_seasonal_naive_follows_last_years_shape_scaled_to_this_year():
    seasonal = [10, 20, 30, 40, 50, 60, 60, 50, 40, 30, 20, 10]
    history = dict(zip(FY23, seasonal))
    history.update({d: 1.1 * v for d, v in zip(FY24[:3], seasonal[:3])})   # 10 % up so far
    result = forecast_one(_kpi(FY24[2]), JULY, history, _annual(450))
    assert result["method"] == "seasonal_naive" and result["fiscal_year"] == "FY2024"
    assert result["value"] == pytest.approx(1.1 * sum(seasonal))
    assert result["low"] <= result["value"] <= result["high"]
    assert result["likelihood"] == "likely"
    assert [p["period_start"] for p in result["projection"]] == FY24[3:]


def test_linear_without_a_year_of_history():
    history = {d: 100 + 10 * i for i, d in enumerate(FY24[:6])}
    result = forecast_one(_kpi(FY24[5], aggregation="last"), JULY, history, _annual(200))
    assert result["method"] == "linear"
    assert result["value"] == pytest.approx(210)   # the line reaches 210 in June
    assert result["likelihood"] == "likely"


def test_a_complete_year_is_its_own_forecast():
    history = {d: 10.0 for d in FY24}
    result = forecast_one(_kpi(FY24[-1]), JULY, history, _annual(130))
    assert result["method"] == "actual" and result["value"] == result["low"] == result["high"] == 120
    assert result["likelihood"] == "unlikely"
    assert result["projection"] == []


def test_wide_interval_across_the_target_is_uncertain():
    history = {FY24[0]: 100, FY24[1]: 20, FY24[2]: 140}
    first = forecast_one(_kpi(FY24[2], aggregation="mean"), JULY, history, _annual(0))
    assert first["high"] - first["low"] > 20   # noisy data, few points: a wide interval
    middle = forecast_one(_kpi(FY24[2], aggregation="mean"), JULY, history, _annual(first["value"]))
    assert middle["likelihood"] == "uncertain"


@pytest.mark.parametrize("direction, target, expected", [
    ("down", {"value": 5}, "likely"), ("down", {"value": 3}, "unlikely"),
    ("band", {"low": 3, "high": 6}, "likely"), ("band", {"low": 5, "high": 6}, "unlikely"),
])
def test_likelihood_by_direction(direction, target, expected):
    history = {d: 4.0 for d in FY24[:6]}
    targets = _annual(target.get("value"), target.get("low"), target.get("high"))
    assert forecast_one(_kpi(FY24[5], direction, "mean"), JULY, history, targets)["likelihood"] == expected


def test_no_forecast_without_a_target_or_direction():
    history = {FY24[0]: 1.0}
    assert forecast_one(_kpi(FY24[0]), JULY, history, []) is None
    assert forecast_one(_kpi(FY24[0], direction="neutral"), JULY, history, _annual(1)) is None
    assert forecast_one(_kpi(None), JULY, {}, _annual(1)) is None


def test_period_targets_add_up_to_a_year_target():
    history = {d: 10.0 for d in FY24[:6]}
    targets = [{"frequency": "monthly", "period_start": d, "value": 9.0, "low": None, "high": None} for d in FY24]
    result = forecast_one(_kpi(FY24[5]), JULY, history, targets)
    assert result["target"]["value"] == 108 and result["likelihood"] == "likely"
