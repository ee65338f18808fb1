"""A meeting's agenda on its page: the items as they read, the editor's controls, and the
edits themselves (move, remove, add a custom item), made on the copy the browser keeps
until people save it. web.meetings.save_agenda checks and writes the saved agenda; the
checks here only keep a crafted copy from breaking the page."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from dash import dcc, html
from dash.exceptions import PreventUpdate

from dashboards.components import period_text, status_badge, target_text, trend_marker, value_text
from dashboards.meeting_parts import minutes_text
from i18n import format_day, translate
from metrics.agenda import KINDS
from web.meetings import MAX_ITEMS, MAX_MINUTES

P = "meeting-"
KEY = re.compile(r"^[in]\d{1,9}$")   # "i12": saved item 12; "n3": the third item added here


# -- the copy in the browser ----------------------------------------------------------------------------
def store_items(agenda: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agenda of web.meetings.meeting_dict as the page keeps it while people edit it."""
    return [{"key": f"i{item['id']}", "id": item["id"], "kind": item["kind"], "kpi_id": item["kpi_id"],
             "kpi_name": item["kpi_name"], "title": item["title"], "minutes": item["minutes"],
             "questions": item["questions"], "values": item["values"]} for item in agenda]


def _minutes_ok(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def checked_items(data) -> list[dict[str, Any]]:
    """The browser's copy, if it has the shape the page wrote; no update otherwise."""
    if not isinstance(data, list) or len(data) > MAX_ITEMS:
        raise PreventUpdate
    for item in data:
        if not (isinstance(item, dict) and isinstance(item.get("key"), str) and KEY.match(item["key"])
                and item.get("kind") in KINDS and _minutes_ok(item.get("minutes"))
                and (item.get("id") is None or (isinstance(item["id"], int) and not isinstance(item["id"], bool)))
                and isinstance(item.get("questions"), list) and all(isinstance(q, str) for q in item["questions"])
                and isinstance(item.get("values"), dict)
                and all(item.get(name) is None or isinstance(item[name], str)
                        for name in ("kpi_id", "kpi_name", "title"))):
            raise PreventUpdate
    if len({item["key"] for item in data}) != len(data):
        raise PreventUpdate
    return data


def with_minutes(items: list[dict[str, Any]], inputs: list) -> list[dict[str, Any]]:
    """The items with the time boxes as typed in the page's minute inputs."""
    typed = {}
    for entry in inputs if isinstance(inputs, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), dict):
            continue
        key, value = entry["id"].get("key"), entry.get("value")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(key, str) and (value is None or number):
            typed[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    return [{**item, "minutes": typed[item["key"]]} if item["key"] in typed else item for item in items]


def move(items: list[dict[str, Any]], key: str, step: int) -> list[dict[str, Any]]:
    at = next((i for i, item in enumerate(items) if item["key"] == key), None)
    if at is None or not 0 <= at + step < len(items):
        raise PreventUpdate
    moved = list(items)
    moved[at], moved[at + step] = moved[at + step], moved[at]
    return moved


def remove(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    kept = [item for item in items if item["key"] != key]
    if len(kept) == len(items):
        raise PreventUpdate
    return kept


def add_custom(items: list[dict[str, Any]], title: str, minutes, questions: str, language: str):
    """The items with a new custom item at the end, or the reason it cannot be added."""
    problems = []
    if not title.strip():
        problems.append(translate("text.required", language, field=translate("agenda_editor.custom_title", language)))
    elif len(title.strip()) > 300:
        problems.append(translate("text.too_long", language, field=translate("agenda_editor.custom_title", language),
                                  length=len(title.strip()), limit=300))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        problems.append(translate("agenda_editor.custom_minutes_bad", language, high=MAX_MINUTES))
    if len(items) >= MAX_ITEMS:
        problems.append(translate("agenda.not_list", language, high=MAX_ITEMS))
    if problems:
        return None, problems
    numbers = [int(item["key"][1:]) for item in items if item["key"].startswith("n")]
    added = {"key": f"n{max(numbers, default=0) + 1}", "id": None, "kind": "custom", "kpi_id": None,
             "kpi_name": None, "title": title.strip(), "minutes": minutes,
             "questions": [line.strip() for line in questions.splitlines() if line.strip()], "values": {}}
    return [*items, added], []


def to_save(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agenda as web.meetings.save_agenda takes it."""
    saved = []
    for item in items:
        if item["id"] is not None:
            saved.append({"id": item["id"], "minutes": item["minutes"]})
        else:
            saved.append({"title": item["title"], "minutes": item["minutes"], "questions": item["questions"]})
    return saved


# -- how items read ---------------------------------------------------------------------------------------
def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _kpi_facts(values: dict[str, Any], language: str, services) -> list:
    kpi = {"unit": values.get("unit") or "count", "decimals": values.get("decimals") or 0,
           "unit_label": values.get("unit_label"), "frequency": values.get("frequency") or "monthly"}
    start = _day(values.get("latest_period_start"))
    band = values.get("direction") == "band" and values.get("compared_low") is not None
    target = target_text(kpi, {"target_value": values.get("compared_target"),
                               "target_low": values.get("compared_low") if band else None,
                               "target_high": values.get("compared_high") if band else None}, language, services)
    facts = [
        (translate("agenda_editor.latest", language),
         [value_text(kpi, values.get("latest_value"), language, services),
          html.Span(f" ({period_text(kpi, start, language, services)})", className="muted") if start else None]),
        (translate("kpi.col_target", language), target),
    ]
    if values.get("target_basis") == "fiscal_year_to_date":
        facts.append((translate("scorecard.ytd_note", language).rstrip(":"),
                      value_text(kpi, values.get("compared_value"), language, services)))
    status = values.get("status") if values.get("status") in ("on_track", "at_risk", "off_track", "no_target",
                                                               "no_direction", "no_data") else "no_data"
    trend = values.get("trend") if values.get("trend") in ("improving", "worsening", "flat", "insufficient") \
        else "insufficient"
    # The drafted values keep the trend's word, not its size: the arrow follows the direction of good.
    good_up = values.get("direction") != "down"
    change = {"improving": 1.0 if good_up else -1.0, "worsening": -1.0 if good_up else 1.0}.get(trend)
    return [html.Dl([html.Div([html.Dt(label), html.Dd(value)]) for label, value in facts], className="agenda-facts"),
            html.Div([status_badge(status, language), trend_marker(trend, change, language)],
                     className="agenda-badges")]


def _follow_up_facts(values: dict[str, Any], language: str) -> list:
    facts = [(translate("action.owner", language), values.get("owner") or "–"),
             (translate("actions.col_due", language), format_day(_day(values.get("due_date")), language))]
    return [html.Dl([html.Div([html.Dt(label), html.Dd(value)]) for label, value in facts], className="agenda-facts")]


def _heading(item: dict[str, Any]):
    if item["kind"] != "follow_up" and item["kpi_id"]:
        return dcc.Link(item["kpi_name"] or item["kpi_id"], href=f"/kpi/{item['kpi_id']}")
    return item["title"] or item["kpi_name"] or "–"


def _label(item: dict[str, Any]) -> str:
    return item["kpi_name"] or item["title"] or item["kpi_id"] or "–"


def _controls(item: dict[str, Any], number: int, count: int, language: str):
    key, name = item["key"], _label(item)
    minutes_id = {"type": P + "minutes", "key": key}
    return html.Div([
        # The label wraps its input: a pattern-matching id cannot be named by `htmlFor`.
        html.Label([
            html.Span(translate("agenda_editor.time_box", language), className="small", **{"aria-hidden": "true"}),
            html.Span(translate("agenda_editor.time_box_for", language, item=name), className="visually-hidden"),
            dcc.Input(id=minutes_id, type="number", value=item["minutes"], min=1, max=MAX_MINUTES, step=1,
                      className="text-input minutes-input"),
        ], className="minutes-field"),
        html.Div([
            html.Button("↑", id={"type": P + "up", "key": key}, n_clicks=0, type="button", disabled=number == 1,
                        className="button small icon-button",
                        title=translate("agenda_editor.move_up", language),
                        **{"aria-label": translate("agenda_editor.move_up_label", language, item=name)}),
            html.Button("↓", id={"type": P + "down", "key": key}, n_clicks=0, type="button",
                        disabled=number == count, className="button small icon-button",
                        title=translate("agenda_editor.move_down", language),
                        **{"aria-label": translate("agenda_editor.move_down_label", language, item=name)}),
            html.Button(translate("agenda_editor.remove", language), id={"type": P + "remove", "key": key},
                        n_clicks=0, type="button", className="button small danger",
                        **{"aria-label": translate("agenda_editor.remove_label", language, item=name)}),
        ], className="agenda-buttons"),
    ], className="agenda-controls")


def _item(item: dict[str, Any], number: int, count: int, editor: bool, language: str, services) -> html.Li:
    values = item["values"]
    badges = [html.Span(translate(f"agenda.kind.{item['kind']}", language), className=f"kind kind-{item['kind']}")]
    if values.get("priority"):
        badges.append(html.Span(translate("overview.mayoral_priority", language), className="badge badge-priority"))
    if item["kind"] == "follow_up" and values.get("overdue"):
        badges.append(html.Span(translate("actions.overdue", language), className="badge badge-overdue"))
    if item["kind"] == "follow_up":
        facts = _follow_up_facts(values, language)
    elif item["kpi_id"]:
        facts = _kpi_facts(values, language, services)
    else:
        facts = []
    questions = html.Ul([html.Li(q) for q in item["questions"]], className="agenda-questions") \
        if item["questions"] else None
    side = _controls(item, number, count, language) if editor else \
        html.Div(minutes_text(item["minutes"] or 0, language), className="agenda-minutes")
    return html.Li([
        html.Div([
            html.Div([html.Span(str(number), className="agenda-number"), *badges], className="agenda-item-head"),
            html.H3(_heading(item), className="agenda-item-title"),
            *facts,
            questions,
        ], className="agenda-item-body"),
        side,
    ], className=f"agenda-item agenda-{item['kind']}")


def agenda_list(items: list[dict[str, Any]], editor: bool, language: str, services):
    if not items:
        return html.P(translate("agenda_editor.empty", language), className="empty")
    return html.Ol([_item(item, i + 1, len(items), editor, language, services) for i, item in enumerate(items)],
                   className="agenda-list", **{"aria-label": translate("agenda_editor.heading", language)})


def total_line(items: list[dict[str, Any]], length: int, language: str) -> html.P:
    """'55 of 60 minutes', and a plain warning when the time boxes do not fill the meeting."""
    total = sum(item["minutes"] for item in items if isinstance(item["minutes"], int))
    text = translate("agenda_editor.total", language, total=total, length=length)
    if total == length:
        return html.P([html.Span("✔ ", **{"aria-hidden": "true"}), text], className="agenda-total total-ok")
    key = "agenda_editor.over" if total > length else "agenda_editor.under"
    return html.P([html.Span("⚠ ", **{"aria-hidden": "true"}), text, " — ",
                   translate(key, language, minutes=abs(total - length))], className="agenda-total total-off")


def custom_form(language: str) -> html.Div:
    return html.Div([
        html.H3(translate("agenda_editor.custom_heading", language), className="form-heading"),
        html.Div([
            html.Div([html.Label(translate("agenda_editor.custom_title", language), htmlFor=P + "custom-title"),
                      dcc.Input(id=P + "custom-title", type="text", value="", maxLength=300, className="text-input")],
                     className="field wide-2"),
            html.Div([html.Label(translate("agenda_editor.time_box", language), htmlFor=P + "custom-minutes"),
                      dcc.Input(id=P + "custom-minutes", type="number", value=5, min=1, max=MAX_MINUTES, step=1,
                                className="text-input")], className="field"),
            html.Div([html.Label(translate("agenda.questions", language), htmlFor=P + "custom-questions"),
                      dcc.Textarea(id=P + "custom-questions", value="", rows=2, maxLength=4000,
                                   className="text-input textarea short"),
                      html.Span(translate("agenda_editor.questions_hint", language), className="muted small")],
                     className="field wide"),
        ], className="form-grid custom-grid"),
        html.Button(translate("agenda_editor.add", language), id=P + "custom-add", n_clicks=0, type="button",
                    className="button"),
    ], className="custom-item", role="group",
        **{"aria-label": translate("agenda_editor.custom_heading", language)})
