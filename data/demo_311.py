"""The demo city's raw 311 requests and the KPIs computed from them.

Riverton's 311 system exports every service request: about 1.5 million over three years,
with type, council district, channel, when it was opened and when it was closed. The demo
loads them as the dataset `requests_311` through the same path a city's file takes (a CSV
and a dataset profile), and defines eight KPIs over it in SQL, so a first start shows
computed KPIs with their lineage, by district.

Deterministic: the requests come from hashes of their number, not from a random state.
"""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb

from metrics import computed, datasets
from metrics.datasets import DatasetProfile
from metrics.periods import FiscalCalendar
from metrics.sandbox import Sandbox
from metrics.warehouse import Warehouse

DATASET = "requests_311"
REQUESTS_PER_DAY = 1400
FORMAT = "%Y-%m-%d %H:%M:%S"
PROFILE = {"name": DATASET, "mode": "replace",
           "columns": {"opened": {"type": "timestamp", "format": FORMAT},
                       "closed": {"type": "timestamp", "format": FORMAT}}}
# Type, share of requests (of 1000), service level in days, typical days to close.
TYPES = [("Pothole", 180, 3, 2.5), ("Graffiti", 150, 5, 3.0), ("Streetlight out", 120, 10, 6.0),
         ("Bulky item pickup", 160, 7, 4.0), ("Illegal dumping", 110, 5, 4.5), ("Tree trimming", 60, 30, 14.0),
         ("Missed trash pickup", 130, 2, 1.2), ("Abandoned vehicle", 90, 10, 7.0)]
MONTH = "CAST(date_trunc('month', opened) AS DATE)"
DAYS = "date_diff('second', opened, closed) / 86400.0"
DISTRICT = "CASE WHEN grouping(district) = 0 THEN 'District ' || district END"
BY_DISTRICT = f"GROUP BY GROUPING SETS (({MONTH}, district), ({MONTH}))"
# (id, name, unit, direction, aggregation, breakdowns, monthly target, SQL)
KPIS = [
    ("311-raw-requests", "311 requests opened (from the 311 system)", "count", "neutral", "sum", ["district"], None,
     f"SELECT {MONTH} AS period, {DISTRICT} AS member, count(*) AS value FROM {DATASET} {BY_DISTRICT}"),
    ("311-median-days-to-close", "Median days to close a 311 request", "duration", "down", "mean", ["district"], 3.5,
     f"SELECT {MONTH} AS period, {DISTRICT} AS member, median({DAYS}) AS value FROM {DATASET} "
     f"WHERE closed IS NOT NULL {BY_DISTRICT}"),
    ("311-closed-within-service-level", "311 requests closed within their service level", "percent", "up", "ratio",
     ["district"], 0.85,
     f"SELECT {MONTH} AS period, {DISTRICT} AS member, "
     f"count(*) FILTER (WHERE closed IS NOT NULL AND {DAYS} <= service_level_days) AS numerator, "
     f"count(*) AS denominator FROM {DATASET} {BY_DISTRICT}"),
    ("311-open-after-30-days", "311 requests still open after 30 days", "percent", "down", "ratio", [], 0.03,
     f"SELECT {MONTH} AS period, count(*) FILTER (WHERE closed IS NULL OR {DAYS} > 30) AS numerator, "
     f"count(*) AS denominator FROM {DATASET} GROUP BY 1"),
    ("311-pothole-days-to-close", "Median days to close a pothole request", "duration", "down", "mean", [], 3.0,
     f"SELECT {MONTH} AS period, median({DAYS}) AS value FROM {DATASET} "
     "WHERE request_type = 'Pothole' AND closed IS NOT NULL GROUP BY 1"),
    ("311-missed-trash-within-2-days", "Missed trash pickups resolved within 2 days", "percent", "up", "ratio", [],
     0.9, f"SELECT {MONTH} AS period, count(*) FILTER (WHERE closed IS NOT NULL AND {DAYS} <= 2) AS numerator, "
     f"count(*) AS denominator FROM {DATASET} WHERE request_type = 'Missed trash pickup' GROUP BY 1"),
    ("311-app-web-share", "311 requests made through the app or website", "percent", "up", "ratio", [], 0.5,
     f"SELECT {MONTH} AS period, count(*) FILTER (WHERE channel IN ('App', 'Web')) AS numerator, "
     f"count(*) AS denominator FROM {DATASET} GROUP BY 1"),
    ("311-illegal-dumping-requests", "Illegal dumping reports", "count", "down", "sum", ["district"], 4200,
     f"SELECT {MONTH} AS period, {DISTRICT} AS member, count(*) AS value FROM {DATASET} "
     f"WHERE request_type = 'Illegal dumping' {BY_DISTRICT}"),
]

# Each KPI's name in Spanish and Portuguese, and its description in English, Spanish and Portuguese.
TEXTS = {
    "311-raw-requests": (
        ("Solicitudes al 311 abiertas (del sistema 311)", "Pedidos ao 311 abertos (do sistema 311)"),
        ("Every service request residents opened with 311, by phone, app, web or in person; a measure of demand.",
         "Todas las solicitudes de servicio que los residentes abrieron en el 311, por teléfono, app, web o en "
         "persona; una medida de la demanda.",
         "Todos os pedidos de serviço que os moradores abriram no 311, por telefone, aplicativo, site ou "
         "presencialmente; uma medida da demanda.")),
    "311-median-days-to-close": (
        ("Mediana de días para cerrar una solicitud al 311", "Mediana de dias para encerrar um pedido ao 311"),
        ("How long the typical closed 311 request took, from the day it was opened to the day it was closed.",
         "Cuánto tardó la solicitud al 311 típica ya cerrada, desde el día en que se abrió hasta el día en que se "
         "cerró.",
         "Quanto tempo levou o pedido ao 311 típico já encerrado, do dia em que foi aberto ao dia em que foi "
         "encerrado.")),
    "311-closed-within-service-level": (
        ("Solicitudes al 311 cerradas dentro de su nivel de servicio",
         "Pedidos ao 311 encerrados dentro do prazo de atendimento"),
        ("Share of 311 requests closed within the days their request type promises (3 for a pothole, 30 for tree "
         "trimming).",
         "Proporción de solicitudes al 311 cerradas en los días que promete su tipo de solicitud (3 para un bache, "
         "30 para la poda de árboles).",
         "Proporção de pedidos ao 311 encerrados nos dias que seu tipo de pedido promete (3 para um buraco, 30 para "
         "a poda de árvores).")),
    "311-open-after-30-days": (
        ("Solicitudes al 311 aún abiertas después de 30 días", "Pedidos ao 311 ainda abertos após 30 dias"),
        ("Share of 311 requests still open, or closed only after more than 30 days.",
         "Proporción de solicitudes al 311 que siguen abiertas, o que se cerraron después de más de 30 días.",
         "Proporção de pedidos ao 311 que continuam abertos, ou que foram encerrados depois de mais de 30 dias.")),
    "311-pothole-days-to-close": (
        ("Mediana de días para cerrar una solicitud de bache", "Mediana de dias para encerrar um pedido de buraco"),
        ("How long the typical pothole request took to close, from the 311 report to the repair.",
         "Cuánto tardó en cerrarse la solicitud de bache típica, desde el aviso al 311 hasta la reparación.",
         "Quanto tempo levou para encerrar o pedido de buraco típico, do aviso ao 311 até o conserto.")),
    "311-missed-trash-within-2-days": (
        ("Recogidas de basura omitidas resueltas en 2 días", "Coletas de lixo perdidas resolvidas em até 2 dias"),
        ("Share of missed trash pickup reports resolved within two days.",
         "Proporción de avisos de recogida de basura omitida resueltos en dos días.",
         "Proporção de avisos de coleta de lixo perdida resolvidos em até dois dias.")),
    "311-app-web-share": (
        ("Solicitudes al 311 hechas por la app o el sitio web", "Pedidos ao 311 feitos pelo aplicativo ou pelo site"),
        ("Share of 311 requests residents made through the app or the website rather than by phone or in person.",
         "Proporción de solicitudes al 311 que los residentes hicieron por la app o el sitio web en lugar de por "
         "teléfono o en persona.",
         "Proporção de pedidos ao 311 que os moradores fizeram pelo aplicativo ou pelo site em vez de por telefone "
         "ou presencialmente.")),
    "311-illegal-dumping-requests": (
        ("Avisos de vertidos ilegales", "Avisos de descarte irregular"),
        ("311 reports of furniture, tires or debris dumped on streets, alleys and vacant lots.",
         "Avisos al 311 de muebles, neumáticos o escombros arrojados en calles, callejones y solares vacíos.",
         "Avisos ao 311 de móveis, pneus ou entulho descartados em ruas, becos e terrenos baldios.")),
}

def _first_day(today: date) -> date:
    return date(today.year - 3, today.month, 1)


def write_requests(path: Path, today: date) -> int:
    """The export as the 311 system would write it: one row per request, opened from three
    years before this month up to `today`; channels shift to the app over time; requests
    of the last weeks partly still open."""
    start, days = _first_day(today), (today - _first_day(today)).days
    cases = " ".join(f"WHEN k < {sum(t[1] for t in TYPES[:i + 1])} THEN {i}" for i in range(len(TYPES)))
    names = "[" + ", ".join(f"'{t[0]}'" for t in TYPES) + "]"
    levels = "[" + ", ".join(str(t[2]) for t in TYPES) + "]"
    typical = "[" + ", ".join(str(t[3]) for t in TYPES) + "]"
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            WITH r AS (
                SELECT i, (hash(i) % 1000) AS k, i // {REQUESTS_PER_DAY} AS day_index,
                       CAST(hash(i * 31) % 86400 AS BIGINT) AS second, (hash(i * 17) % 10000) / 10000.0 AS u,
                       (hash(i * 7) % 10000) / 10000.0 AS v, 1 + CAST(hash(i * 13) % 10 AS INTEGER) AS district
                FROM range({days * REQUESTS_PER_DAY}) t(i)
            ), typed AS (
                SELECT *, CASE {cases} ELSE {len(TYPES) - 1} END + 1 AS t,
                       DATE '{start.isoformat()}' + CAST(day_index AS INTEGER) AS day FROM r
            ), timed AS (
                SELECT *, CAST(day AS TIMESTAMP) + to_seconds(second) AS opened_at,
                       -- days to close: exponential around the type's typical time, slower in
                       -- districts 8-10 and improving over the three years
                       -ln(1 - u * 0.999) * {typical}[t] * (CASE WHEN district >= 8 THEN 1.3 ELSE 1.0 END)
                           * (1.15 - 0.3 * day_index / {days}) AS days_to_close
                FROM typed
            )
            SELECT 'SR-' || lpad(CAST(i AS VARCHAR), 8, '0') AS request_id, {names}[t] AS request_type,
                   district, {levels}[t] AS service_level_days,
                   CASE WHEN v < 0.25 + 0.35 * day_index / {days} THEN (CASE WHEN v < 0.1 THEN 'Web' ELSE 'App' END)
                        WHEN v < 0.85 THEN 'Phone' ELSE 'Email' END AS channel,
                   strftime(opened_at, '{FORMAT}') AS opened,
                   CASE WHEN opened_at + to_seconds(CAST(days_to_close * 86400 AS BIGINT)) < TIMESTAMP
                             '{today.isoformat()}' AND v > 0.01
                        THEN strftime(opened_at + to_seconds(CAST(days_to_close * 86400 AS BIGINT)), '{FORMAT}')
                   END AS closed
            FROM timed ORDER BY i
        ) TO '{path}' (HEADER, DELIMITER ',')""")
    con.close()
    return days * REQUESTS_PER_DAY


def seed_demo_311(warehouse: Warehouse, sandbox: Sandbox, calendar: FiscalCalendar, *,
                  today: date | None = None, workdir: Path | None = None) -> int:
    """Load the demo 311 requests and define their KPIs, when the sandbox has no such
    dataset yet; returns the number of requests loaded (0 when there was nothing to do)."""
    today = today or date.today()
    if DATASET in sandbox.tables():
        return 0
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        path = Path(folder) / "riverton-311-requests.csv"
        write_requests(path, today)
        with sandbox.loading() as con:
            report = datasets.load(con, path, DatasetProfile.parse(PROFILE), actor="seed-demo",
                                   workdir=Path(folder), file_name=path.name)
    with warehouse.transaction() as tx:
        for kpi_id, name, unit, direction, aggregation, breakdowns, target, _ in KPIS:
            names, descriptions = TEXTS[kpi_id]
            tx.execute("""INSERT INTO kpis (id, name, name_es, name_pt, description, description_es, description_pt,
                          department_id, goal_id, unit, unit_label, direction, frequency,
                          aggregation, decimals, data_source, methodology, published, breakdowns)
                          VALUES (?, ?, ?, ?, ?, ?, ?, 'customer-service', 'well-run-government', ?, ?, ?, 'monthly',
                                  ?, ?, '311 system export (dataset requests_311)', ?, true, ?)
                          ON CONFLICT DO NOTHING""",
                       [kpi_id, name, *names, *descriptions, unit, "days" if unit == "duration" else None, direction,
                        aggregation,
                        1 if unit in ("duration", "percent") else 0,
                        "Computed from every 311 request by its SQL definition; see the definition page.",
                        breakdowns])
            if target is not None:   # the same target for last, this and next fiscal year
                for day in (date(today.year - 1, today.month, 1), today, date(today.year + 1, today.month, 1)):
                    year = calendar.containing("annual", day)
                    tx.execute("INSERT INTO targets (kpi_id, frequency, period_start, value) "
                               "VALUES (?, 'annual', ?, ?) ON CONFLICT DO NOTHING",
                               [kpi_id, year.start, target * (12 if aggregation == "sum" else 1)])
    for kpi_id, *_, sql in KPIS:
        computed.save_definition(warehouse, sandbox, calendar, kpi_id, sql, actor="seed-demo",
                                 raw_batch=report.batch_id)
    return report.rows
