"""The headline of a KPI's page: tiles for its status (with trend, freshness and how far
from target), latest value, target, year-end forecast and direction of good. Every
judgement comes from metrics.status and metrics.forecast; these tiles only say it, in
icons and words, never colour alone."""
from __future__ import annotations

from dash import dcc, html

from dashboards.components import (direction_text, frequency_text, period_text, stale_badge, status_badge,
                                   target_text, trend_marker, value_text)
from i18n import _, format_day, format_value, translate
from web.auth import current_scope
from web.kpi_definitions import lineage, may_edit

LIKELIHOOD_ICONS = {"likely": "✔", "uncertain": "?", "unlikely": "✖"}   # with the word, never alone


def _status_tile(kpi, evaluation, language, services):
    """Status and trend as icon and word, how far from target, and whether data is overdue."""
    evaluation = evaluation or {"status": "no_data", "trend": "insufficient", "trend_change": None, "stale": False,
                                "percent_of_target": None, "next_due": None, "target_basis": None}
    notes = []
    share = evaluation["percent_of_target"]
    if share is not None:
        percent = format_value(share, "percent", language)
        if evaluation["target_basis"] == "fiscal_year_to_date":
            notes.append(_("kpi.percent_of_ytd_target", percent=percent,
                           value=value_text(kpi, evaluation["compared_value"], language, services),
                           target=value_text(kpi, evaluation["compared_target"], language, services)))
        else:
            notes.append(_("kpi.percent_of_target", percent=percent))
    if evaluation["next_due"] is not None:
        key = "kpi.next_due_past" if evaluation["stale"] else "kpi.next_due"
        notes.append(_(key, date=format_day(evaluation["next_due"], language)))
    return html.Div([
        html.Dt(_("kpi.tile_status")),
        html.Dd([status_badge(evaluation["status"], language), " ",
                 stale_badge(evaluation["stale"], language)], className="tile-badges"),
        html.Dd(trend_marker(evaluation["trend"], evaluation["trend_change"], language), className="tile-trend"),
        *[html.Dd(note, className="muted small") for note in notes],
    ], className="tile tile-status", id="kpi-tile-status")


def _forecast_tile(kpi, prediction, language, services):
    if prediction is None:
        reason = "kpi.no_forecast_neutral" if kpi["direction"] == "neutral" else "kpi.no_forecast_target"
        return html.Div([html.Dt(_("kpi.tile_forecast")), html.Dd(_("kpi.no_forecast")),
                         html.Dd(_(reason), className="muted small")], className="tile", id="kpi-tile-forecast")

    def value(v):
        return value_text(kpi, v, language, services)
    likelihood = prediction["likelihood"]
    return html.Div([
        html.Dt(_("kpi.tile_forecast")),
        html.Dd(value(prediction["value"])),
        html.Dd(_("kpi.forecast_interval", low=value(prediction["low"]), high=value(prediction["high"])),
                className="small"),
        html.Dd(html.Span([html.Span(LIKELIHOOD_ICONS[likelihood], className="status-icon", **{"aria-hidden": "true"}),
                           translate(f"forecast.{likelihood}", language)], className=f"likelihood likelihood-{likelihood}")
                if likelihood else None),
        html.Dd(_("kpi.forecast_for", year=prediction["fiscal_year"],
                  method=translate(f"forecast.method.{prediction['method']}", language)), className="muted small"),
    ], className="tile", id="kpi-tile-forecast")


def headline(kpi, evaluation, prediction, language, services):
    """The tiles, from the KPI's catalogue row, its status row and its forecast (either may be None)."""
    def tile(label, value, note):
        return html.Div([html.Dt(label), html.Dd(value), html.Dd(note, className="muted small")], className="tile")
    return html.Dl([
        _status_tile(kpi, evaluation, language, services),
        tile(_("kpi.tile_latest"), value_text(kpi, kpi["latest_value"], language, services),
             period_text(kpi, kpi["latest_period_start"], language, services)),
        tile(_("kpi.tile_target"), target_text(kpi, kpi, language, services),
             translate(f"target.basis.{kpi['target_basis']}", language) if kpi["target_basis"] else _("kpi.no_target")),
        _forecast_tile(kpi, prediction, language, services),
        tile(_("kpi.tile_direction"), direction_text(kpi, language), frequency_text(kpi, language)),
    ], className="tiles kpi-tiles")


def computed_note(kpi, language, services):
    """For a computed KPI, where its values come from; and the way to its definition for
    those who may change it. None when there is nothing to say to this person."""
    found = lineage(services, kpi["id"])
    editable = may_edit(current_scope(), kpi)
    if found is None and not editable:
        return None
    parts = []
    if found is not None:
        parts.append(_("definition.lineage", datasets=", ".join(found["datasets"]), version=found["version"],
                       who=found["created_by"], date=format_day(found["created_at"].date(), language)))
        if found["raw_batch"] is not None:
            parts += [" ", _("definition.lineage_batch", batch=found["raw_batch"])]
    if editable:
        parts += [" " if parts else None,
                  dcc.Link(_("definition.link" if found else "definition.link_new"),
                           href=f"/kpi/{kpi['id']}/definition",
                           id="kpi-definition-link")]
    return html.P(parts, className="muted small kpi-lineage", id="kpi-lineage")
