"""The mayor's overview, the goal pages and the department scorecards, through the test
client: what they show of the demo city, their filters and sorting called as any browser
(or attacker) can, and the small pieces behind them (sorting, search, sparklines)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from urllib.parse import unquote

import plotly.utils
import pytest

from dashboards.figures import SPARKLINE_SIZE, sparkline_svg, svg_data_uri
from dashboards.scorecard import DEFAULT_SORT, SEVERITY, folded, next_sort, parse_sort, sort_rows
from metrics import catalog, status
from tests.dash_client import call, render_page, texts
from web.services import EXTENSION

STATUS_WORDS = {"On track": "on_track", "At risk": "at_risk", "Off track": "off_track", "No target": "no_target",
                "Context only": "no_direction", "No data": "no_data"}
SORT_BUTTONS = ("name", "percent", "status", "trend", "updated")


# -- reading Dash's JSON --------------------------------------------------------------------------------
def content(payload: str):
    return json.loads(payload)["response"]["_pages_content"]["children"]


def find(node, class_name: str | None = None, kind: str | None = None) -> list[dict]:
    """Components under `node` with that class (one of its classes) and/or type, in order."""
    found = []

    def walk(item):
        if isinstance(item, list):
            for child in item:
                walk(child)
        elif isinstance(item, dict) and "props" in item:
            props = item["props"]
            classes = (props.get("className") or "").split()
            if (class_name is None or class_name in classes) and (kind is None or item.get("type") == kind):
                found.append(item)
            walk(props.get("children"))
    walk(node)
    return found


def text(node) -> str:
    """The visible text under `node`, joined with single spaces."""
    parts = []

    def walk(item):
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, list):
            for child in item:
                walk(child)
        elif isinstance(item, dict) and "props" in item:
            walk(item["props"].get("children"))
    walk(node)
    return " ".join(" ".join(parts).split())


def body_rows(node) -> list[dict]:
    return [row for table in find(node, "kpi-table") for body in find(table, kind="Tbody")
            for row in body["props"]["children"]]


def row_status(row) -> str:
    badge = find(row, "status")[0]
    return next(c.removeprefix("status-") for c in badge["props"]["className"].split() if c.startswith("status-"))


def badge_word(badge) -> str:
    """A status badge's word, without its icon."""
    return text(badge["props"]["children"][1:])


def row_link(row) -> str:
    return find(row, kind="Link")[0]["props"]["href"]


# -- fixtures -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture(scope="module")
def today_rows(services):
    # The pages evaluate as of today, so the expectations do too.
    return status.kpi_statuses(services.warehouse, services.calendar, date.today())


@pytest.fixture(scope="module")
def goals(services):
    return catalog.list_goals(services.warehouse)


@pytest.fixture(scope="module")
def overview(demo_app):
    from tests.conftest import password_of
    from tests.helpers import sign_in

    viewer = demo_app.test_client()
    sign_in(viewer, "viewer", password_of("viewer"))
    return content(render_page(viewer, "/"))


def filter_list(client, department=None, goal=None, status_word=None, search="", headers=None, show_all=1):
    # Shows every match (as after a click on "show every matching KPI") unless told otherwise.
    return call(client, [("overview-kpis", "children"), ("overview-show-all", "hidden")],
                [("overview-department", "value", department), ("overview-goal", "value", goal),
                 ("overview-status", "value", status_word), ("overview-search", "value", search),
                 ("overview-show-all", "n_clicks", show_all)], headers=headers)


def listed(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    return body_rows(response.get_json()["response"]["overview-kpis"]["children"])


def sort(client, page: str, key: str, page_id, clicks=1, current=DEFAULT_SORT):
    prefix = f"{page}-"
    return call(client, [(prefix + "table", "children"), (prefix + "sort", "data")],
                [(f"{prefix}sort-{k}", "n_clicks", clicks if k == key else 0) for k in SORT_BUTTONS],
                state=[(prefix + "sort", "data", current), (prefix + "id", "data", page_id)],
                changed=f"{prefix}sort-{key}.n_clicks")


# -- the overview ----------------------------------------------------------------------------------------------
def test_cards_show_the_six_priority_goals_with_their_status(overview, goals):
    cards = find(overview, "goal-card")
    priorities = [g for g in goals if g["mayoral_priority"]]
    assert len(priorities) == 6 and len(cards) == 6
    for card, goal in zip(cards, priorities):
        shown = text(card)
        assert goal["title"] in shown and "Mayoral priority" in shown
        assert find(card, kind="Link")[0]["props"]["href"] == f"/goal/{goal['id']}"
        badge = badge_word(find(card, "status")[0])
        assert badge in {"On track", "At risk", "Off track", "No status yet"}, badge


def test_card_counts_add_up_to_the_goals_kpi_total(overview, goals, today_rows):
    parent_of = {g["id"]: g["parent_id"] for g in goals}
    for card, goal in zip(find(overview, "goal-card"), [g for g in goals if g["mayoral_priority"]]):
        members = [r for r in today_rows if goal["id"] in (r["goal_id"], parent_of.get(r["goal_id"]))]
        counts = {li["props"]["className"].removeprefix("count-"): int(text(find(li, "count")[0]))
                  for li in find(card, kind="Li")}
        assert sum(counts.values()) == len(members) > 0
        assert f"KPIs: {len(members)}" in text(card)
        assert counts["off_track"] == sum(1 for r in members if r["status"] == "off_track")
        assert counts["unscored"] == sum(1 for r in members if r["status"] not in status.SCORED)
        rolled = status.roll_up(r["status"] for r in members)
        assert f"Score {round(rolled['score'] * 100)}%" in text(card)


def test_other_goals_come_after_the_priorities(overview, goals):
    others = [g for g in goals if not g["mayoral_priority"] and not g["parent_id"]]
    shown = text(overview)
    assert others and all(g["title"] in shown for g in others)
    assert shown.index("Other goals") > max(shown.index(g["title"]) for g in goals if g["mayoral_priority"])


def test_changes_since_last_month_worst_news_first(overview, services):
    today = date.today()
    before = status.one_month_before(today)
    expected = status.status_changes(status.kpi_statuses(services.warehouse, services.calendar, before),
                                     status.kpi_statuses(services.warehouse, services.calendar, today))
    section = find(overview, kind="Section")
    changes = next(s for s in section if s["props"].get("id") == "overview-changes")
    assert "What changed since last month" in text(changes)
    items = find(changes, "change")
    assert expected and len(items) == min(len(expected), 50)
    for item, change in zip(items, expected):
        assert row_link(item) == f"/kpi/{change['id']}"
        badges = [c for b in find(item, "status") for c in b["props"]["className"].split() if c != "status"]
        assert badges == [f"status-{change['previous_status']}", f"status-{change['status']}"]
    gains = [SEVERITY[c["previous_status"]] - SEVERITY[c["status"]] for c in expected]
    assert gains == sorted(gains, reverse=True)   # the biggest falls first


def test_the_list_shows_the_worst_kpis_first_then_all_on_request(overview, client, today_rows):
    rows = body_rows(overview)
    assert len(rows) == 50 < len(today_rows) == 102
    severities = [SEVERITY[row_status(row)] for row in rows]
    assert severities == sorted(severities) and severities[0] == SEVERITY["off_track"]
    shown = text(overview)
    assert "Matching KPIs: 102. Showing the first 50, worst status first" in shown
    button = next(b for b in find(overview, kind="Button") if b["props"].get("id") == "overview-show-all")
    assert button["props"]["hidden"] is False and "Show every matching KPI" in text(button)

    response = filter_list(client, show_all=1)
    every = listed(response)
    assert len(every) == 102 and response.get_json()["response"]["overview-show-all"]["hidden"] is True
    assert {row_link(row) for row in every} == {f"/kpi/{r['id']}" for r in today_rows}
    severities = [SEVERITY[row_status(row)] for row in every]
    assert severities == sorted(severities)
    first_fifty = filter_list(client, show_all=0)
    assert len(listed(first_fifty)) == 50 and first_fifty.get_json()["response"]["overview-show-all"]["hidden"] is False


def test_department_filter_narrows_the_list(client, today_rows):
    rows = listed(filter_list(client, department="police"))
    police = [r for r in today_rows if r["department_id"] == "police"]
    assert len(rows) == len(police) < len(today_rows)
    assert {text(row.get("props")["children"][1]) for row in rows} == {"Police Department"}


def test_goal_filter_includes_the_sub_goals(client, today_rows, goals):
    parent_of = {g["id"]: g["parent_id"] for g in goals}
    rows = listed(filter_list(client, goal="safe-neighborhoods"))
    expected = {f"/kpi/{r['id']}" for r in today_rows if "safe-neighborhoods" in (r["goal_id"], parent_of[r["goal_id"]])}
    assert {row_link(row) for row in rows} == expected
    assert any(r["goal_id"] == "reduce-gun-violence" for r in today_rows if f"/kpi/{r['id']}" in expected)


@pytest.mark.parametrize("status_word", ["off_track", "at_risk", "on_track", "no_target", "no_direction"])
def test_status_filter_narrows_the_list(client, today_rows, status_word):
    rows = listed(filter_list(client, status_word=status_word))
    assert len(rows) == sum(1 for r in today_rows if r["status"] == status_word) > 0
    assert {row_status(row) for row in rows} == {status_word}


def test_no_data_filter_says_nothing_matches(client):
    response = filter_list(client, status_word="no_data")
    assert "No KPIs match this filter." in texts(response.get_data(as_text=True))


def test_filters_combine(client, today_rows):
    rows = listed(filter_list(client, department="police", status_word="off_track"))
    assert len(rows) == sum(1 for r in today_rows if r["department_id"] == "police" and r["status"] == "off_track")


@pytest.mark.parametrize("search, language, expected_ids", [
    ("overtime", "en", {"police-overtime"}),
    ("OVERTIME", "en", {"police-overtime"}),
    ("POLICIA", "es", {"police-overtime"}),                   # accents and case aside
    ("médicas", "es", None),                                   # Spanish names, Spanish words
    ("policia", "en", set()),                                  # the person's language only
])
def test_search_matches_names_in_the_persons_language(client, today_rows, search, language, expected_ids):
    response = filter_list(client, search=search, headers={"Cookie": f"citystat_lang={language}"})
    if expected_ids == set():
        assert "No KPIs match this filter." in texts(response.get_data(as_text=True))
        return
    links = {row_link(row).removeprefix("/kpi/") for row in listed(response)}
    if expected_ids is None:
        expected_ids = {r["id"] for r in today_rows if "medicas" in folded(r["name_es"])}
        assert "fire-response-90th" in expected_ids
    assert links == expected_ids


@pytest.mark.parametrize("department, goal, status_word, search", [
    ("no-such-department", None, None, ""),
    ({"nested": "object"}, None, None, ""),
    (17, None, None, ""),
    (None, "no-such-goal", None, ""),
    (None, ["safe-neighborhoods"], None, ""),
    (None, None, "excellent", ""),
    (None, None, ["off_track"], ""),
    (None, None, {"$ne": 1}, ""),
    (None, None, None, "x" * 101),
    (None, None, None, 42),
    (None, None, None, ["overtime"]),
])
def test_bad_filter_inputs_change_nothing(client, department, goal, status_word, search):
    assert filter_list(client, department, goal, status_word, search).status_code == 204


@pytest.mark.parametrize("clicks", ["1", -1, True, [1], {"n": 1}, 1.5])
def test_bad_show_all_clicks_change_nothing(client, clicks):
    assert filter_list(client, show_all=clicks).status_code == 204


def test_a_search_of_a_hundred_characters_is_fine(client):
    response = filter_list(client, search="y" * 100)
    assert response.status_code == 200 and "No KPIs match this filter." in texts(response.get_data(as_text=True))


# -- goal and department pages ---------------------------------------------------------------------------------------
def test_goal_page_lists_its_kpis_with_status_and_sparklines(client, today_rows, goals):
    page = content(render_page(client, "/goal/safe-neighborhoods"))
    shown = text(page)
    assert "Safe Neighborhoods" in shown and "Deputy Mayor for Public Safety" in shown
    assert "Reduce gun violence" in shown and "Sub-goals" in shown
    parent_of = {g["id"]: g["parent_id"] for g in goals}
    members = [r for r in today_rows if "safe-neighborhoods" in (r["goal_id"], parent_of[r["goal_id"]])]
    rows = body_rows(page)
    assert {row_link(row) for row in rows} == {f"/kpi/{r['id']}" for r in members}
    assert all(badge_word(find(row, "status")[0]) in STATUS_WORDS for row in rows)
    assert all(find(row, "trend") for row in rows)
    sparklines = find(page, "sparkline")
    assert len(sparklines) == sum(1 for r in members if r["latest_value"] is not None)
    assert all(s["props"]["src"].startswith("data:image/svg+xml,") and s["props"]["alt"].startswith("Last ")
               for s in sparklines)
    # the headings are the very buttons the sort callback listens to
    assert {b["props"]["id"] for b in find(page, "sort-button")} == {f"goal-sort-{k}" for k in SORT_BUTTONS}
    departments = [find(row, kind="Link")[1]["props"]["href"] for row in rows]
    assert all(href.startswith("/department/") for href in departments)


def test_goal_page_is_sorted_worst_first_and_links_its_parts(client):
    page = content(render_page(client, "/goal/reduce-gun-violence"))
    severities = [SEVERITY[row_status(row)] for row in body_rows(page)]
    assert severities == sorted(severities)
    crumbs = [link["props"]["href"] for link in find(find(page, "breadcrumb")[0], kind="Link")]
    assert crumbs == ["/", "/goal/safe-neighborhoods"]


def test_department_scorecard_lists_its_kpis_with_goal_links(client, today_rows):
    page = content(render_page(client, "/department/police"))
    shown = text(page)
    assert "Police Department" in shown and "Chief of Police" in shown
    police = [r for r in today_rows if r["department_id"] == "police"]
    rows = body_rows(page)
    assert {row_link(row) for row in rows} == {f"/kpi/{r['id']}" for r in police}
    goal_links = {find(row, kind="Link")[1]["props"]["href"] for row in rows}
    assert goal_links <= {f"/goal/{r['goal_id']}" for r in police} and goal_links
    assert len(find(page, "sparkline")) == len(police)
    counts = sum(int(text(find(li, "count")[0])) for li in find(find(page, "status-counts")[0], kind="Li"))
    assert counts == len(police)


def test_scorecard_pages_in_spanish(client):
    shown = texts(render_page(client, "/department/police", headers={"Cookie": "citystat_lang=es"}))
    assert "Departamento de Policía" in shown and "Actualizado" in shown and "Acumulado del año:" in shown


@pytest.mark.parametrize("path, title", [("/goal/no-such-goal", "Goal not found"),
                                         ("/department/no-such-department", "Department not found")])
def test_unknown_ids_say_so(client, path, title):
    shown = texts(render_page(client, path))
    assert title in shown and path.rsplit("/", 1)[1] in shown and "Back to the overview" in shown


def test_sorting_by_status_reverses_then_by_name(client):
    response = sort(client, "goal", "status", "safe-neighborhoods")
    assert response.status_code == 200
    body = response.get_json()["response"]
    assert body["goal-sort"]["data"] == {"key": "status", "descending": True}
    rows = body_rows(body["goal-table"]["children"])
    severities = [SEVERITY[row_status(row)] for row in rows]
    assert len(rows) > 10 and severities == sorted(severities, reverse=True)
    headings = find(body["goal-table"]["children"], kind="Th")
    assert [h["props"].get("aria-sort") for h in headings if h["props"].get("aria-sort") != "none"
            and h["props"].get("aria-sort")] == ["descending"]

    response = sort(client, "department", "name", "police", current={"key": "status", "descending": True})
    body = response.get_json()["response"]
    assert body["department-sort"]["data"] == {"key": "name", "descending": False}
    names = [text(find(row, kind="Link")[0]) for row in body_rows(body["department-table"]["children"])]
    assert names == sorted(names, key=folded)


def test_sorting_by_percent_keeps_rows_without_one_last(client, today_rows):
    body = sort(client, "department", "percent", "police").get_json()["response"]
    rows = body_rows(body["department-table"]["children"])
    by_id = {r["id"]: r for r in today_rows}
    percents = [by_id[row_link(row).removeprefix("/kpi/")]["percent_of_target"] for row in rows]
    known = [p for p in percents if p is not None]
    assert percents == known + [None] * (len(percents) - len(known)) and known == sorted(known)


@pytest.mark.parametrize("page, key, page_id, clicks, changed", [
    ("goal", "status", "no-such-goal", 1, None),
    ("goal", "status", {"id": "safe-neighborhoods"}, 1, None),
    ("department", "status", "no-such-department", 1, None),
    ("department", "status", "police", "1", None),
    ("department", "status", "police", 0, None),
    ("department", "status", "police", True, None),
    ("department", "status", "police", 1, "department-sort-district.n_clicks"),   # not a heading we offer
    ("department", "status", "police", 1, "goal-sort-status.n_clicks"),
])
def test_bad_sort_inputs_change_nothing(client, page, key, page_id, clicks, changed):
    prefix = f"{page}-"
    response = call(client, [(prefix + "table", "children"), (prefix + "sort", "data")],
                    [(f"{prefix}sort-{k}", "n_clicks", clicks if k == key else 0) for k in SORT_BUTTONS],
                    state=[(prefix + "sort", "data", DEFAULT_SORT), (prefix + "id", "data", page_id)],
                    changed=changed or f"{prefix}sort-{key}.n_clicks")
    assert response.status_code == 204


def test_a_forged_current_sort_falls_back_to_the_default(client):
    body = sort(client, "department", "status", "police", current={"key": "1; DROP TABLE kpis", "descending": 1})
    assert body.get_json()["response"]["department-sort"]["data"] == {"key": "status", "descending": True}


# -- anonymous visitors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/goal/safe-neighborhoods", "/department/police"])
def test_anonymous_visitors_get_401_for_pages(anonymous, path):
    response = call(anonymous, [("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
    assert response.status_code == 401 and "Police" not in response.get_data(as_text=True)


def test_anonymous_visitors_get_401_for_filters_and_sorting(anonymous):
    assert filter_list(anonymous, department="police").status_code == 401
    assert sort(anonymous, "goal", "status", "safe-neighborhoods").status_code == 401
    assert sort(anonymous, "department", "name", "police").status_code == 401


# -- the pieces ------------------------------------------------------------------------------------------------------------
def test_folded_drops_case_and_accents():
    assert folded("Policía MÉDICAS Ação") == "policia medicas acao" and folded(None) == ""


def test_sort_allowlist_and_toggle():
    assert parse_sort({"key": "status", "descending": True}) == {"key": "status", "descending": True}
    for forged in (None, "status", {"key": "name; --", "descending": False}, {"key": "name", "descending": "yes"}):
        assert parse_sort(forged) == DEFAULT_SORT
    assert next_sort({"key": "name", "descending": False}, "name") == {"key": "name", "descending": True}
    assert next_sort({"key": "name", "descending": True}, "trend") == {"key": "trend", "descending": False}


def test_sort_rows_puts_missing_values_last_both_ways():
    rows = [{"id": i, "name": n, "percent_of_target": p} for i, n, p in
            [("a", "Beta", 0.5), ("b", "alpha", None), ("c", "Álamo", 1.2), ("d", "delta", 0.9)]]
    ascending = sort_rows(rows, {"key": "percent", "descending": False}, "en")
    descending = sort_rows(rows, {"key": "percent", "descending": True}, "en")
    assert [r["id"] for r in ascending] == ["a", "d", "c", "b"]
    assert [r["id"] for r in descending] == ["c", "d", "a", "b"]
    assert [r["id"] for r in sort_rows(rows, {"key": "name", "descending": False}, "en")] == ["c", "b", "a", "d"]


def test_sparkline_draws_gaps_and_marks_the_latest_value():
    svg = sparkline_svg([None, 1, 2, None, 3, 4])
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1
    assert svg_data_uri(svg).startswith("data:image/svg+xml,%3Csvg") and "#" not in svg_data_uri(svg)
    assert unquote(svg_data_uri(svg).split(",", 1)[1]) == svg
    lone = sparkline_svg([5, None, 7])
    assert lone.count("<circle") == 2 and "<polyline" not in lone   # a lone value is a dot
    assert sparkline_svg([None, None]) is None
    assert f'cy="{SPARKLINE_SIZE[1] / 2:.1f}"' in sparkline_svg([3, 3, 3])   # a flat series sits mid-height


def test_recent_values_are_the_last_periods_with_gaps_as_none(warehouse):
    with warehouse.transaction() as tx:
        tx.execute("INSERT INTO kpis (id, name, unit, direction, frequency, aggregation) VALUES "
                   "('k', 'K', 'count', 'up', 'monthly', 'sum'), ('q', 'Q', 'count', 'up', 'quarterly', 'sum')")
        for month, value in [(1, 10), (2, 20), (4, 40), (5, 50), (6, 60)]:
            tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES ('k', 'monthly', ?, ?)",
                       [date(2024, month, 1), value])
        tx.execute("INSERT INTO observations (kpi_id, frequency, period_start, value) VALUES "
                   "('q', 'quarterly', DATE '2024-01-01', 5)")
    series = catalog.recent_values(warehouse, ["k", "q", "none"], date(2024, 6, 15), periods=4)
    assert series == {"k": [20, None, 40, 50], "q": [None, None, None, 5]}   # June has not ended
    assert catalog.recent_values(warehouse, [], date(2024, 6, 15)) == {}
    assert Counter(len(v) for v in catalog.recent_values(warehouse, ["k"], date(2025, 1, 1)).values()) == {12: 1}


def test_a_long_list_shows_the_worst_first_and_says_so(demo_app, services, today_rows):
    from dashboards.overview import kpi_list

    with demo_app.test_request_context("/"):
        shown = json.loads(json.dumps(kpi_list(today_rows, "en", services, limit=10), cls=plotly.utils.PlotlyJSONEncoder))
    rows = body_rows(shown)
    assert len(rows) == 10 and {row_status(row) for row in rows} == {"off_track"}
    assert "Matching KPIs: 102. Showing the first 10, worst status first" in text(shown)
