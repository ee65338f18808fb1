"""The demo city generator (data/demo_city.py): deterministic, believable, consistent, and
seeded in one all-or-nothing transaction."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from data.demo_catalogue import DISTRICTS, KPIS
from data.demo_city import build_demo_city, seed_demo, status_against
from metrics.periods import FiscalCalendar, Period
from metrics.warehouse import Transaction, Warehouse

TODAY = date(2025, 3, 15)
TABLES = ("meta", "departments", "goals", "kpis", "import_batches", "targets", "observations")


@pytest.fixture(scope="module", params=[7, 1], ids=["july-fy", "calendar-fy"])
def calendar(request) -> FiscalCalendar:
    return FiscalCalendar(request.param)


@pytest.fixture(scope="module")
def city(calendar):
    return build_demo_city(TODAY, calendar)


def totals(city) -> pd.DataFrame:
    return city.observations[city.observations["dimension"] == ""]


def row_counts(warehouse) -> dict[str, int]:
    return {table: warehouse.query(f"SELECT count(*) FROM {table}").scalar() for table in TABLES}


# -- determinism -----------------------------------------------------------------------------
def test_same_inputs_build_identical_frames(city, calendar):
    again = build_demo_city(TODAY, calendar)
    for name in ("departments", "goals", "kpis", "targets", "observations"):
        pd.testing.assert_frame_equal(getattr(city, name), getattr(again, name))
    assert again.meta == city.meta


def test_another_seed_builds_another_history(city, calendar):
    other = build_demo_city(TODAY, calendar, seed=7)
    pd.testing.assert_frame_equal(other.kpis, city.kpis)
    assert not np.array_equal(other.observations["value"].to_numpy(), city.observations["value"].to_numpy())


# -- the catalogue -----------------------------------------------------------------------------
def test_catalogue_counts_and_ids(city):
    goals, departments, kpis = city.goals, city.departments, city.kpis
    assert goals["mayoral_priority"].sum() == 6
    assert 10 <= len(departments) <= 14
    assert 80 <= len(kpis) <= 120
    for frame in (goals, departments, kpis):
        assert frame["id"].is_unique
    assert set(kpis["direction"]) == {"up", "down", "band", "neutral"}
    assert {"weekly", "monthly", "quarterly", "annual"} <= set(kpis["frequency"])
    assert set(kpis["goal_id"]) <= set(goals["id"])
    assert set(kpis["department_id"]) <= set(departments["id"])


def test_goals_nest_under_priorities(city):
    goals = city.goals.set_index("id")
    children = goals[goals["parent_id"].notna()]
    assert 2 <= len(children) <= 4
    assert goals.loc[children["parent_id"], "mayoral_priority"].all()
    assert not children["mayoral_priority"].any()
    assert goals["owner"].notna().all() and goals["description_pt"].notna().all()


def test_kpi_definitions_are_complete_and_consistent(city):
    kpis = city.kpis
    for column in ("name", "name_es", "name_pt", "description", "methodology", "data_source"):
        assert kpis[column].notna().all() and (kpis[column].str.len() > 1).all(), column
    assert (kpis["name_es"] != kpis["name"]).mean() > 0.9
    assert (kpis["name_pt"] != kpis["name_es"]).mean() > 0.9
    durations = kpis[kpis["unit"] == "duration"]
    assert set(durations["unit_label"]) <= {"minutes", "hours", "days"}
    assert kpis.loc[kpis["unit"] == "rate", "unit_label"].notna().all()
    assert kpis.loc[~kpis["unit"].isin(["duration", "rate"]), "unit_label"].isna().all()
    assert 5 <= kpis["owner"].isna().sum() <= 12
    assert 8 <= kpis["critical"].sum() <= 14
    assert 0.35 <= kpis["published"].mean() <= 0.65
    assert 12 <= sum(b == ["district"] for b in kpis["breakdowns"]) <= 18
    assert set(kpis["aggregation"]) == {"sum", "mean", "last", "ratio"}


# -- the numbers ---------------------------------------------------------------------------------
def test_percent_values_are_fractions(city):
    percent_ids = city.kpis.loc[city.kpis["unit"] == "percent", "id"]
    values = city.observations.loc[city.observations["kpi_id"].isin(percent_ids), "value"]
    assert values.between(0, 1).all()
    assert values.notna().all()


def test_ratio_kpis_carry_numerator_and_denominator(city):
    ratio_ids = set(city.kpis.loc[city.kpis["aggregation"] == "ratio", "id"])
    rows = totals(city)
    ratio = rows[rows["kpi_id"].isin(ratio_ids)]
    assert len(ratio) and ratio["denominator"].gt(0).all()
    np.testing.assert_allclose(ratio["value"], ratio["numerator"] / ratio["denominator"], atol=1e-6)
    assert rows.loc[~rows["kpi_id"].isin(ratio_ids), ["numerator", "denominator"]].isna().all().all()


def test_every_period_start_is_a_real_period_of_the_kpis_frequency(city):
    frequency = city.kpis.set_index("id")["frequency"]
    for frame in (city.observations, city.targets):
        pairs = frame[["frequency", "period_start"]].drop_duplicates()
        for row in pairs.itertuples():
            Period(row.frequency, row.period_start)   # raises on a bad start
    assert (city.observations["frequency"] == city.observations["kpi_id"].map(frequency)).all()
    assert not city.observations.duplicated(["kpi_id", "period_start", "dimension", "member"]).any()


def test_history_covers_five_fiscal_years_and_ends_before_today(city, calendar):
    first_year_start = calendar.fiscal_year_start(calendar.fiscal_year(TODAY) - 5)
    rows = totals(city)
    monthly = rows[rows["frequency"] == "monthly"]
    assert monthly["period_start"].min() == first_year_start
    assert monthly["period_start"].max() == (calendar.containing("monthly", TODAY) - 1).start
    weekly = rows[rows["frequency"] == "weekly"]
    assert weekly["period_start"].max() == (calendar.containing("weekly", TODAY) - 1).start
    ends = [Period(r.frequency, r.period_start).end for r in rows[["frequency", "period_start"]]
            .drop_duplicates().itertuples()]
    assert max(ends) < TODAY
    annual = rows[rows["frequency"] == "annual"].groupby("kpi_id").size()
    assert annual.min() >= 4


def test_annual_data_waits_for_its_lag(calendar):
    today = calendar.fiscal_year_start(calendar.fiscal_year(TODAY)) + timedelta(days=10)
    city = build_demo_city(today, calendar)
    rows = totals(city)
    kpis = city.kpis.set_index("id")
    for kpi_id, group in rows[rows["frequency"] == "annual"].groupby("kpi_id"):
        latest = Period("annual", group["period_start"].max())
        assert latest.end + timedelta(days=int(kpis.loc[kpi_id, "lag_days"])) < today


def test_some_kpis_are_stale(city, calendar):
    rows = totals(city)
    frequency = city.kpis.set_index("id")["frequency"]
    lag = city.kpis.set_index("id")["lag_days"]
    stale = []
    for kpi_id, latest in rows.groupby("kpi_id")["period_start"].max().items():
        expected_last = calendar.containing(frequency[kpi_id], TODAY) - 1
        gap = expected_last - Period(frequency[kpi_id], latest)
        if pd.isna(lag[kpi_id]) and gap >= 3:
            stale.append(kpi_id)
            assert gap <= 6
    assert 3 <= len(stale) <= 7


def test_seasonality_shows_where_it_should(city):
    rows = totals(city)
    month = rows["period_start"].map(lambda d: d.month)
    potholes = rows[rows["kpi_id"] == "potholes-repaired"].groupby(month)["value"].mean()
    pools = rows[rows["kpi_id"] == "pool-attendance"].groupby(month)["value"].mean()
    fires = rows[rows["kpi_id"] == "structure-fires"].groupby(month)["value"].mean()
    assert potholes[[3, 4]].mean() > 1.5 * potholes[[9, 10]].mean()
    assert pools[[7]].mean() > 3 * pools[[1]].mean()
    assert fires[[12, 1]].mean() > fires[[6, 7]].mean()


def test_district_breakdowns_add_up(city):
    kpis = city.kpis.set_index("id")
    district_ids = [k for k, b in kpis["breakdowns"].items() if b == ["district"]]
    members = city.observations[city.observations["dimension"] == "district"]
    assert set(members["kpi_id"]) == set(district_ids)
    assert set(members["member"]) == set(DISTRICTS)
    merged = members.groupby(["kpi_id", "period_start"])["value"].agg(["sum", "mean", "size"]).join(
        totals(city).set_index(["kpi_id", "period_start"])["value"], how="left")
    assert (merged["size"] == len(DISTRICTS)).all() and merged["value"].notna().all()
    aggregation = merged.index.get_level_values("kpi_id").map(kpis["aggregation"])
    sums = merged[aggregation == "sum"]
    assert len(sums) and (sums["sum"] == sums["value"]).all()
    means = merged[aggregation == "mean"]
    assert len(means) and (abs(means["mean"] - means["value"]) <= 0.1 * means["value"].abs() + 1e-9).all()
    # persistent differences: the same districts lead year after year
    violent = members[members["kpi_id"] == "violent-crimes"].pivot(index="period_start", columns="member",
                                                                     values="value")
    assert violent.mean().max() > 1.5 * violent.mean().min()


def test_commentary_explains_city_totals(city):
    notes = city.observations[city.observations["note"].notna()]
    assert 35 <= len(notes) <= 50
    assert (notes["dimension"] == "").all()


# -- targets and status ---------------------------------------------------------------------------
def test_targets_cover_history_and_the_current_year(city, calendar):
    targets, kpis = city.targets, city.kpis.set_index("id")
    assert not (targets["kpi_id"].map(kpis["direction"]) == "neutral").any()
    without = set(kpis.index[kpis["direction"] != "neutral"]) - set(targets["kpi_id"])
    assert 5 <= len(without) <= 10
    annual = targets[targets["frequency"] == "annual"]
    years = {calendar.fiscal_year_start(fy) for fy in range(calendar.fiscal_year(TODAY) - 5,
                                                          calendar.fiscal_year(TODAY) + 1)}
    assert annual.groupby("kpi_id")["period_start"].agg(set).map(lambda s: s == years).all()
    per_period = targets[targets["frequency"] != "annual"]
    assert 3 <= per_period["kpi_id"].nunique() <= 8
    assert (per_period["frequency"] == per_period["kpi_id"].map(kpis["frequency"])).all()


def test_band_targets_have_low_and_high_only(city):
    band_ids = set(city.kpis.loc[city.kpis["direction"] == "band", "id"])
    bands = city.targets[city.targets["kpi_id"].isin(band_ids)]
    assert len(bands) and bands["value"].isna().all() and (bands["low"] <= bands["high"]).all()
    others = city.targets[~city.targets["kpi_id"].isin(band_ids)]
    assert others["value"].notna().all() and others[["low", "high"]].isna().all().all()


def latest_statuses(city, calendar) -> dict[str, str]:
    """DESIGN §4 status of each KPI with a direction and a target, for its latest period."""
    kpis, rows, statuses = city.kpis.set_index("id"), totals(city), {}
    for kpi_id, targets in city.targets.groupby("kpi_id"):
        kpi = kpis.loc[kpi_id]
        series = rows[rows["kpi_id"] == kpi_id].sort_values("period_start")
        latest = Period(kpi["frequency"], series["period_start"].iloc[-1])
        year = calendar.fiscal_year_of(latest)
        own = targets[(targets["frequency"] == latest.frequency) & (targets["period_start"] == latest.start)]
        target = (own if len(own) else targets[targets["period_start"] == year.start]).iloc[0]
        actual, value = series["value"].iloc[-1], target["value"]
        if kpi["aggregation"] == "sum" and not len(own):
            in_year = calendar.periods_in(year, latest.frequency)
            actual = series.loc[series["period_start"] >= year.start, "value"].sum()
            value = value * (in_year.index(latest) + 1) / len(in_year)
        if kpi["direction"] == "band":
            bound = min(target["low"], max(target["high"], actual))
            statuses[kpi_id] = ("on" if bound == actual else
                                "risk" if abs(actual - bound) <= kpi["tolerance"] * abs(bound) else "off")
        else:
            statuses[kpi_id] = status_against(kpi["direction"], actual, value, kpi["tolerance"])
    return statuses


def test_latest_statuses_spread_across_on_track_at_risk_and_off_track(city, calendar):
    counts = pd.Series(latest_statuses(city, calendar)).value_counts(normalize=True)
    assert 0.35 <= counts["on"] <= 0.65
    assert 0.15 <= counts["risk"] <= 0.35
    assert 0.15 <= counts["off"] <= 0.35


def test_kpis_worsening_lately_are_worsening(city):
    rows = totals(city)
    directions = city.kpis.set_index("id")["direction"]
    for spec in (spec for spec in KPIS if spec.late):
        values = rows.loc[rows["kpi_id"] == spec.id, "value"].to_numpy()[-6:]
        slope = np.polyfit(np.arange(len(values)), values, 1)[0] * len(values) / np.abs(values).mean()
        good = 1 if directions[spec.id] == "up" else -1
        assert good * slope < -0.02, spec.id


# -- seeding ----------------------------------------------------------------------------------------
def test_seed_writes_the_city_once(calendar):
    warehouse = Warehouse(":memory:")
    assert seed_demo(warehouse, calendar, today=TODAY) is True
    city = build_demo_city(TODAY, calendar)
    counts = row_counts(warehouse)
    assert counts["kpis"] == len(city.kpis)
    assert counts["observations"] == len(city.observations)
    assert counts["targets"] == len(city.targets)
    batch = warehouse.query("SELECT * FROM import_batches").dicts()
    assert len(batch) == 1
    assert batch[0]["kind"] == "seed" and batch[0]["file_name"] == "demo city generator"
    assert batch[0]["created_by"] == "seed-demo" and batch[0]["rows_accepted"] == len(city.observations)
    for table in ("observations", "targets"):
        ids = warehouse.query(f"SELECT DISTINCT batch_id FROM {table}").rows
        assert ids == [(batch[0]["id"],)]
    meta = dict(warehouse.query("SELECT key, value FROM meta").rows)
    assert meta["city_name"] == "City of Riverton" and meta["demo_today"] == TODAY.isoformat()
    assert "T" in meta["demo_seeded_at"]
    breakdowns = warehouse.query("SELECT breakdowns FROM kpis WHERE id = 'violent-crimes'").scalar()
    assert breakdowns == ["district"]
    assert warehouse.query("SELECT count(*) FROM observations WHERE note IS NOT NULL").scalar() >= 35

    assert seed_demo(warehouse, calendar, today=TODAY) is False
    assert row_counts(warehouse) == counts


def test_frames_use_warehouse_column_names(city):
    warehouse = Warehouse(":memory:")
    for table in ("departments", "goals", "kpis", "targets", "observations"):
        columns = {row[0] for row in warehouse.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).rows}
        assert set(getattr(city, table).columns) <= columns, table


def test_a_seed_that_fails_midway_leaves_nothing(calendar, monkeypatch):
    warehouse = Warehouse(":memory:")
    original = Transaction.insert_frame

    def failing(self, table, frame, columns):
        if table == "observations":
            raise RuntimeError("disk full")
        return original(self, table, frame, columns)

    monkeypatch.setattr(Transaction, "insert_frame", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_demo(warehouse, calendar, today=TODAY)
    assert set(row_counts(warehouse).values()) == {0}
    monkeypatch.setattr(Transaction, "insert_frame", original)
    assert seed_demo(warehouse, calendar, today=TODAY) is True


def test_seed_keeps_departments_a_city_already_set_up(calendar):
    warehouse = Warehouse(":memory:")
    with warehouse.transaction() as tx:
        tx.execute("INSERT INTO departments (id, name, head) VALUES ('police', 'Riverton PD', 'Chief')")
    assert seed_demo(warehouse, calendar, today=TODAY) is True
    assert warehouse.query("SELECT name FROM departments WHERE id = 'police'").scalar() == "Riverton PD"
