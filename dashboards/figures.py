"""Every chart CityStat draws, in one place, so they share colours, fonts and locale."""
from __future__ import annotations

import html
from datetime import date
from typing import Any, Mapping

import plotly.graph_objects as go

from dashboards.components import period_text, value_text
from i18n import axis_title, translate
from web.services import Services

# Colours chosen for contrast on white (>= 3:1 for lines) and to read apart without hue.
ACTUAL = "#1d4f91"
TARGET = "#b4531b"
BAND = "rgba(46, 125, 50, 0.16)"
BAND_EDGE = "#2e7d32"
NOTE = "#5b2a86"
SEPARATORS = {"en": ".,", "es": ",.", "pt": ",."}


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _tickformat(unit: str, decimals: int) -> str | None:
    if unit == "percent":
        return f".{max(decimals - 1, 0)}%"
    return None


def _plain(text: str) -> str:
    """Plotly reads a few HTML tags in chart text; notes and commentary are plain text, so
    escape them (Plotly turns the entities back into the characters written)."""
    return html.escape(text, quote=False)


def _remarks(row: dict[str, Any], commentary: Mapping[date, list[str]]) -> list[str]:
    """What was said about a row's period: the observation's note, then commentary."""
    return ([row["note"]] if row.get("note") else []) + list(commentary.get(row["period_start"], ()))


def target_vs_actual(kpi: dict[str, Any], history: list[dict[str, Any]], language: str,
                     services: Services, commentary: Mapping[date, list[str]] | None = None) -> go.Figure:
    """The KPI's actual values against its target line or band; periods with a note or
    commentary (`commentary`: texts by period start) are marked on the line."""
    labels = [period_text(kpi, row["period_start"], language, services, short=True) for row in history]
    shown = [value_text(kpi, row["value"], language, services) for row in history]
    figure = go.Figure()

    lows = [row["target_low"] for row in history]
    if any(v is not None for v in lows):
        highs = [row["target_high"] for row in history]
        figure.add_trace(go.Scatter(x=labels, y=lows, mode="lines", line={"color": BAND_EDGE, "width": 1, "dash": "dot"},
                                    name=translate("chart.band_low", language), hoverinfo="skip", showlegend=False))
        figure.add_trace(go.Scatter(x=labels, y=highs, mode="lines", fill="tonexty", fillcolor=BAND,
                                    line={"color": BAND_EDGE, "width": 1, "dash": "dot"},
                                    name=translate("chart.target_band", language), hoverinfo="skip"))
    targets = [row["target_value"] for row in history]
    if any(v is not None for v in targets):
        figure.add_trace(go.Scatter(
            x=labels, y=targets, mode="lines", line={"color": TARGET, "width": 2, "dash": "dash", "shape": "hv"},
            name=translate("chart.target", language),
            customdata=[value_text(kpi, v, language, services) for v in targets],
            hovertemplate="%{x}<br>" + translate("chart.target", language) + ": %{customdata}<extra></extra>"))

    figure.add_trace(go.Scatter(
        x=labels, y=[row["value"] for row in history], mode="lines+markers", name=translate("chart.actual", language),
        line={"color": ACTUAL, "width": 2.5}, marker={"size": 5}, customdata=shown,
        hovertemplate="%{x}<br>" + translate("chart.actual", language) + ": %{customdata}<extra></extra>"))

    said = [(label, row, remarks) for label, row in zip(labels, history)
            if (remarks := _remarks(row, commentary or {}))]
    if said:
        figure.add_trace(go.Scatter(
            x=[label for label, _, _ in said], y=[row["value"] for _, row, _ in said], mode="markers",
            marker={"symbol": "diamond-open", "size": 12, "color": NOTE, "line": {"width": 2}},
            name=translate("chart.note", language),
            customdata=["<br>".join(_plain(_short(text, 120)) for text in remarks) for _, _, remarks in said],
            hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
        for label, row, remarks in said[-3:]:
            figure.add_annotation(x=label, y=row["value"], text=_plain(_short(remarks[0], 48)),
                                  showarrow=True, arrowhead=2,
                                  arrowcolor=NOTE, ax=0, ay=-42, font={"size": 11, "color": NOTE},
                                  bgcolor="rgba(255,255,255,0.9)", bordercolor=NOTE, borderwidth=1)

    figure.update_layout(
        template="plotly_white", separators=SEPARATORS[language], height=420,
        margin={"l": 70, "r": 24, "t": 48, "b": 60},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#1f2933"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hovermode="x unified",
        # Categories keep one slot per period whatever its length; nticks stops long
        # labels (weeks, fiscal quarters) from running into each other.
        xaxis={"title": {"text": translate("chart.period", language)}, "type": "category",
               "showgrid": False, "nticks": 12, "tickangle": -30 if len(labels) > 12 else 0,
               "automargin": True},
        yaxis={"title": {"text": axis_title(kpi["unit"], language, unit_label=kpi.get("unit_label"),
                                            currency=services.config.currency)},
               "tickformat": _tickformat(kpi["unit"], kpi["decimals"]), "rangemode": "tozero"
               if kpi["unit"] != "percent" else "normal", "zeroline": True},
    )
    return figure
