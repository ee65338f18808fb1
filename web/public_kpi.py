"""One published KPI on the public site and in its embeddable view: the headline in words,
the internal KPI page's own target-vs-actual figure (as JSON that plotly.js draws in the
browser), the chart's summary in sentences, the values table and the methodology card.

Callers get None for a KPI that is not published, so an unpublished id and a made-up one
read the same. Staff commentary stays internal; the notes published with the data
(observation notes) appear, and the KPI's narratives (what happened, why, what comes next),
current version per period, as safe HTML.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

from dashboards.components import (department_name, direction_text, frequency_text, goal_title, kpi_name,
                                   period_text, target_text, value_text)
from dashboards.chart_locale import plotly_locale
from dashboards.figures import chart_summary, target_vs_actual
from i18n import axis_title, format_day, format_value, localized, translate
from metrics import catalog, forecast, series, status
from metrics.periods import PeriodError
from web.narratives import PARTS, as_html, list_narratives
from web.public_views import compared_target_text, plausible_id, status_view, trend_view
from web.services import Services

CHART_PERIODS = "24"    # the same range the internal KPI page opens with
LIKELIHOOD_ICONS = {"likely": "✔", "uncertain": "?", "unlikely": "✖"}
EMBED_HEIGHT = 340
# Inside <script type="application/json">: no "</script>", no markup, whatever a name holds.
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}


def published_kpi(services: Services, kpi_id: str, as_of: date) -> dict[str, Any] | None:
    """The KPI's status row when it is published and live; None otherwise (whatever the id)."""
    if not plausible_id(kpi_id):
        return None
    rows = status.kpi_statuses(services.warehouse, services.calendar, as_of, kpi_id=kpi_id, published_only=True)
    return rows[0] if rows else None


def _graph_config(kpi_id: str, embed: bool, language: str) -> dict[str, Any]:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", kpi_id)
    return {"displaylogo": False, "responsive": True, "displayModeBar": False if embed else "hover",
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
            "toImageButtonOptions": {"format": "png", "filename": safe, "scale": 2}, **plotly_locale(language)}


def chart(row: dict[str, Any], language: str, services: Services, as_of: date, *,
          embed: bool = False) -> dict[str, Any]:
    """The chart as script-safe JSON ({"figure", "config"}), its summary in words, the rows
    it draws (oldest first) and the year-end forecast."""
    prediction = forecast.forecasts(services.warehouse, services.calendar, as_of, [row])[row["id"]]
    since = series.window_start(services.calendar, row, CHART_PERIODS)
    history = catalog.kpi_history(services.warehouse, services.calendar, row["id"], since=since)
    future = series.targets_for(services.warehouse, services.calendar, row["id"],
                                [p["period_start"] for p in prediction["projection"]]) if prediction else []
    figure = target_vs_actual(row, history, language, services, commentary={}, forecast=prediction,
                              future_targets=future)
    if embed:
        figure.update_layout(height=EMBED_HEIGHT, margin={"l": 60, "r": 16, "t": 48, "b": 48})
    config = json.dumps(_graph_config(row["id"], embed, language))
    spec = '{"figure": ' + figure.to_json() + ', "config": ' + config + "}"
    return {"json": spec.translate(_SCRIPT_SAFE), "history": history, "forecast": prediction,
            "summary": chart_summary(row, history, row, prediction, language, services)}


def value_rows(row: dict[str, Any], history: list[dict[str, Any]], language: str,
               services: Services) -> list[dict[str, str]]:
    """The values table, newest first: period, value, target, note."""
    return [{"period": period_text(row, item["period_start"], language, services),
             "value": value_text(row, item["value"], language, services),
             "target": target_text(row, item, language, services), "note": item.get("note") or ""}
            for item in reversed(history)]


def narrative_views(row: dict[str, Any], language: str, services: Services) -> list[dict[str, Any]]:
    """The current narrative of each period, newest period first: its period in words, its
    parts as safe HTML under their labels, and when it was written. No author: the
    department speaks, not a user account."""
    def when(item) -> str:
        try:
            return period_text(row, item["period_start"], language, services)
        except PeriodError:   # the KPI changed frequency since: the stored label still says when
            return item["period"]
    return [{"period": when(item),
             "parts": [{"label": translate(f"narratives.part.{part}", language), "html": as_html(item[part])}
                       for part in PARTS if item[part]],
             "updated": translate("narratives.public_updated", language,
                                  date=format_day(item["created_at"].date(), language)),
             "updated_iso": item["created_at"].date().isoformat()}
            for item in list_narratives(services, row["id"], kpi=row)]


# -- the headline ----------------------------------------------------------------------------------
def _status_notes(row: dict[str, Any], language: str, services: Services) -> list[str]:
    notes = []
    share = row["percent_of_target"]
    if share is not None:
        percent = format_value(share, "percent", language)
        if row["target_basis"] == "fiscal_year_to_date":
            notes.append(translate("kpi.percent_of_ytd_target", language, percent=percent,
                                   value=value_text(row, row["compared_value"], language, services),
                                   target=value_text(row, row["compared_target"], language, services)))
        else:
            notes.append(translate("kpi.percent_of_target", language, percent=percent))
    if row["next_due"] is not None:
        key = "kpi.next_due_past" if row["stale"] else "kpi.next_due"
        notes.append(translate(key, language, date=format_day(row["next_due"], language)))
    return notes


def _target_note(row: dict[str, Any], language: str, services: Services) -> str:
    basis = row["target_basis"]
    if basis is None:
        return translate("kpi.no_target", language)
    if basis == "fiscal_year_to_date":
        return translate("public.target_ytd", language,
                         total=value_text(row, row["annual_target_value"], language, services))
    return translate(f"target.basis.{basis}", language)


def _forecast_view(row: dict[str, Any], prediction: dict[str, Any] | None, language: str,
                   services: Services) -> dict[str, Any] | None:
    if prediction is None:
        return None

    def value(v):
        return value_text(row, v, language, services)
    likelihood = prediction["likelihood"]
    return {"value": value(prediction["value"]),
            "interval": translate("kpi.forecast_interval", language, low=value(prediction["low"]),
                                  high=value(prediction["high"])),
            "likelihood": {"code": likelihood, "icon": LIKELIHOOD_ICONS[likelihood],
                           "word": translate(f"forecast.{likelihood}", language)} if likelihood else None,
            "note": translate("kpi.forecast_for", language, year=prediction["fiscal_year"],
                              method=translate(f"forecast.method.{prediction['method']}", language))}


def headline(row: dict[str, Any], prediction: dict[str, Any] | None, language: str,
             services: Services) -> dict[str, Any]:
    """Status (with trend and freshness), latest value, target and forecast, in words."""
    return {
        "name": kpi_name(row, language), "department": department_name(row, language),
        "goal_id": row["goal_id"], "goal": goal_title(row, language) if row["goal_id"] else None,
        "status": status_view(row["status"], language), "stale": row["stale"],
        "trend": trend_view(row["trend"], row["trend_change"], language),
        "status_notes": _status_notes(row, language, services),
        "latest": value_text(row, row["latest_value"], language, services),
        "period": period_text(row, row["latest_period_start"], language, services),
        "target": compared_target_text(row, language, services), "target_note": _target_note(row, language, services),
        "forecast": _forecast_view(row, prediction, language, services),
        "forecast_reason": translate("kpi.no_forecast_neutral" if row["direction"] == "neutral"
                                     else "kpi.no_forecast_target", language),
    }


# -- the methodology card --------------------------------------------------------------------------
def _unit_text(row: dict[str, Any], language: str, services: Services) -> str:
    name = translate(f"unit_name.{row['unit']}", language)
    shown = axis_title(row["unit"], language, unit_label=row.get("unit_label"), currency=services.config.currency)
    return name if shown == name else f"{name} ({shown})"


def _due_text(row: dict[str, Any], language: str) -> str:
    lag = (translate("kpi.lag_days", language, days=row["lag_days"]) if row["lag_days"] is not None
           else translate("kpi.lag_one_period", language))
    if row["next_due"] is None:
        return lag
    key = "kpi.next_due_past" if row["stale"] else "kpi.next_due"
    return f"{lag}. {translate(key, language, date=format_day(row['next_due'], language))}."


def methodology(row: dict[str, Any], language: str, services: Services) -> list[dict[str, str | None]]:
    """The definition card: label, text and, for the goal, where it links."""
    none = "–"
    items = [
        ("kpi.field_description", localized(row, "description", language) or none, None),
        ("public.field_unit", _unit_text(row, language, services), None),
        ("kpi.field_direction", direction_text(row, language), None),
        ("kpi.field_frequency", frequency_text(row, language), None),
        ("kpi.field_aggregation", translate(f"aggregation.{row['aggregation']}", language), None),
        ("kpi.field_data_source", row["data_source"] or none, None),
        ("kpi.field_methodology", row["methodology"] or none, None),
        ("kpi.field_owner", row["owner"] or translate("kpi.no_owner", language), None),
        ("public.field_department", department_name(row, language), None),
    ]
    if row["goal_id"]:   # a goal that is not published is not named
        items.append(("public.field_goal", goal_title(row, language), f"/public/goals/{row['goal_id']}"))
    items += [("kpi.field_lag", _due_text(row, language), None),
              ("kpi.field_tolerance", translate("public.tolerance", language, percent=f"{row['tolerance'] * 100:g}"),
               None)]
    return [{"label": translate(key, language), "text": text, "href": href} for key, text, href in items]


def embed_snippet(embed_url: str, name: str) -> str:
    """The iframe a city's web editor pastes into a page."""
    return (f'<iframe src="{html.escape(embed_url)}" title="{html.escape(name)}" width="100%" height="600" '
            'style="border:0;max-width:100%" loading="lazy"></iframe>')
