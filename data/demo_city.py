"""The demo city: five fiscal years of made-up but believable numbers for the City of Riverton.

`build_demo_city(today, calendar, seed)` is pure and deterministic: the same inputs give
identical frames, whose columns are warehouse column names. `seed_demo(warehouse,
calendar)` writes the whole city in one transaction when the warehouse has no KPIs yet.
The catalogue (names, units, levels, trends, seasons, commentary) is data, in
data/demo_catalogue.py.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from data.demo_catalogue import (CITY_NAME, DEPARTMENT_OWNER, DEPARTMENTS, DISTRICTS, EVENTS, GOALS, KPIS,
                                 KpiSpec)
from metrics.periods import FiscalCalendar, Period

DEFAULT_SEED = 20240701
HISTORY_YEARS = 5
LATE_PERIODS = 6   # "lately": the periods over which a `late` worsening builds up

_DECIMALS = {"count": 0, "percent": 1, "currency": 0, "duration": 1, "rate": 1, "ratio": 2, "score": 1}
_NOISE = {"count": 0.06, "percent": 0.02}
# Gaps (actual vs target, + is better) that make each status; risk and off are in tolerances.
_STATUS_GAP = {"on": (0.01, 0.3), "risk": (-0.8, -0.2), "off": (-math.inf, -1.3)}

DEPARTMENT_COLUMNS = ["id", "name", "name_es", "name_pt", "head"]
GOAL_COLUMNS = ["id", "title", "title_es", "title_pt", "description", "description_es", "description_pt",
                "owner", "parent_id", "mayoral_priority", "sort_order", "published"]
KPI_COLUMNS = ["id", "name", "name_es", "name_pt", "description", "description_es", "description_pt",
               "department_id", "goal_id", "unit",
               "unit_label", "direction", "frequency", "aggregation", "tolerance", "decimals", "owner",
               "data_source", "methodology", "lag_days", "published", "critical", "breakdowns"]
TARGET_COLUMNS = ["kpi_id", "frequency", "period_start", "value", "low", "high", "batch_id"]
OBSERVATION_COLUMNS = ["kpi_id", "frequency", "period_start", "dimension", "member", "value", "numerator",
                       "denominator", "note", "batch_id"]


@dataclass
class DemoCity:
    """The demo city as frames ready for `Transaction.insert_frame`, plus meta key/values."""

    departments: pd.DataFrame
    goals: pd.DataFrame
    kpis: pd.DataFrame
    targets: pd.DataFrame
    observations: pd.DataFrame
    meta: dict[str, str] = field(default_factory=dict)


# -- the time window ---------------------------------------------------------------------------
@dataclass
class _Window:
    """Five full fiscal years before the current one, up to the last period ended before today."""

    today: date
    calendar: FiscalCalendar
    _periods_in_fy: dict = field(default_factory=dict, repr=False)

    @property
    def current_fy(self) -> int:
        return self.calendar.fiscal_year(self.today)

    @property
    def first_fy(self) -> int:
        return self.current_fy - HISTORY_YEARS

    @property
    def start(self) -> date:
        return self.calendar.fiscal_year_start(self.first_fy)

    def periods(self, frequency: str, lag_days: int | None) -> list[Period]:
        """Every period of `frequency` from the start of history whose data is due by today."""
        first = self.calendar.containing(frequency, self.start)
        if first.start < self.start:
            first = first + 1
        last = self.calendar.containing(frequency, self.today) - 1
        while lag_days and last.end + timedelta(days=lag_days) >= self.today:
            last = last - 1
        return [first + i for i in range(last - first + 1)]

    def fiscal_year(self, period: Period) -> int:
        return self.calendar.fiscal_year(period.start)

    def periods_in_fy(self, fiscal_year: int, frequency: str) -> list[Period]:
        key = (fiscal_year, frequency)
        if key not in self._periods_in_fy:
            fy_period = self.calendar.fiscal_year_period(fiscal_year)
            self._periods_in_fy[key] = self.calendar.periods_in(fy_period, frequency)
        return self._periods_in_fy[key]


# -- the public API ----------------------------------------------------------------------------
def build_demo_city(today: date, calendar: FiscalCalendar, seed: int = DEFAULT_SEED) -> DemoCity:
    """The City of Riverton with history up to the last period ended before `today`."""
    _check_catalogue()
    window = _Window(today, calendar)
    shares = np.random.default_rng(seed).dirichlet(np.full(len(DISTRICTS), 30.0))
    observations, targets = [], []
    for spec in KPIS:
        rng = np.random.default_rng([seed, zlib.crc32(spec.id.encode())])
        series = _Series(spec, window, rng)
        observations.append(series.observations(shares))
        targets.append(series.targets())
    return DemoCity(
        departments=_department_frame(),
        goals=_goal_frame(),
        kpis=_kpi_frame(),
        targets=pd.concat(targets, ignore_index=True)[TARGET_COLUMNS],
        observations=pd.concat(observations, ignore_index=True)[OBSERVATION_COLUMNS],
        meta={"city_name": CITY_NAME, "demo_today": today.isoformat(), "demo_seed": str(seed)},
    )


def seed_demo(warehouse, calendar: FiscalCalendar, today: date | None = None) -> bool:
    """Write the demo city in one transaction if the warehouse has no KPIs; True if it did."""
    if warehouse.query("SELECT count(*) FROM kpis").scalar():
        return False
    today = today or date.today()
    city = build_demo_city(today, calendar)
    with warehouse.transaction() as tx:
        if tx.execute("SELECT count(*) FROM kpis").scalar():   # someone seeded meanwhile
            return False
        batch_id = tx.execute("SELECT nextval('import_batch_ids')").scalar()
        tx.execute("INSERT INTO import_batches (id, kind, file_name, created_by, rows_accepted) "
                   "VALUES (?, 'seed', 'demo city generator', 'seed-demo', ?)",
                   [batch_id, len(city.observations)])
        # Departments and goals a city already set up by hand are kept, not duplicated.
        for table, frame in (("departments", city.departments), ("goals", city.goals)):
            existing = {row[0] for row in tx.execute(f"SELECT id FROM {table}").rows}
            tx.insert_frame(table, frame[~frame["id"].isin(existing)], list(frame.columns))
        tx.insert_frame("kpis", city.kpis, list(city.kpis.columns))
        tx.insert_frame("targets", city.targets.assign(batch_id=batch_id), TARGET_COLUMNS)
        tx.insert_frame("observations", city.observations.assign(batch_id=batch_id), OBSERVATION_COLUMNS)
        meta = {**city.meta, "demo_seeded_at": datetime.now().isoformat(timespec="seconds")}
        placeholders = ", ".join(["(?, ?)"] * len(meta))
        tx.execute(f"INSERT OR REPLACE INTO meta (key, value) VALUES {placeholders}",
                   [item for pair in meta.items() for item in pair])
    return True


# -- the catalogue as frames -------------------------------------------------------------------
def _check_catalogue() -> None:
    departments = {row[0] for row in DEPARTMENTS}
    goals = {goal.id for goal in GOALS}
    ids = [spec.id for spec in KPIS]
    problems = [f"duplicate KPI id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for spec in KPIS:
        if spec.department not in departments or spec.goal not in goals:
            problems.append(f"{spec.id}: unknown department or goal")
        if spec.district and spec.aggregation == "ratio":
            problems.append(f"{spec.id}: district breakdowns of ratio KPIs are not generated")
        if (spec.direction == "band") != (spec.band is not None):
            problems.append(f"{spec.id}: band KPIs, and only they, need a band")
        if (spec.aggregation == "ratio") != (spec.den is not None):
            problems.append(f"{spec.id}: ratio KPIs, and only they, need a denominator")
    problems += [f"commentary for unknown KPI {e[0]}" for e in EVENTS if e[0] not in ids]
    if problems:
        raise ValueError("demo catalogue: " + "; ".join(problems))


def _department_frame() -> pd.DataFrame:
    return pd.DataFrame([row[:5] for row in DEPARTMENTS], columns=DEPARTMENT_COLUMNS)


def _goal_frame() -> pd.DataFrame:
    # A goal is published when the city published one of its KPIs, or one of its sub-goals'.
    parents = {g.id: g.parent_id for g in GOALS}
    published = set()
    for spec in KPIS:
        goal = spec.goal if spec.published else None
        while goal is not None:
            published.add(goal)
            goal = parents.get(goal)
    rows = [(g.id, *g.titles, *g.descriptions, g.owner, g.parent_id, g.mayoral_priority, g.sort_order,
             g.id in published) for g in GOALS]
    return pd.DataFrame(rows, columns=GOAL_COLUMNS)


def _kpi_frame() -> pd.DataFrame:
    departments = {row[0]: row for row in DEPARTMENTS}
    rows = []
    for spec in KPIS:
        department = departments[spec.department]
        owner = department[5] if spec.owner == DEPARTMENT_OWNER else spec.owner
        rows.append((spec.id, *spec.names, *spec.description, spec.department, spec.goal, spec.unit,
                     spec.unit_label, spec.direction, spec.frequency, spec.aggregation, spec.tolerance,
                     _decimals(spec), owner, spec.source or department[6], spec.methodology, spec.lag,
                     spec.published, spec.critical, ["district"] if spec.district else []))
    frame = pd.DataFrame(rows, columns=KPI_COLUMNS)
    frame["lag_days"] = frame["lag_days"].astype("Int64")
    return frame


def _decimals(spec: KpiSpec) -> int:
    return _DECIMALS[spec.unit] if spec.decimals is None else spec.decimals


# -- one KPI's history and targets -------------------------------------------------------------
class _Series:
    """The generated history of one KPI: city totals, notes, district members and targets."""

    def __init__(self, spec: KpiSpec, window: _Window, rng: np.random.Generator):
        self.spec, self.window, self.rng = spec, window, rng
        periods = window.periods(spec.frequency, spec.lag)
        self.periods = periods[:len(periods) - spec.stale]
        self.starts = [p.start for p in self.periods]
        level = self._level()
        self.notes = np.full(len(self.periods), None, dtype=object)
        self.expected = level = self._apply_events(level)
        values = self._band_end(self._noisy(level))
        self.values, self.numerators, self.denominators = self._finish(values)

    # shape ---------------------------------------------------------------------------------
    def _season(self, amplitude: float) -> np.ndarray:
        if not (amplitude and self.spec.peak) or self.spec.frequency == "annual":
            return np.ones(len(self.periods))
        middle = [p.start + (p.end - p.start) / 2 for p in self.periods]
        day = np.array([d.timetuple().tm_yday for d in middle], dtype=float)
        peak_day = date(2001, self.spec.peak, 15).timetuple().tm_yday
        return 1 + amplitude * np.cos(2 * np.pi * (day - peak_day) / 365.25)

    def _level(self) -> np.ndarray:
        spec = self.spec
        years = np.array([(p.start - self.window.start).days for p in self.periods]) / 365.25
        level = spec.base * (1 + spec.trend * years / HISTORY_YEARS) * self._season(spec.amp)
        if spec.late and spec.direction in ("up", "down"):
            ramp = np.zeros(len(level))
            count = min(LATE_PERIODS, len(level))
            ramp[len(level) - count:] = np.linspace(1 / count, 1, count)
            level = level * (1 + (1 if spec.direction == "down" else -1) * spec.late * ramp)
        return level

    def _event_index(self, month: int | None, back: int) -> int | None:
        if month is None:
            index = len(self.periods) - 1 - back
        else:
            calendar, last = self.window.calendar, self.periods[-1]
            year = last.end.year
            if calendar.containing(self.spec.frequency, date(year, month, 15)) > last:
                year -= 1
            period = calendar.containing(self.spec.frequency, date(year - back, month, 15))
            index = period - self.periods[0]
        return index if 0 <= index < len(self.periods) else None

    def _apply_events(self, level: np.ndarray) -> np.ndarray:
        level = level.copy()
        for kpi_id, month, back, factor, lasting, note in EVENTS:
            index = self._event_index(month, back) if kpi_id == self.spec.id and self.periods else None
            if index is None:
                continue
            if lasting:
                level[index:] *= factor
            else:
                level[index] *= factor
            self.notes[index] = note
        return level

    def _noisy(self, level: np.ndarray) -> np.ndarray:
        spec = self.spec
        shocks = self.rng.standard_normal(len(level))
        noted = np.array([note is not None for note in self.notes], dtype=bool)   # movements show plainly
        if spec.unit == "count" and spec.aggregation == "sum" and _decimals(spec) == 0 and spec.base < 40:
            values = self.rng.poisson(np.maximum(level, 0)).astype(float)   # small counts are lumpy
            values[noted] = np.round(level[noted])
            return values
        noise = _NOISE.get(spec.unit, 0.04) if spec.noise is None else spec.noise
        values = np.maximum(level, 0) * np.exp(noise * shocks - noise ** 2 / 2)
        values[noted] = level[noted]
        return np.minimum(values, 1.0) if spec.unit == "percent" else values

    def _band_end(self, values: np.ndarray) -> np.ndarray:
        """Steer a band KPI's last periods to land on, just outside, or well outside its band."""
        spec = self.spec
        if spec.band is None or not len(values):
            return values
        low, high = spec.band
        outside = {"risk": self.rng.uniform(0.3, 0.7), "off": self.rng.uniform(1.5, 2.5)}
        wanted = (min(max(values[-1], low + 0.2 * (high - low)), high - 0.2 * (high - low))
                  if spec.status == "on" else high * (1 + outside[spec.status] * spec.tolerance))
        if spec.unit == "percent":
            wanted = min(wanted, 0.995)
        count = min(LATE_PERIODS, len(values))
        values = values.copy()
        values[len(values) - count:] += (wanted - values[-1]) * np.linspace(1 / count, 1, count)
        return np.minimum(values, 1.0) if spec.unit == "percent" else values

    def _finish(self, values: np.ndarray):
        """Round as a city system would store the values; ratio KPIs get numerator/denominator."""
        spec, empty = self.spec, np.full(len(values), np.nan)
        if spec.aggregation != "ratio":
            return _round_stored(spec, values), empty, empty
        den_shocks = self.rng.standard_normal(len(values))
        denominators = spec.den * self._season(spec.den_amp) * (1 + 0.05 * den_shocks)
        denominators = np.maximum(np.round(denominators), 1)
        numerators = np.round(values * denominators)
        return np.round(numerators / denominators, 6), numerators, denominators

    # frames ----------------------------------------------------------------------------------
    def observations(self, shares: np.ndarray) -> pd.DataFrame:
        spec = self.spec
        total = pd.DataFrame({"kpi_id": spec.id, "frequency": spec.frequency, "period_start": self.starts,
                              "dimension": "", "member": "", "value": self.values,
                              "numerator": self.numerators, "denominator": self.denominators,
                              "note": self.notes})
        frames = [total] + ([self._districts(shares)] if spec.district and len(self.values) else [])
        frame = pd.concat(frames, ignore_index=True)
        frame["batch_id"] = pd.array([None] * len(frame), dtype="Int64")
        return frame

    def _districts(self, shares: np.ndarray) -> pd.DataFrame:
        """Members with persistent differences: sums split the total, means scatter around it."""
        spec, n, m = self.spec, len(self.values), len(DISTRICTS)
        if spec.aggregation == "sum":
            weights = shares * self.rng.lognormal(0, 0.45, m)
            weights = weights * np.exp(0.1 * self.rng.standard_normal((n, m)))
            members = _split_integers(self.values, weights / weights.sum(axis=1, keepdims=True))
        else:
            offsets = self.rng.normal(0, 0.1, m)
            members = self.values[:, None] * (1 + offsets - offsets.mean()
                                              + 0.03 * self.rng.standard_normal((n, m)))
            members = _round_stored(spec, np.maximum(members, 0))
            if spec.unit == "percent":
                members = np.minimum(members, 1.0)
        return pd.DataFrame({"kpi_id": spec.id, "frequency": spec.frequency,
                             "period_start": np.repeat(np.array(self.starts, dtype=object), m),
                             "dimension": "district", "member": np.tile(DISTRICTS, n),
                             "value": members.ravel(), "numerator": np.nan, "denominator": np.nan,
                             "note": None})

    def targets(self) -> pd.DataFrame:
        spec = self.spec
        if spec.direction == "neutral" or spec.targets == "none" or not self.periods:
            return self._target_frame("annual", [], [])
        years = range(self.window.first_fy, self.window.current_fy + 1)
        if spec.band is not None:
            low, high = spec.band
            return self._target_frame("annual", [self.window.calendar.fiscal_year_start(fy) for fy in years],
                                      np.nan, low, high)
        by_year = self._yearly_targets(years)
        if spec.targets == "annual":
            starts = [self.window.calendar.fiscal_year_start(fy) for fy in years]
            return self._target_frame("annual", starts, [by_year[fy] for fy in years])
        periods = [p for fy in years for p in self.window.periods_in_fy(fy, spec.frequency)]
        return self._target_frame(spec.frequency, [p.start for p in periods],
                                  [by_year[self.window.fiscal_year(p)] for p in periods])

    def _target_frame(self, frequency: str, starts, values, low=np.nan, high=np.nan) -> pd.DataFrame:
        return pd.DataFrame({"kpi_id": self.spec.id, "frequency": frequency, "period_start": starts,
                             "value": values, "low": low, "high": high,
                             "batch_id": pd.array([None] * len(starts), dtype="Int64")})

    def _yearly_targets(self, years: range) -> dict[int, float]:
        """Last year's expected level plus some ambition, as cities set them; the latest year's
        target is then nudged, if need be, so that the latest status lands where the catalogue says."""
        spec = self.spec
        good = 1 if spec.direction == "up" else -1
        ambition = self.rng.uniform(0.01, 0.05)
        levels = self._yearly_levels()
        latest_year = self.window.fiscal_year(self.periods[-1])
        targets: dict[int, float] = {}
        for fy in years:
            if fy <= latest_year:
                base = levels.get(fy - 1, levels.get(fy, spec.base))
                target = base * (1 + good * (ambition + self.rng.uniform(-0.01, 0.01)))
            else:
                target = targets[fy - 1] * (1 + good * ambition)
            target = min(target, self._percent_cap()) if spec.unit == "percent" else target
            targets[fy] = self._steer(target) if fy == latest_year else _round_significant(target, 2)
        return targets

    def _percent_cap(self) -> float:
        return 1.0 if self.spec.base >= 0.99 else 0.98

    def _yearly_levels(self) -> dict[int, float]:
        """Per fiscal year, from the expected (noise-free) series: the full-year total for sum
        KPIs with annual targets, else the mean level."""
        years = np.array([self.window.fiscal_year(p) for p in self.periods])
        levels = {}
        for fy in np.unique(years):
            expected = self.expected[years == fy]
            if self.spec.aggregation == "sum" and self.spec.targets == "annual":
                count = len(self.window.periods_in_fy(int(fy), self.spec.frequency))
                levels[int(fy)] = expected.sum() * count / len(expected)
            else:
                levels[int(fy)] = expected.mean()
        return levels

    def _latest_actual(self) -> tuple[float, float]:
        """What status compares with the target (the fiscal-year-to-date sum for sum KPIs with
        annual targets, else the latest value), and the factor from that to the annual target."""
        latest = self.periods[-1]
        if self.spec.aggregation == "sum" and self.spec.targets == "annual":
            in_year = self.window.periods_in_fy(self.window.fiscal_year(latest), self.spec.frequency)
            elapsed = in_year.index(latest) + 1
            return float(self.values[len(self.values) - elapsed:].sum()), len(in_year) / elapsed
        return float(self.values[-1]), 1.0

    def _nearest_gap(self, gap: float) -> float:
        """`gap` if it gives the catalogue's status, else a gap just inside that status's edge
        nearest to it (so that steered targets stay close to planned ones)."""
        spec = self.spec
        scale = 1 if spec.status == "on" else spec.tolerance
        low, high = (bound * scale for bound in _STATUS_GAP[spec.status])
        if low <= gap <= high:
            return gap
        width = 0.05 if spec.status == "on" else 0.25 * spec.tolerance
        return self.rng.uniform(low, low + width) if gap < low else self.rng.uniform(high - width, high)

    def _steer(self, planned: float) -> float:
        """The latest year's target: the planned one if it already gives the catalogue's status,
        else one whose gap to the actual sits well inside that status."""
        spec = self.spec
        actual, scale = self._latest_actual()
        if not actual or not planned:
            return _round_significant(planned, 2)
        good = 1 if spec.direction == "up" else -1
        gap = good * (actual - planned / scale) / (planned / scale)   # > 0: better than target
        gap = self._nearest_gap(gap)
        target = actual / (1 + good * gap) * scale
        if spec.unit == "percent":
            target = min(target, self._percent_cap())
        for digits in (2, 3, 4):
            rounded = _round_significant(target, digits)
            if status_against(spec.direction, actual, rounded / scale, spec.tolerance) == spec.status:
                return rounded
        return target


def status_against(direction: str, actual: float, target: float, tolerance: float) -> str:
    """DESIGN §4 status of an up/down KPI, as 'on', 'risk' or 'off' (for steering targets)."""
    if direction == "up":
        return "on" if actual >= target else "risk" if actual >= target - tolerance * abs(target) else "off"
    return "on" if actual <= target else "risk" if actual <= target + tolerance * abs(target) else "off"


def _round_significant(value: float, digits: int) -> float:
    if not value or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - math.floor(math.log10(abs(value)))))


def _round_stored(spec: KpiSpec, values: np.ndarray) -> np.ndarray:
    if spec.unit == "count" and _decimals(spec) == 0:
        return np.round(values)
    return np.round(values, _decimals(spec) + (3 if spec.unit == "percent" else 1))


def _split_integers(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each whole-number total over members by weight so that members add up exactly
    (largest remainder)."""
    raw = totals[:, None] * weights
    floors = np.floor(raw)
    remainder = (totals - floors.sum(axis=1)).round().astype(int)
    order = np.argsort(-(raw - floors), axis=1, kind="stable")
    ranks = np.argsort(order, axis=1, kind="stable")
    return floors + (ranks < remainder[:, None])
