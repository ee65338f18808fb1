"""Every chart CityStat draws, in one place, so they share colours, fonts and locale."""
from __future__ import annotations

import html
from datetime import date
from typing import Any, Mapping
from urllib.parse import quote

import plotly.graph_objects as go

from dashboards.components import period_text, target_text, value_text
from i18n import axis_title, translate
from metrics.series import at_risk_zones
from web.services import Services

# One palette, Okabe & Ito's, which reads apart under every common colour-vision deficiency.
# Lines use the members with >= 3:1 contrast on white, and every series also differs in
# dash pattern, marker or fill pattern, so that no reading depends on colour alone.
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000"}
ACTUAL = OKABE_ITO["blue"]                   # solid line with dots
TARGET = OKABE_ITO["vermillion"]             # long dashes, steps at period edges
BAND = "rgba(213, 94, 0, 0.10)"              # target range: vermillion tint between dotted edges
BAND_EDGE = OKABE_ITO["vermillion"]
TOLERANCE = "#C58800"                        # tolerance zone: orange hatching, darkened to 3:1 on white
TOLERANCE_FILL = "rgba(230, 159, 0, 0.18)"
PRIOR = "rgba(0, 0, 0, 0.62)"                # black, lightened: dotted line
FORECAST = OKABE_ITO["bluish_green"]         # dash-dot line
FORECAST_FILL = "rgba(0, 158, 115, 0.16)"    # its 80 % interval
NOTE = OKABE_ITO["reddish_purple"]           # open diamonds on commented periods
INK = "#1f2933"
# Cividis (sequential, made for colour-vision deficiencies) with its CIELAB lightness scaled
# from 10-92 to 10-62: its own yellow end is 1.2:1 on white, a district too faint to see on
# the page (WCAG 1.4.11 asks 3:1). Same hues, even steps, 15.7:1 to 3.0:1 on white.
DISTRICT_SCALE = [[i / 9, colour] for i, colour in enumerate((
    "#00224e", "#0e2d62", "#2e3a56", "#414552", "#505153", "#605d53", "#706a4e", "#827744", "#938535", "#a49520"))]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": INK}
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


def value_axis(kpi: dict[str, Any], values: list[float | None], language: str, services: Services) -> dict:
    """The value axis of every KPI chart (README, "Honest charts"): titled with the unit;
    percents span 0-100 % (further only for values beyond it), scores fit their values,
    everything else starts at zero. A person may still zoom."""
    axis: dict[str, Any] = {
        "title": {"text": axis_title(kpi["unit"], language, unit_label=kpi.get("unit_label"),
                                     currency=services.config.currency)},
        "tickformat": _tickformat(kpi["unit"], kpi["decimals"]), "zeroline": True, "automargin": True}
    shown = [v for v in values if v is not None]
    if kpi["unit"] == "percent":
        axis["range"] = [min([0.0] + shown), max([1.0] + shown) * 1.02]
    else:
        axis["rangemode"] = "normal" if kpi["unit"] == "score" else "tozero"
    return axis


def _line_hover(name: str) -> str:
    return "%{x}<br>" + name + ": %{customdata}<extra></extra>"


def _add_tolerance(figure: go.Figure, kpi: dict[str, Any], labels: list[str], rows: list[dict[str, Any]],
                   language: str) -> None:
    """The at-risk zone beside the target (or each edge of the band), hatched."""
    zones = [at_risk_zones(kpi, row) for row in rows]
    name = translate("chart.tolerance", language, tolerance=f"{kpi['tolerance'] * 100:g}")
    shown = False
    for side in range(max((len(z) for z in zones), default=0)):
        lows = [z[side][0] if len(z) > side else None for z in zones]
        highs = [z[side][1] if len(z) > side else None for z in zones]
        if all(v is None for v in lows):
            continue
        figure.add_trace(go.Scatter(x=labels, y=lows, mode="lines", line={"width": 0, "shape": "hvh"}, name=name,
                                    hoverinfo="skip", showlegend=False, legendgroup="tolerance"))
        figure.add_trace(go.Scatter(
            x=labels, y=highs, mode="lines", line={"width": 0, "shape": "hvh"}, fill="tonexty",
            fillcolor=TOLERANCE_FILL, fillpattern={"shape": "/", "fgcolor": TOLERANCE, "size": 7, "solidity": 0.25},
            name=name, legendgroup="tolerance", showlegend=not shown, legendrank=3, hoverinfo="skip"))
        shown = True


def _add_target(figure: go.Figure, kpi: dict[str, Any], labels: list[str], rows: list[dict[str, Any]],
                language: str, services: Services) -> None:
    lows = [row["target_low"] for row in rows]
    if any(v is not None for v in lows):
        highs = [row["target_high"] for row in rows]
        edge = {"color": BAND_EDGE, "width": 1.5, "dash": "dot", "shape": "hvh"}
        figure.add_trace(go.Scatter(x=labels, y=lows, mode="lines", line=edge, hoverinfo="skip",
                                    name=translate("chart.band_low", language), showlegend=False,
                                    legendgroup="target"))
        figure.add_trace(go.Scatter(
            x=labels, y=highs, mode="lines", fill="tonexty", fillcolor=BAND, line=edge, legendgroup="target",
            name=translate("chart.target_band", language), legendrank=2,
            customdata=[target_text(kpi, row, language, services) for row in rows],
            hovertemplate=_line_hover(translate("chart.target_band", language))))
    targets = [row["target_value"] for row in rows]
    if any(v is not None for v in targets):
        figure.add_trace(go.Scatter(
            x=labels, y=targets, mode="lines", line={"color": TARGET, "width": 2, "dash": "dash", "shape": "hvh"},
            name=translate("chart.target", language), legendrank=2,
            customdata=[value_text(kpi, v, language, services) for v in targets],
            hovertemplate=_line_hover(translate("chart.target", language))))


def _add_prior_year(figure: go.Figure, kpi: dict[str, Any], labels: list[str], history: list[dict[str, Any]],
                    prior: Mapping[date, tuple[date, float | None]], language: str, services: Services) -> None:
    points = [(label, prior[row["period_start"]]) for label, row in zip(labels, history)
              if row["period_start"] in prior]
    name = translate("chart.prior_year", language)
    figure.add_trace(go.Scatter(
        x=[label for label, _ in points], y=[value for _, (_, value) in points], mode="lines",
        line={"color": PRIOR, "width": 2, "dash": "dot"}, name=name, legendrank=4,
        customdata=[f"{period_text(kpi, start, language, services, short=True)}: "
                    f"{value_text(kpi, value, language, services)}" for _, (start, value) in points],
        hovertemplate=_line_hover(name)))


def _add_forecast(figure: go.Figure, kpi: dict[str, Any], last: tuple[str, float], forecast: dict[str, Any],
                  language: str, services: Services) -> None:
    """The projection to year-end, dashed, leaving from the last actual value, within its 80 % band."""
    projection = forecast["projection"]
    labels = [period_text(kpi, p["period_start"], language, services, short=True) for p in projection]
    xs = [last[0]] + labels
    band_name = translate("chart.forecast_interval", language)
    figure.add_trace(go.Scatter(x=xs, y=[last[1]] + [p["low"] for p in projection], mode="lines", name=band_name,
                                line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup="interval"))
    figure.add_trace(go.Scatter(x=xs, y=[last[1]] + [p["high"] for p in projection], mode="lines",
                                line={"width": 0}, fill="tonexty", fillcolor=FORECAST_FILL, name=band_name,
                                legendgroup="interval", legendrank=6, hoverinfo="skip"))
    style = {"color": FORECAST, "width": 2.5, "dash": "dashdot"}
    name = translate("chart.forecast", language, year=forecast["fiscal_year"])
    figure.add_trace(go.Scatter(x=xs[:2], y=[last[1], projection[0]["value"]], mode="lines", line=style, name=name,
                                hoverinfo="skip", showlegend=False, legendgroup="forecast"))
    figure.add_trace(go.Scatter(
        x=labels, y=[p["value"] for p in projection], mode="lines+markers", line=style,
        marker={"symbol": "circle-open", "size": 6}, name=name, legendgroup="forecast", legendrank=5,
        customdata=[translate("chart.forecast_point", language, value=value_text(kpi, p["value"], language, services),
                              low=value_text(kpi, p["low"], language, services),
                              high=value_text(kpi, p["high"], language, services)) for p in projection],
        hovertemplate=_line_hover(translate("chart.forecast_short", language))))


def _add_commentary(figure: go.Figure, labels: list[str], history: list[dict[str, Any]],
                    commentary: Mapping[date, list[str]], language: str) -> None:
    said = [(label, row, remarks) for label, row in zip(labels, history)
            if (remarks := _remarks(row, commentary))]
    if not said:
        return
    figure.add_trace(go.Scatter(
        x=[label for label, _, _ in said], y=[row["value"] for _, row, _ in said], mode="markers",
        marker={"symbol": "diamond-open", "size": 12, "color": NOTE, "line": {"width": 2}},
        name=translate("chart.note", language), legendrank=7,
        customdata=["<br>".join(_plain(_short(text, 120)) for text in remarks) for _, _, remarks in said],
        hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
    for label, row, remarks in said[-3:]:
        figure.add_annotation(x=label, y=row["value"], text=_plain(_short(remarks[0], 48)),
                              showarrow=True, arrowhead=2, arrowcolor=NOTE, ax=0, ay=-42,
                              font={"size": 11, "color": INK}, bgcolor="rgba(255,255,255,0.92)",
                              bordercolor=NOTE, borderwidth=1)


def target_vs_actual(kpi: dict[str, Any], history: list[dict[str, Any]], language: str,
                     services: Services, commentary: Mapping[date, list[str]] | None = None, *,
                     prior: Mapping[date, tuple[date, float | None]] | None = None,
                     forecast: dict[str, Any] | None = None,
                     future_targets: list[dict[str, Any]] = ()) -> go.Figure:
    """The KPI's actual values against its target line or band and the tolerance zone;
    with `prior` (metrics.series.prior_year) last year's values at the same places; with
    `forecast` (metrics.forecast) the projection to year-end and its 80 % interval, the
    targets of those periods given as `future_targets`. Periods with a note or commentary
    (`commentary`: texts by period start) are marked on the line."""
    labels = [period_text(kpi, row["period_start"], language, services, short=True) for row in history]
    valued = [(label, row["value"]) for label, row in zip(labels, history) if row["value"] is not None]
    projected = bool(forecast and forecast["projection"] and valued)
    future = list(future_targets) if projected else []
    target_rows = list(history) + future
    target_labels = labels + [period_text(kpi, row["period_start"], language, services, short=True)
                              for row in future]
    figure = go.Figure()
    _add_tolerance(figure, kpi, target_labels, target_rows, language)
    _add_target(figure, kpi, target_labels, target_rows, language, services)
    if prior is not None:
        _add_prior_year(figure, kpi, labels, history, prior, language, services)
    if projected:
        _add_forecast(figure, kpi, valued[-1], forecast, language, services)
    figure.add_trace(go.Scatter(
        x=labels, y=[row["value"] for row in history], mode="lines+markers", name=translate("chart.actual", language),
        line={"color": ACTUAL, "width": 2.75}, marker={"size": 6}, legendrank=1,
        customdata=[value_text(kpi, row["value"], language, services) for row in history],
        hovertemplate=_line_hover(translate("chart.actual", language))))
    _add_commentary(figure, labels, history, commentary or {}, language)

    categories = list(dict.fromkeys(target_labels + [period_text(kpi, p["period_start"], language, services,
                                                                 short=True)
                                                     for p in (forecast["projection"] if projected else [])]))
    plotted = [row["value"] for row in history] + [row["target_value"] for row in target_rows] \
        + [row["target_high"] for row in target_rows] + [v for _, (_, v) in (prior or {}).items()]
    figure.update_layout(
        template="plotly_white", separators=SEPARATORS[language], height=440,
        margin={"l": 70, "r": 24, "t": 56, "b": 60}, font=FONT,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0,
                "traceorder": "normal"},
        hovermode="x unified", uirevision=kpi["id"],
        # Categories keep one slot per period whatever its length; nticks stops long
        # labels (weeks, fiscal quarters) from running into each other.
        xaxis={"title": {"text": translate("chart.period", language)}, "type": "category",
               "categoryorder": "array", "categoryarray": categories,
               "showgrid": False, "nticks": 12, "tickangle": -30 if len(categories) > 12 else 0,
               "automargin": True},
        yaxis=value_axis(kpi, plotted, language, services),
    )
    return figure


def _lower(key: str, language: str) -> str:
    text = translate(key, language)
    return text[:1].lower() + text[1:]


def chart_summary(kpi: dict[str, Any], history: list[dict[str, Any]], evaluation: dict[str, Any] | None,
                  forecast: dict[str, Any] | None, language: str, services: Services, *,
                  prior_shown: bool = False) -> str:
    """What the target-vs-actual chart shows, in sentences, for people who cannot see it:
    built from the same rows, status and forecast as the chart and the tiles."""
    def value(v):
        return value_text(kpi, v, language, services)

    valued = [row for row in history if row["value"] is not None]
    if not valued:
        return translate("chart.summary_empty", language)
    first, last = valued[0], valued[-1]
    parts = [translate("chart.summary_span", language, count=len(history),
                       first=period_text(kpi, history[0]["period_start"], language, services),
                       last=period_text(kpi, history[-1]["period_start"], language, services))]
    period = period_text(kpi, last["period_start"], language, services)
    if last.get("target_value") is not None or last.get("target_low") is not None:
        words = ""
        if evaluation is not None:
            words = f", {_lower('status.' + evaluation['status'], language)}, " \
                    f"{_lower('trend.' + evaluation['trend'], language)}"
        parts.append(translate("chart.summary_latest", language, value=value(last["value"]), period=period,
                               target=target_text(kpi, last, language, services)) + words + ".")
    else:
        parts.append(translate("chart.summary_no_target", language, value=value(last["value"]), period=period))
    if evaluation is not None and evaluation.get("target_basis") == "fiscal_year_to_date":
        parts.append(translate("chart.summary_year_to_date", language, value=value(evaluation["compared_value"]),
                               target=value(evaluation["compared_target"])))
    if evaluation is not None and evaluation.get("stale"):
        parts.append(translate("chart.summary_stale", language))
    if forecast is not None:
        likelihood = _lower(f"forecast.{forecast['likelihood']}", language) if forecast["likelihood"] else ""
        parts.append(translate("chart.summary_forecast", language, year=forecast["fiscal_year"],
                               value=value(forecast["value"]), low=value(forecast["low"]),
                               high=value(forecast["high"]), likelihood=likelihood).rstrip(" ;:,") + ".")
    if prior_shown:
        parts.append(translate("chart.summary_prior", language))
    if first is not last:
        parts.append(translate("chart.summary_change", language, first=value(first["value"]),
                               period=period_text(kpi, first["period_start"], language, services)))
    return " ".join(parts)


# -- breakdowns by district ---------------------------------------------------------------------
def district_small_multiples(kpi: dict[str, Any], rows: list[dict[str, Any]], members: list[str], language: str,
                             services: Services, *, show_target: bool = False, columns: int = 5) -> go.Figure:
    """One small line chart per member (district) over the same periods, on one shared
    value axis so that their heights compare; `show_target` adds the city's target."""
    from plotly.subplots import make_subplots

    starts = sorted({row["period_start"] for row in rows})
    labels = [period_text(kpi, start, language, services, short=True) for start in starts]
    values = {(row["member"], row["period_start"]): row["value"] for row in rows}
    targets = {row["period_start"]: row["target_value"] for row in rows}
    lines = max(1, -(-len(members) // columns))
    figure = make_subplots(rows=lines, cols=columns, shared_xaxes="all", shared_yaxes="all",
                           subplot_titles=members, horizontal_spacing=0.05, vertical_spacing=0.2 if lines > 1 else 0)
    target_name = translate("chart.target", language)
    for i, member in enumerate(members):
        line, column = divmod(i, columns)
        ys = [values.get((member, start)) for start in starts]
        if show_target and any(targets.get(s) is not None for s in starts):
            figure.add_trace(go.Scatter(
                x=labels, y=[targets.get(s) for s in starts], mode="lines", name=target_name,
                line={"color": TARGET, "width": 1.5, "dash": "dash", "shape": "hvh"}, legendgroup="target",
                showlegend=i == 0, hoverinfo="skip"), row=line + 1, col=column + 1)
        figure.add_trace(go.Scatter(
            x=labels, y=ys, mode="lines", name=member, showlegend=False, line={"color": ACTUAL, "width": 2},
            customdata=[value_text(kpi, v, language, services) for v in ys],
            hovertemplate=f"{_plain(member)}<br>%{{x}}: %{{customdata}}<extra></extra>"), row=line + 1, col=column + 1)
    axis = value_axis(kpi, [v for v in values.values()] + (list(targets.values()) if show_target else []),
                      language, services)
    title = axis.pop("title")
    figure.update_yaxes(**axis, nticks=5)
    figure.update_yaxes(title=title, col=1)
    # No period labels under each small chart: the heading above them names the span.
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=labels, showticklabels=False,
                        showgrid=False)
    figure.update_annotations(font={"size": 13, "color": INK})
    figure.update_layout(template="plotly_white", separators=SEPARATORS[language], font=FONT,
                         height=170 * lines + 90, margin={"l": 70, "r": 16, "t": 40, "b": 16},
                         hovermode="closest", showlegend=show_target,
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "xanchor": "right", "x": 1})
    return figure


def _label_point(feature: dict[str, Any]) -> tuple[float, float]:
    """Where a district's label goes: its `label_point` when the file has one, else the
    average of its outer ring's corners."""
    point = feature["properties"].get("label_point")
    if point:
        return point[0], point[1]
    ring = feature["geometry"]["coordinates"][0]
    if feature["geometry"]["type"] == "MultiPolygon":
        ring = ring[0]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an "rgb(r, g, b)" colour."""
    channels = [float(c) / 255 for c in colour[colour.index("(") + 1:-1].split(",")]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def district_fill(position: float) -> str:
    """The map's colour at `position` (0 the lowest value, 1 the highest), as "rgb(r, g, b)"."""
    from plotly.colors import sample_colorscale

    return sample_colorscale(DISTRICT_SCALE, min(max(position, 0.0), 1.0), colortype="rgb")[0]


def district_label_ink(position: float) -> str:
    """White or black, whichever reads at 4.5:1 on the district's fill at `position`."""
    fill = _luminance(district_fill(position))
    return "#ffffff" if 1.05 / (fill + 0.05) >= 4.5 else "#000000"


def district_map(kpi: dict[str, Any], values: Mapping[str, float], boundaries: dict[str, Any], language: str,
                 services: Services) -> go.Figure:
    """A choropleth of one value per district over the city's own boundaries (GeoJSON,
    features named in properties.name), with no base map: nothing is fetched. Each
    district also carries its number and value as text, so colour is not the only cue."""
    features = [f for f in boundaries["features"] if f["properties"].get("name") in values]
    names = [f["properties"]["name"] for f in features]
    z = [values[name] for name in names]
    shown = [value_text(kpi, v, language, services) for v in z]
    axis = value_axis(kpi, z, language, services)
    figure = go.Figure(go.Choropleth(
        geojson=boundaries, featureidkey="properties.name", locations=names, z=z, colorscale=DISTRICT_SCALE,
        marker={"line": {"color": "#ffffff", "width": 1.5}}, customdata=shown,
        hovertemplate="%{location}<br>%{customdata}<extra></extra>",
        colorbar={"title": {"text": axis["title"]["text"], "side": "right"}, "tickformat": axis["tickformat"],
                  "thickness": 14, "len": 0.8}))
    low, high = (min(z), max(z)) if z else (0, 1)
    points = [_label_point(f) for f in features]
    inks = [district_label_ink(0.0 if high == low else (v - low) / (high - low)) for v in z]
    figure.add_trace(go.Scattergeo(
        lon=[p[0] for p in points], lat=[p[1] for p in points], mode="text", hoverinfo="skip", showlegend=False,
        text=[f"<b>{name.rsplit(' ', 1)[-1]}</b><br>{text}" for name, text in zip(names, shown)],
        textfont={"size": 12, "color": inks}))
    figure.update_geos(fitbounds="locations", visible=False, projection={"type": "mercator"})
    figure.update_layout(separators=SEPARATORS[language], font=FONT, height=470,
                         margin={"l": 0, "r": 0, "t": 8, "b": 8}, dragmode=False)
    return figure


# -- sparklines: a few hundred bytes of SVG per KPI instead of a plotly figure each -------------
SPARKLINE_SIZE = (84, 26)


def sparkline_svg(values: list[float | None], size: tuple[int, int] = SPARKLINE_SIZE) -> str | None:
    """`values` (oldest first, None for a period without one) as an SVG line, gaps left open
    and the latest point marked; None when there is nothing to draw."""
    width, height = size
    present = [(slot, value) for slot, value in enumerate(values) if value is not None]
    if not present:
        return None
    pad = 3.0
    low, high = min(v for _, v in present), max(v for _, v in present)
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def point(slot: int, value: float) -> str:
        y = height / 2 if high == low else pad + (high - value) / (high - low) * (height - 2 * pad)
        return f"{pad + slot * step:.1f},{y:.1f}"

    runs, run = [], []
    for slot, value in enumerate(values):
        if value is None:
            runs, run = runs + [run] if run else runs, []
        else:
            run.append(point(slot, value))
    runs += [run] if run else []
    last_x, last_y = point(*present[-1]).split(",")
    shapes = [f'<polyline points="{" ".join(r)}"/>' if len(r) > 1 else   # a lone value is a dot
              '<circle cx="{}" cy="{}" r="1.4" fill="{}"/>'.format(*r[0].split(","), ACTUAL)
              for r in runs if len(r) > 1 or r[0] != f"{last_x},{last_y}"]
    shapes.append(f'<circle cx="{last_x}" cy="{last_y}" r="2.4" fill="{ACTUAL}" stroke="none"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><g fill="none" stroke="{ACTUAL}" stroke-width="1.6" '
            f'stroke-linejoin="round" stroke-linecap="round">{"".join(shapes)}</g></svg>')


def svg_data_uri(svg: str) -> str:
    """An SVG as an image address (the CSP allows data: images; no markup enters the page)."""
    return "data:image/svg+xml," + quote(svg, safe="=:/,.'")
