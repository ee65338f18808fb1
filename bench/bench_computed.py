"""Computed KPIs over a 5,000,000-row raw 311 file: load it and compute 10 KPIs.

Two ways over the same generated CSV, timed in this process (medians), peak memory in
fresh child processes (as bench_import does):
  ours    metrics.datasets.load into the sandbox (typed by a dataset profile, the dates
          by their format), then metrics.computed.recompute of the dataset's 10 KPI
          definitions in one query plan, written to the warehouse with their lineage;
  pandas  read_csv with pyarrow strings and the same date format, the same 10 KPIs with
          groupby, written to the same warehouse table.
Also printed: the share of our time spent in the bare CSV read (DuckDB's
CREATE TABLE AS SELECT * FROM read_csv of the same file).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from bench.timing import child_peak_mb, median_ms
from metrics import computed, datasets
from metrics.datasets import DatasetProfile
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse

ROWS, ROUNDS = 5_000_000, 3
FORMAT = "%Y-%m-%d %H:%M:%S"
TYPES = ["Pothole", "Graffiti", "Streetlight", "Bulky Items", "Illegal Dumping", "Tree Trimming",
         "Noise", "Abandoned Vehicle", "Sidewalk", "Traffic Signal", "Homeless Encampment", "Other"]
PROFILE = {"name": "requests_311", "mode": "replace",
           "columns": {"created": {"type": "timestamp", "format": FORMAT},
                       "closed": {"type": "timestamp", "format": FORMAT}}}
DAYS = "date_diff('second', created, closed) / 86400.0"
MONTH = "CAST(date_trunc('month', created) AS DATE)"
# The 10 KPIs: (id, SQL over the raw table). Members are council districts.
KPIS = [
    ("requests", f"SELECT {MONTH} AS period, count(*) AS value FROM requests_311 GROUP BY 1"),
    ("requests-by-district", f"SELECT {MONTH} AS period, CAST(district AS VARCHAR) AS member, count(*) AS value "
                             "FROM requests_311 GROUP BY 1, 2"),
    ("median-days-to-close", f"SELECT {MONTH} AS period, median({DAYS}) AS value FROM requests_311 "
                             "WHERE closed IS NOT NULL GROUP BY 1"),
    ("closed-within-5-days", f"SELECT {MONTH} AS period, count(*) FILTER (WHERE {DAYS} <= 5) AS numerator, "
                             "count(*) AS denominator FROM requests_311 GROUP BY 1"),
    *[(f"requests-{slug}", f"SELECT {MONTH} AS period, count(*) AS value FROM requests_311 "
                           f"WHERE request_type = '{name}' GROUP BY 1")
      for slug, name in (("pothole", "Pothole"), ("graffiti", "Graffiti"), ("streetlight", "Streetlight"),
                         ("dumping", "Illegal Dumping"))],
    ("median-days-by-district", f"SELECT {MONTH} AS period, CAST(district AS VARCHAR) AS member, "
                                f"median({DAYS}) AS value FROM requests_311 WHERE closed IS NOT NULL GROUP BY 1, 2"),
    ("closed-within-5-days-by-district", f"SELECT {MONTH} AS period, CAST(district AS VARCHAR) AS member, "
                                         f"count(*) FILTER (WHERE {DAYS} <= 5) AS numerator, count(*) AS denominator "
                                         "FROM requests_311 GROUP BY 1, 2"),
]


def make_file(folder: Path) -> Path:
    """Three years of requests: type, district, source, status, opened and (mostly) closed."""
    path = folder / "requests_311.csv"
    types = "[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    duckdb.connect().execute(f"""
        COPY (
            SELECT 'SR-' || i AS request_id,
                   strftime(TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i) % 94608000 AS BIGINT)), '{FORMAT}')
                       AS created,
                   CASE WHEN hash(i * 7) % 20 = 0 THEN NULL ELSE strftime(
                       TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i) % 94608000 AS BIGINT))
                       + to_seconds(CAST(hash(i * 3) % 1728000 AS BIGINT)), '{FORMAT}') END AS closed,
                   {types}[1 + CAST(hash(i * 5) % 12 AS INTEGER)] AS request_type,
                   1 + CAST(hash(i * 11) % 15 AS INTEGER) AS district,
                   ['Call', 'App', 'Web', 'Email'][1 + CAST(hash(i * 13) % 4 AS INTEGER)] AS source
            FROM range({ROWS}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')""")
    return path


def _warehouse(folder: Path, name: str) -> Warehouse:
    store = Warehouse(folder / f"{name}.duckdb", timeout=600, row_cap=10**7)
    kpis = pd.DataFrame({"id": [k for k, _ in KPIS], "name": [k for k, _ in KPIS], "unit": "count",
                         "direction": "down", "frequency": "monthly", "aggregation": "sum"})
    with store.transaction() as tx:
        tx.insert_frame("kpis", kpis, list(kpis.columns))
    return store


def prepare(folder: Path, csv: Path) -> None:
    """The city as it stands before this month's file: the KPIs defined over last month's
    (here the file's first thousand rows), in template files each round copies."""
    head = folder / "head.csv"
    with open(csv, encoding="utf-8") as source, open(head, "w", encoding="utf-8") as out:
        out.writelines(line for _, line in zip(range(1001), source))
    store, sandbox = _warehouse(folder, "template"), Sandbox(folder / "template_raw.duckdb", memory_limit="2GB")
    with sandbox.loading() as con:
        datasets.load(con, head, DatasetProfile.parse(PROFILE), actor="bench", workdir=folder)
    for kpi_id, sql in KPIS:
        computed.save_definition(store, sandbox, FiscalCalendar(7), kpi_id, sql, actor="bench")
    sandbox.close()
    store.close()


def ours(folder: Path, csv: Path, n: int) -> None:
    """This month's file arrives: load it (replacing the raw table) and recompute."""
    shutil.copy(folder / "template.duckdb", folder / f"ours{n}.duckdb")
    shutil.copy(folder / "template_raw.duckdb", folder / f"raw{n}.duckdb")
    store = Warehouse(folder / f"ours{n}.duckdb", timeout=600, row_cap=10**7)
    sandbox = Sandbox(folder / f"raw{n}.duckdb", memory_limit="2GB")
    with sandbox.loading() as con:
        report = datasets.load(con, csv, DatasetProfile.parse(PROFILE), actor="bench", workdir=folder)
    result = computed.recompute(store, sandbox, FiscalCalendar(7), dataset="requests_311", raw_batch=report.batch_id)
    assert report.rows == ROWS and len(result["kpis"]) == len(KPIS)
    sandbox.close()
    store.close()


def bare(folder: Path, csv: Path, n: int) -> None:
    con = duckdb.connect(str(folder / f"bare{n}.duckdb"))
    con.execute("CREATE TABLE loaded AS SELECT * FROM read_csv($path)", {"path": str(csv)})
    con.close()


def with_pandas(folder: Path, csv: Path, n: int) -> None:
    store = _warehouse(folder, f"pandas{n}")
    frame = pd.read_csv(csv, dtype={"request_id": "string[pyarrow]", "request_type": "string[pyarrow]",
                                    "source": "string[pyarrow]", "created": "string[pyarrow]",
                                    "closed": "string[pyarrow]", "district": "int64"})
    frame["created"] = pd.to_datetime(frame["created"], format=FORMAT)
    frame["closed"] = pd.to_datetime(frame["closed"], format=FORMAT)
    frame["period"] = frame["created"].dt.to_period("M").dt.start_time.dt.date
    frame["days"] = (frame["closed"] - frame["created"]).dt.total_seconds() / 86400
    frame["within"] = frame["days"] <= 5
    closed = frame[frame["closed"].notna()]
    member = frame["district"].astype(str)
    results = [
        ("requests", frame.groupby("period").size()),
        ("requests-by-district", frame.groupby(["period", member]).size()),
        ("median-days-to-close", closed.groupby("period")["days"].median()),
        ("closed-within-5-days", frame.groupby("period")["within"].mean()),
        *[(f"requests-{slug}", frame[frame["request_type"] == name].groupby("period").size())
          for slug, name in (("pothole", "Pothole"), ("graffiti", "Graffiti"), ("streetlight", "Streetlight"),
                             ("dumping", "Illegal Dumping"))],
        ("median-days-by-district", closed.groupby(["period", closed["district"].astype(str)])["days"].median()),
        ("closed-within-5-days-by-district", frame.groupby(["period", member])["within"].mean()),
    ]
    parts = []
    for kpi_id, series in results:
        part = series.rename("value").reset_index()
        if part.shape[1] == 3:
            part.columns = ["period_start", "member", "value"]
            part["dimension"] = "district"
        else:
            part.columns = ["period_start", "value"]
            part["dimension"], part["member"] = "", ""
        part["kpi_id"], part["frequency"] = kpi_id, "monthly"
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)[["kpi_id", "frequency", "period_start", "dimension", "member",
                                                 "value"]]
    with store.transaction() as tx:
        tx.insert_frame("observations", rows, list(rows.columns))
    store.close()


WAYS = {"ours": ours, "bare": bare, "pandas": with_pandas}


def _median(way, folder: Path, csv: Path) -> float:
    runs = iter(range(ROUNDS))
    return median_ms(lambda: WAYS[way](folder, csv, next(runs)), ROUNDS) / 1000


def _check_same(folder: Path) -> None:
    """Both ways computed the same numbers (per KPI: rows, and the sum of values rounded)."""
    def summary(name: str):
        store = Warehouse(folder / f"{name}.duckdb")
        try:
            return store.query("SELECT kpi_id, count(*), round(sum(value), 6) FROM observations "
                               "GROUP BY 1 ORDER BY 1").rows
        finally:
            store.close()
    ours_, theirs = summary("ours0"), summary("pandas0")
    assert ours_ == theirs, f"the two ways disagree: {ours_} vs {theirs}"
    print(f"  both ways computed the same {sum(r[1] for r in ours_):,} values")


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv = make_file(folder)
        prepare(folder, csv)
        print(f"{ROWS:,} requests, {csv.stat().st_size / 1e6:.0f} MB, {len(KPIS)} KPIs; medians of {ROUNDS} runs")
        times = {way: _median(way, folder, csv) for way in WAYS}
        _check_same(folder)
        peaks = {way: child_peak_mb("bench_computed", way, folder, csv) for way in ("ours", "pandas")}
    print(f"  CityStat load + recompute          {times['ours']:6.2f} s   peak {peaks['ours'][0]:6.0f} MB "
          f"(+{peaks['ours'][1]:.0f} MB for the work)")
    print(f"  pandas (pyarrow strings)           {times['pandas']:6.2f} s   peak {peaks['pandas'][0]:6.0f} MB "
          f"(+{peaks['pandas'][1]:.0f} MB for the work)")
    print(f"  bare read_csv of the same file     {times['bare']:6.2f} s "
          f"({times['bare'] / times['ours']:.0%} of ours)")
    print(f"  pandas / ours: {times['pandas'] / times['ours']:.1f}x (target: at least 3x)")
    print(f"  peak memory ours / pandas: {peaks['ours'][0] / peaks['pandas'][0]:.2f} of the whole process, "
          f"{peaks['ours'][1] / peaks['pandas'][1]:.2f} of what the work added (target: at most 0.5)")


if __name__ == "__main__":
    main()
