"""Every chart has its words and its numbers (issue #9): rendered as the admin sees each
Dash page, every dcc.Graph sits in a figure with a summary that screen readers reach
(aria-describedby, a figcaption) and a real table of its data (th cells and a caption) in
the figure or named by it; every sparkline image says in its alt text which way it goes;
and the summaries read in the reader's language."""
from __future__ import annotations

import json
import re

import dash
import pytest

from dashboards.chart_parts import sparkline_alt
from metrics import catalog
from metrics.access import Scope
from tests.dash_client import call, render_page
from web import meetings
from web.services import EXTENSION

DISTRICT_KPI = "police-p1-response"     # monthly mean, broken down by district: map and small multiples
PLAIN_KPI = "bulk-pickups-5d"           # monthly percent, one chart
# Words that would betray English left in a Spanish or Portuguese summary (district names
# such as "District 4" are the city's data, not the interface's, so "district" is not here).
ENGLISH = {"the", "chart", "charts", "periods", "target", "actual", "against", "highest", "lowest", "largest",
           "change", "values", "table", "below", "beside", "show", "data", "small", "line", "map", "forecast",
           "interval", "minutes", "from", "was", "were", "with", "latest", "each"}


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def admin(client_as):
    return client_as("admin")


@pytest.fixture(scope="module")
def meeting_id(services):
    """A meeting of the police department, so that its page has an agenda to show."""
    meeting = meetings.create_meeting(services, Scope("manager", "manager"), {
        "title": "Chart alternatives stat", "departments": ["police"], "date": "2026-11-19",
        "duration_minutes": 60})
    return meeting.id


# -- walking a rendered page -----------------------------------------------------------------------------
def _walk(node, ancestors=()):
    """Every component of a Dash JSON tree with the components it sits in, outermost first."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, ancestors)
    elif isinstance(node, dict) and isinstance(node.get("props"), dict):
        yield node, ancestors
        yield from _walk(node["props"].get("children"), ancestors + (node,))


def _by_id(tree) -> dict:
    return {node["props"]["id"]: node for node, _ in _walk(tree) if isinstance(node["props"].get("id"), str)}


def _of_type(tree, kind: str) -> list:
    return [node for node, _ in _walk(tree) if node.get("type") == kind]


def _words(node) -> str:
    """The text a reader meets in `node`: its children's strings, not its ids or classes."""
    if isinstance(node, str):
        return " ".join(node.split())
    if isinstance(node, list):
        return " ".join(filter(None, (_words(item) for item in node)))
    if isinstance(node, dict) and isinstance(node.get("props"), dict):
        return _words(node["props"].get("children"))
    return "" if node is None else str(node)


def _is_data_table(node) -> bool:
    """A real table: a caption that says what it holds and headings marked as headings."""
    heads = _of_type(node, "Th")
    captions = _of_type(node, "Caption")
    return bool(heads) and all(h["props"].get("scope") in ("col", "row") for h in heads) \
        and bool(captions) and bool(_words(captions[0]))


def _problems(tree) -> list[str]:
    """What keeps each chart in `tree` from reaching someone who cannot see it."""
    ids, found = _by_id(tree), []
    for node, ancestors in _walk(tree):
        if node.get("type") != "Graph":
            continue
        name = node["props"].get("id", "a graph")
        figure = next((a for a in reversed(ancestors) if a.get("type") == "Figure"), None)
        if figure is None:
            found.append(f"{name}: not inside a <figure>")
            continue
        props = figure["props"]
        captions = [c for c in _of_type(figure, "Figcaption") if _words(c)]
        described = [ids.get(ref) for ref in (props.get("aria-describedby") or "").split()]
        if not captions or not described or not all(d is not None and _words(d) for d in described):
            found.append(f"{name}: no summary in words (figcaption, aria-describedby to text)")
        if not props.get("aria-labelledby") or ids.get(props["aria-labelledby"]) is None:
            found.append(f"{name}: the figure is not named by a heading")
        detailed = ids.get(props.get("aria-details") or "")
        tables = _of_type(figure, "Table") + (_of_type(detailed, "Table") if detailed else [])
        if not any(_is_data_table(t) for t in tables):
            found.append(f"{name}: no table of its data in the figure or named by aria-details")
    for image in _of_type(tree, "Img"):
        alt = image["props"].get("alt")
        if alt is None or ("sparkline" in (image["props"].get("className") or "") and not alt.strip()):
            found.append(f"image {image['props'].get('src', '')[:40]}: no alt text")
    return found


def _tree(client, path: str, language: str = "en"):
    payload = render_page(client, path, headers={"Cookie": f"citystat_lang={language}"})
    return json.loads(payload)["response"]["_pages_content"]["children"]


def _paths(meeting_id) -> list[str]:
    """Every registered page, its templates filled with records the demo city has."""
    samples = {"kpi_id": [DISTRICT_KPI, PLAIN_KPI], "goal_id": ["safe-neighborhoods"],
               "department_id": ["police"], "meeting_id": [str(meeting_id)]}
    paths = []
    for page in dash.page_registry.values():
        template = page.get("path_template") or page["path"]
        holes = re.findall(r"<([^>]+)>", template)
        assert all(hole in samples for hole in holes), f"add a sample record for {template} to this test"
        filled = [template]
        for hole in holes:
            filled = [path.replace(f"<{hole}>", value) for path in filled for value in samples[hole]]
        paths += filled
    return paths


# -- every page, every chart ---------------------------------------------------------------------------------
def test_every_chart_on_every_page_has_a_summary_and_a_table(admin, meeting_id):
    charts, sparklines = 0, 0
    for path in _paths(meeting_id):
        tree = _tree(admin, path)
        assert not _problems(tree), (path, _problems(tree))
        charts += len(_of_type(tree, "Graph"))
        sparklines += sum("sparkline" in (i["props"].get("className") or "") for i in _of_type(tree, "Img"))
    assert charts >= 4 and sparklines >= 20   # the walk did reach the charts: KPI chart, map, small multiples


def test_the_redrawn_chart_and_breakdown_keep_their_alternatives(admin):
    """The range and prior-year controls rewrite the summary and the breakdown; what comes
    back still holds the figure, its words and its table."""
    response = call(admin, [("kpi-breakdown", "children")], [("kpi-range", "value", "12")],
                    state=[("kpi-id", "data", DISTRICT_KPI)])
    breakdown = response.get_json()["response"]["kpi-breakdown"]["children"]
    assert len(_of_type(breakdown, "Graph")) == 2 and not _problems(breakdown)
    response = call(admin, [("kpi-chart", "figure"), ("kpi-chart-summary", "children"), ("kpi-values", "children")],
                    [("kpi-range", "value", "12"), ("kpi-prior", "value", ["prior"])],
                    state=[("kpi-id", "data", DISTRICT_KPI)])
    redrawn = response.get_json()["response"]
    assert redrawn["kpi-chart-summary"]["children"].startswith("Target-vs-actual chart of 12 periods")
    assert any(_is_data_table(t) for t in _of_type(redrawn["kpi-values"]["children"], "Table"))


def test_the_kpi_chart_points_to_the_values_table(admin):
    tree = _tree(admin, f"/kpi/{PLAIN_KPI}")
    figure = next(node for node in _of_type(tree, "Figure") if _of_type(node, "Graph")[0]["props"]["id"] == "kpi-chart")
    assert figure["props"]["aria-details"] == "kpi-values-card"
    link = _of_type(figure, "A")[0]["props"]
    assert link["href"] == "#kpi-values-card" and link["children"] == "The values are in the table below."
    assert _by_id(tree)["kpi-chart-summary"]["props"]["aria-live"] == "polite"   # redrawn summaries are read out


def test_the_small_multiples_table_holds_every_value_they_draw(admin, services):
    tree = _tree(admin, f"/kpi/{DISTRICT_KPI}")
    figure = next(node for node in _of_type(tree, "Figure")
                  if _of_type(node, "Graph")[0]["props"]["id"] == "kpi-district-lines")
    graph = _of_type(figure, "Graph")[0]["props"]["figure"]
    table = _of_type(figure, "Table")[0]
    members = [_words(th) for th in _of_type(_of_type(table, "Thead")[0], "Th")][1:]
    rows = [[_words(cell) for cell in row["props"]["children"] if cell]
            for row in _of_type(_of_type(table, "Tbody")[0], "Tr")]
    assert members[:3] == ["District 1", "District 2", "District 3"] and members[-1] == "Target"
    for trace in graph["data"]:
        if trace["name"].startswith("District "):
            column = [row[members.index(trace["name"]) + 1] for row in reversed(rows)]   # the table: newest first
            assert column == trace["customdata"], trace["name"]
    assert len(rows) == len(graph["data"][-1]["x"]) == 24
    # The summary names what the table shows: the latest period's highest and lowest district.
    summary = _words(_by_id(tree)["kpi-district-lines-summary"])
    latest = {members[i - 1]: rows[0][i] for i in range(1, len(members))}
    assert re.search(r"In \w{3} \d{4}, District \d+ had the highest value \(.+\) and District \d+ the lowest", summary)
    assert "The largest change over the range was in District " in summary
    assert any(f"{name} had the highest value ({value})" in summary for name, value in latest.items())
    assert _of_type(figure, "Summary")[0]["props"]["children"] == "Show the data as a table"
    scroll = next(node for node in _of_type(figure, "Div") if node["props"].get("className") == "chart-data-scroll")
    assert scroll["props"]["tabIndex"] == "0" and scroll["props"]["role"] == "region"   # keyboard can scroll it


def test_the_map_names_its_district_table(admin):
    tree = _tree(admin, f"/kpi/{DISTRICT_KPI}")
    ids = _by_id(tree)
    figure = next(node for node in _of_type(tree, "Figure")
                  if _of_type(node, "Graph")[0]["props"]["id"] == "kpi-district-map")
    assert figure["props"]["aria-details"] == "kpi-district-table"
    assert len(_of_type(ids["kpi-district-table"], "Tr")) == 11   # a heading row and ten districts
    assert re.fullmatch(r"Map of 10 districts in \w{3} \d{4}\. Highest: District \d+, [\d.]+ minutes\. "
                        r"Lowest: District \d+, [\d.]+ minutes\.", _words(ids["kpi-district-map-summary"]))


@pytest.mark.parametrize("language", ["es", "pt"])
def test_summaries_are_in_the_readers_language(admin, language):
    tree = _tree(admin, f"/kpi/{DISTRICT_KPI}", language)
    captions = _of_type(tree, "Figcaption")
    assert len(captions) == 3
    for caption in captions:
        said = " ".join(_words(node) for node in _of_type(caption, "P") + _of_type(caption, "Summary"))
        english = ENGLISH & set(re.findall(r"[a-z]+", said.lower()))
        assert not english, (language, english, said)
    sparkline = _of_type(_tree(admin, "/goal/safe-neighborhoods", language), "Img")[0]["props"]["alt"]
    assert sparkline.startswith({"es": "Últimos ", "pt": "Últimos "}[language])


# -- sparklines in words ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def count_kpi(services):
    return next(k for k in catalog.kpi_summaries(services.warehouse, services.calendar) if k["unit"] == "count")


@pytest.mark.parametrize("values, expected", [
    ([10, 11, 12, 15], "Last 4 periods, rising from 10 to 15"),
    ([None, None, 15, 12, 9], "Last 3 periods, falling from 15 to 9"),
    ([100, 90, 110, 101], "Last 4 periods, about level, from 100 to 101"),
    ([0, 0, 0], "Last 3 periods, about level, from 0 to 0"),
    ([None, 7, None], "Only one period so far: 7"),
])
def test_a_sparkline_says_which_way_it_goes(count_kpi, services, values, expected):
    kpi = {**count_kpi, "decimals": 0, "unit_label": None}
    assert sparkline_alt(kpi, values, "en", services) == expected


def test_a_sparkline_in_spanish(count_kpi, services):
    kpi = {**count_kpi, "decimals": 1, "unit_label": None}
    assert sparkline_alt(kpi, [1200.5, 1000, 900.25], "es", services) == \
        "Últimos 3 períodos, en baja de 1.200,5 a 900,2"
