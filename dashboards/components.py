"""Small pieces shared by pages: how a KPI's name, value, target and period read."""
from __future__ import annotations

from typing import Any

from dash import html

from i18n import _, format_period, format_value, localized, translate
from metrics.periods import Period
from web.services import Services


def kpi_name(kpi: dict[str, Any], language: str) -> str:
    return localized(kpi, "name", language) or kpi["id"]


def department_name(kpi: dict[str, Any], language: str) -> str:
    return localized({"name": kpi.get("department_name"), "name_es": kpi.get("department_name_es"),
                      "name_pt": kpi.get("department_name_pt")}, "name", language) or "–"


def goal_title(kpi: dict[str, Any], language: str) -> str:
    return localized({"title": kpi.get("goal_title"), "title_es": kpi.get("goal_title_es"),
                      "title_pt": kpi.get("goal_title_pt")}, "title", language) or "–"


def value_text(kpi: dict[str, Any], value: float | None, language: str, services: Services) -> str:
    return format_value(value, kpi["unit"], language, decimals=kpi["decimals"],
                        unit_label=kpi.get("unit_label"), currency=services.config.currency)


def target_text(kpi: dict[str, Any], row: dict[str, Any], language: str, services: Services) -> str:
    """The target that applies to a row: a value, or a band 'low – high'; '–' when none."""
    if row.get("target_low") is not None:
        low = value_text(kpi, row["target_low"], language, services)
        high = value_text(kpi, row["target_high"], language, services)
        return f"{low} – {high}"
    return value_text(kpi, row.get("target_value"), language, services)


def target_cell(kpi: dict[str, Any], row: dict[str, Any], language: str, services: Services):
    """The target, and for an even share of an annual total, which total it comes from."""
    text = target_text(kpi, row, language, services)
    if row.get("target_basis") != "fiscal_year_share":
        return text
    year = services.calendar.label(Period("annual", row["fiscal_year_start"]))
    annual = value_text(kpi, row["annual_target_value"], language, services)
    return [text, html.Span(translate("target.share_of_annual", language, year=year, total=annual),
                            className="muted small block")]


def period_text(kpi: dict[str, Any], start, language: str, services: Services, *,
                short: bool = False) -> str:
    """How a KPI's period reads; `short` drops words for chart axes (2024-W10, not Week 2024-W10)."""
    if start is None:
        return "–"
    period = Period(kpi["frequency"], start)
    if short and period.frequency == "weekly":
        return services.calendar.label(period)
    return format_period(period, services.calendar, language)


# The texts Dash's dropdown shows on its own (search box, clear buttons, multi-select
# counts): English unless each dropdown is given them.
DROPDOWN_LABELS = ("select_all", "deselect_all", "selected_count", "search", "clear_search", "clear_selection",
                   "no_options_found")


def dropdown_labels(language: str) -> dict[str, str]:
    """The `labels` of a dcc.Dropdown in `language`."""
    return {label: translate(f"dropdown.{label}", language) for label in DROPDOWN_LABELS}


def direction_text(kpi: dict[str, Any], language: str) -> str:
    return translate(f"direction.{kpi['direction']}", language)


def frequency_text(kpi: dict[str, Any], language: str) -> str:
    return translate(f"frequency.{kpi['frequency']}", language)


# -- status, trend and freshness: never colour alone ---------------------------------------
STATUS_ICONS = {"on_track": "✔", "at_risk": "▲", "off_track": "✖", "no_target": "–", "no_direction": "○",
                "no_data": "?"}
TREND_ARROWS = {"up": "↗", "down": "↘", "flat": "→"}


def status_badge(status: str | None, language: str) -> html.Span:
    """The status as an icon and a word, on a tint that is never the only signal."""
    status = status or "no_data"
    return html.Span([html.Span(STATUS_ICONS[status], className="status-icon", **{"aria-hidden": "true"}),
                      translate(f"status.{status}", language)], className=f"status status-{status}")


def trend_marker(trend: str, change: float | None, language: str) -> html.Span:
    """An arrow for where the values move, and a word for whether that is good."""
    movement = "flat" if change is None or abs(change) <= 0.02 else ("up" if change > 0 else "down")
    arrow = "" if trend == "insufficient" else TREND_ARROWS[movement]
    return html.Span([html.Span(arrow, className="trend-arrow", **{"aria-hidden": "true"}),
                      translate(f"trend.{trend}", language)], className=f"trend trend-{trend}")


def stale_badge(stale: bool, language: str):
    return html.Span(translate("status.stale", language), className="badge badge-stale") if stale else None


def pressed_index(clicks) -> int | None:
    """For a callback on a pattern of buttons ({"type": ..., "index": n}), the index of the
    one a person really pressed, or None: the browser may send anything, and a button that
    merely appeared (a list re-rendered) fires the callback with no click."""
    from dash import ctx

    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or not isinstance(chosen.get("index"), int) or not isinstance(clicks, list):
        return None
    pressed = next((c for c, item in zip(clicks, ctx.inputs_list[0])
                    if isinstance(item, dict) and item.get("id") == chosen), None)
    if not isinstance(pressed, int) or isinstance(pressed, bool) or pressed < 1:
        return None
    return chosen["index"]


# -- tables that scroll -------------------------------------------------------------------------
def table_region(table, label: str, *, className: str = "table-wrap", **props) -> html.Div:
    """The box around a table that scrolls when the table is wider (or taller) than the page:
    a Tab stop and a region named "Table: `label`" (`label` the table's name, in the reader's
    language), so that keyboard users can scroll it with the arrow keys and screen readers
    announce what it holds (WCAG 2.1.1); "Table:" keeps it apart from the section around it,
    which is often named by the same heading."""
    return html.Div(table, className=className, tabIndex="0", role="region",
                    **{"aria-label": _("table.region", name=label)}, **props)
