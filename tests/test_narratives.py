"""Narratives (issue #10): the rules of save_narrative (periods, parts, versions, department
limits, audit), the setting that requires one for an off-track KPI, the safe Markdown, the
API both ways, and where narratives appear: the KPI page, briefing packets, public pages.

Everything here writes to an app of its own (the demo city with its meetings), so that no
narrative reaches the shared demo app's pages that the language tests read.
"""
from __future__ import annotations

import json
import time
from datetime import date
from html.parser import HTMLParser
from io import BytesIO

import jsonschema_rs
import pytest
from docx import Document
from sqlalchemy import delete, func, select

from appdb.models import Narrative
from config import Config
from config import ConfigError, load_config
from metrics import catalog, status
from metrics.periods import Period
from metrics.access import ANONYMOUS, Scope
from tests.conftest import DEMO_TODAY, own_demo_app, password_of
from tests.dash_client import call, render_page, texts
from tests.helpers import ORIGIN, sign_in
from web import accounts, audit
from web.meetings import get_meeting
from web.narratives import (MAX_LENGTH, NarrativeError, as_dash, as_html, as_plain, current_narrative,
                            list_narratives, narrative_problems, narrative_required, narratives_owed,
                            save_narrative)
from web.openapi import openapi_document
from web.packet import assemble, packet_html
from web.packet_docx import packet_docx

OURS = "potholes-repaired"        # Public Works, monthly, published: the demo analyst's department
UNPUBLISHED = "curb-ramps"        # Public Works, monthly, not published
THEIRS = "violent-crimes"         # Police, monthly: not the analyst's
OFF_TRACK = "streetlights-10d"    # Public Works, weekly, published, off track for its latest week
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
MANAGER = Scope("manager", "manager")
VIEWER = Scope("viewer", "viewer")
STORY = {"happened": "Repairs fell to 1,180.", "why": "Two crews were on storm duty.",
         "next_steps": "Crews back from November 3."}
SAVE_OUTPUTS = [("kpi-narrative-message", "children"), ("kpi-narrative-list", "children"),
                ("kpi-narrative-owed", "children")]
FILL_OUTPUTS = [("kpi-narrative-happened", "value"), ("kpi-narrative-why", "value"), ("kpi-narrative-next", "value")]


app, services = own_demo_app("narratives", "Story", meetings=True)


@pytest.fixture(autouse=True)
def no_narratives(services):
    """Each test starts with none (the audit log keeps what happened)."""
    with services.session() as session, session.begin():
        session.execute(delete(Narrative))
    yield


@pytest.fixture
def client_as(app):
    def make(username: str | None):
        client = app.test_client()
        if username:
            sign_in(client, username, password_of(username))
        return client
    return make


@pytest.fixture
def required(services, monkeypatch):
    """CITYSTAT_NARRATIVE_REQUIRED=off_track for one test."""
    monkeypatch.setattr(services, "config", Config({**services.config.as_dict(), "narrative_required": "off_track"}))


def _count(services) -> int:
    with services.session() as session:
        return session.scalar(select(func.count()).select_from(Narrative))


def _denials(services) -> list:
    return audit.events(services, action="narrative.save", outcome="denied", limit=1000)


def _refused(services, scope, kpi_id, period, body) -> NarrativeError:
    rows, denials = _count(services), len(_denials(services))
    with pytest.raises(NarrativeError) as caught:
        save_narrative(services, scope, kpi_id, period, body)
    assert _count(services) == rows, "a refusal wrote something"
    latest = _denials(services)
    assert len(latest) == denials + 1 and latest[0].actor == scope.username
    assert latest[0].details["reason"] == caught.value.key.removeprefix("narratives.")
    return caught.value


def _latest_start(services, kpi_id: str) -> date:
    return status.kpi_statuses(services.warehouse, services.calendar, DEMO_TODAY, kpi_id=kpi_id)[0][
        "latest_period_start"]


# -- saving, versions, reading ---------------------------------------------------------------------
def test_an_analyst_writes_the_narrative_of_their_departments_kpi(services):
    saved = save_narrative(services, ANALYST, OURS, "2026-10", {**STORY, "happened": "  Repairs fell.\r\n  "})
    assert saved["happened"] == "Repairs fell." and saved["why"] == STORY["why"]
    assert saved["period"] == "2026-10" and saved["period_start"] == date(2026, 10, 1)
    assert saved["author"] == "analyst" and saved["author_name"] == "Story Analyst"
    assert saved["department_id"] == "public-works" and saved["version"] == 1 and not saved["unchanged"]
    success = audit.events(services, action="narrative.save", outcome="success", limit=1)[0]
    assert success.actor == "analyst" and success.target == OURS
    assert success.details == {"department": "public-works", "period": "2026-10", "id": saved["id"],
                               "version": "new"}


def test_saving_again_adds_a_version_and_the_newest_is_current(services):
    first = save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "First draft."})
    second = save_narrative(services, MANAGER, OURS, date(2026, 10, 1), {"happened": "Revised.", "why": "Storms."})
    save_narrative(services, ANALYST, OURS, "2026-09", {"happened": "September."})
    assert second["version"] == 2 and second["id"] != first["id"]
    current = current_narrative(services, OURS, date(2026, 10, 1))
    assert current["id"] == second["id"] and current["happened"] == "Revised." and current["version"] == 2
    assert [(n["period"], n["happened"]) for n in list_narratives(services, OURS)] == [
        ("2026-10", "Revised."), ("2026-09", "September.")]
    history = list_narratives(services, OURS, history=True)
    assert [(n["period"], n["version"], n["current"]) for n in history] == [
        ("2026-10", 2, True), ("2026-10", 1, False), ("2026-09", 1, True)]
    assert history[1]["happened"] == "First draft." and history[1]["why"] is None


def test_saving_the_current_text_again_writes_nothing(services):
    first = save_narrative(services, ANALYST, OURS, "2026-10", STORY)
    again = save_narrative(services, ANALYST, OURS, "2026-10", {**STORY, "why": STORY["why"] + "  "})
    assert again["unchanged"] and again["id"] == first["id"] and _count(services) == 1


def test_the_period_may_come_in_the_body(services):
    assert save_narrative(services, ANALYST, OURS, None, {"period": "2026-08", **STORY})["period"] == "2026-08"


@pytest.mark.parametrize("kpi_id, period, label", [
    (OURS, "2026-09", "2026-09"), (OURS, "2026-09-01", "2026-09"), (OFF_TRACK, "2026-W46", "2026-W46"),
    ("cardiac-rosc", "2026-Q3", "FY2027-Q1"), ("pavement-condition", "FY2026", "FY2026"),
])
def test_a_period_of_the_kpis_frequency_is_accepted(services, kpi_id, period, label):
    assert save_narrative(services, MANAGER, kpi_id, period, STORY)["period"] == label


@pytest.mark.parametrize("period, key", [
    (None, "narratives.no_period"), ("", "narratives.no_period"), ("2026-13", "narratives.bad_period"),
    ("2026-Q3", "narratives.bad_period"), ("2026-09-15", "narratives.bad_period"), (202609, "narratives.bad_period"),
])
def test_other_periods_are_refused(services, period, key):
    error = _refused(services, ANALYST, OURS, period, STORY)
    assert error.key == key and error.status == 400


@pytest.mark.parametrize("body, key", [
    ({"happened": None}, "narratives.no_happened"), ({"happened": " \n\t "}, "narratives.no_happened"),
    ({"why": "Only why."}, "narratives.no_happened"),
    ({"happened": "x" * (MAX_LENGTH + 1)}, "narratives.too_long"),
    ({"happened": "ok", "next_steps": "y" * (MAX_LENGTH + 1)}, "narratives.too_long"),
    ({"happened": 42}, "narratives.not_text"), ({"happened": "ok", "why": ["a"]}, "narratives.not_text"),
    ({"happened": "before\x00after"}, "narratives.bad_text"), ({"happened": "ok", "why": "bell\x07"},
                                                               "narratives.bad_text"),
    ({"happened": "ok", "author": "mayor"}, "narratives.unknown_fields"),
    ("just text", "narratives.bad_body"), (None, "narratives.bad_body"),
])
def test_the_parts_must_be_plain_text_of_a_sensible_length(services, body, key):
    error = _refused(services, ANALYST, OURS, "2026-09", body)
    assert error.key == key and error.status == 400


def test_every_problem_is_named_at_once(services):
    error = _refused(services, ANALYST, OURS, "2026-13", {"happened": "", "why": 3})
    assert [key for key, _ in error.problems] == ["narratives.bad_period", "narratives.no_happened",
                                                  "narratives.not_text"]
    assert "Why" in error.details("en")[2] and "Por qué" in error.details("es")[2]


def test_narrative_problems_checks_the_text_only_in_the_readers_language():
    assert narrative_problems({"happened": "Fine.", "why": None, "next_steps": ""}) == []
    assert narrative_problems({"happened": ""}, "es") == ["Diga qué pasó: esa parte de la narrativa no puede "
                                                          "quedar vacía."]
    assert len(narrative_problems({"happened": "x" * (MAX_LENGTH + 1), "why": "\x00"}, "pt")) == 2


# -- who may write ---------------------------------------------------------------------------------
def test_the_department_comes_from_the_warehouse_not_the_caller(services):
    error = _refused(services, ANALYST, THEIRS, "2026-09", STORY)
    assert error.key == "narratives.not_allowed" and error.status == 403
    denial = _denials(services)[0]
    assert denial.target == THEIRS and denial.details["department"] == "police"


@pytest.mark.parametrize("scope", [VIEWER, ANONYMOUS, Scope("nobody", "analyst")],
                         ids=["viewer", "anonymous", "analyst-of-nothing"])
def test_people_who_may_not_edit_the_department_are_refused(services, scope):
    assert _refused(services, scope, OURS, "2026-09", STORY).key == "narratives.not_allowed"


def test_managers_and_admins_write_for_any_department(services):
    assert save_narrative(services, MANAGER, THEIRS, "2026-09", STORY)["department_id"] == "police"
    assert save_narrative(services, Scope("admin", "admin"), THEIRS, "2026-08", STORY)["period"] == "2026-08"


@pytest.mark.parametrize("kpi_id", ["no-such-kpi", "", None, ["potholes-repaired"], "x" * 500])
def test_an_unknown_kpi_is_refused(services, kpi_id):
    error = _refused(services, MANAGER, kpi_id, "2026-09", STORY)
    assert error.key == "narratives.unknown_kpi" and error.status == 404


# -- the setting -----------------------------------------------------------------------------------
def _rows(services):
    return status.kpi_statuses(services.warehouse, services.calendar, DEMO_TODAY, department="public-works")


def test_by_default_no_narrative_is_owed(services):
    assert services.config.narrative_required == "never" and not narrative_required(services)
    assert narratives_owed(services, _rows(services)) == []


def test_off_track_kpis_owe_the_narrative_of_their_latest_period(services, required):
    rows = _rows(services)
    off = [row["id"] for row in rows if row["status"] == "off_track"]
    owed = narratives_owed(services, rows)
    assert narrative_required(services) and [item["kpi_id"] for item in owed] == off and OFF_TRACK in off
    item = next(item for item in owed if item["kpi_id"] == OFF_TRACK)
    assert item == {"kpi_id": OFF_TRACK, "period_start": _latest_start(services, OFF_TRACK), "period": "2026-W47",
                    "department_id": "public-works"}
    save_narrative(services, ANALYST, OFF_TRACK, "2026-W46", STORY)      # an earlier week does not count
    assert OFF_TRACK in [item["kpi_id"] for item in narratives_owed(services, rows)]
    save_narrative(services, ANALYST, OFF_TRACK, "2026-W47", STORY)
    assert OFF_TRACK not in [item["kpi_id"] for item in narratives_owed(services, rows)]
    assert narratives_owed(services, []) == []


def test_the_setting_takes_never_or_off_track():
    assert load_config({"narrative_required": "OFF_TRACK"}).narrative_required == "off_track"
    with pytest.raises(ConfigError, match="CITYSTAT_NARRATIVE_REQUIRED"):
        load_config({"narrative_required": "sometimes"})


# -- safe Markdown ---------------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Every tag and attribute of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(str(markup))
    return parser.tags


HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))", "[click](data:text/html;base64,PHNjcmlwdD4=)", "[x](vbscript:msgbox)",
    "<a href=\"javascript:alert(1)\">x</a>", "![pic](https://evil.example/x.png)", "&lt;script&gt;alert(1)",
    "&#60;script&#62;", "<https://ok.example/?q=<script>>", "[x](https://ok.example/\" onmouseover=\"alert(1))",
    "<svg/onload=alert(1)>", "**<b>bold</b>**", "<!-- comment -->", "[x](//evil.example)", "[x](/relative)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_and_unsafe_links_stay_text(text):
    markup = as_html(text)
    for tag, attrs in _tags(markup):
        assert tag in {"p", "br", "strong", "em", "ul", "ol", "li", "a"}, markup
        assert set(attrs) <= {"href", "rel", "start"}, markup
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://", "mailto:")) and '"' not in attrs["href"]
    assert "<script" not in markup and "<img" not in markup and "<svg" not in markup


def test_html_typed_by_a_person_is_shown_as_they_typed_it():
    assert str(as_html("<script>alert(1)</script>")) == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert str(as_html("Fish &amp; chips")) == "<p>Fish &amp;amp; chips</p>\n"   # entities are not decoded
    assert as_plain("<b>x</b> & y") == "<b>x</b> & y"


def test_the_small_markdown_is_rendered():
    text = ("Repairs **fell** to *1,180*.\nA second line.\n\n- one\n- two\n\n3. three\n4. four\n\n"
            "[Plan](https://city.example/plan) and [write](mailto:works@city.example); \\*not italic\\*")
    assert str(as_html(text)) == (
        "<p>Repairs <strong>fell</strong> to <em>1,180</em>.<br>\nA second line.</p>\n"
        "<ul><li>one</li>\n<li>two</li>\n</ul>\n"
        '<ol start="3"><li>three</li>\n<li>four</li>\n</ol>\n'
        '<p><a href="https://city.example/plan" rel="nofollow noopener noreferrer">Plan</a> and '
        '<a href="mailto:works@city.example" rel="nofollow noopener noreferrer">write</a>; *not italic*</p>\n')
    assert as_plain(text) == ("Repairs fell to 1,180.\nA second line.\n\n• one\n• two\n\n3. three\n4. four\n\n"
                              "Plan (https://city.example/plan) and write (works@city.example); *not italic*")


def _components(node):
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        yield from _components(child)


@pytest.mark.parametrize("text", HOSTILE + ["Repairs **fell**.\n\n- [Plan](https://city.example)\n1. one"])
def test_dash_components_carry_no_html(text):
    for part in as_dash(text):
        for node in _components(part):
            if isinstance(node, str):
                continue
            assert type(node).__name__ in {"P", "Br", "Strong", "Em", "Ul", "Ol", "Li", "A", "Span"}
            props = node.to_plotly_json()["props"]
            assert "dangerously_allow_html" not in props
            assert set(props) <= {"children", "href", "rel", "start"}
            if "href" in props:
                assert props["href"].startswith(("https://", "http://", "mailto:"))


def test_very_long_or_deeply_nested_text_is_rendered_quickly():
    started = time.perf_counter()
    for text in ("*" * 50_000, "[" * 20_000 + "x" + "](" * 20_000, "- " * 5_000 + "x", "> " * 10_000,
                 "**a " * 10_000, ("word " * 800 + "\n") * 10):
        as_html(text), as_plain(text), as_dash(text)
    assert time.perf_counter() - started < 10


def test_empty_text_is_nothing():
    assert as_html(None) == "" and as_dash("") == [] and as_plain(None) == ""


# -- the API -----------------------------------------------------------------------------------------
def _schema(name: str):
    document = openapi_document()
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_post_saves_and_answers_201_then_200_when_unchanged(client_as, services):
    client = client_as("analyst")
    body = {"period": "2026-10", **STORY}
    response = client.post(f"/api/v1/kpis/{OURS}/narratives", json=body, headers=ORIGIN)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    _schema("Narrative").validate(answer)
    assert answer["happened"] == STORY["happened"] and answer["author"] == "analyst" and answer["version"] == 1
    again = client.post(f"/api/v1/kpis/{OURS}/narratives", json=body, headers=ORIGIN)
    assert again.status_code == 200 and again.get_json()["id"] == answer["id"]


def test_post_with_a_token(services, client_as):
    token, _ = accounts.create_token(services, "analyst", "narratives", actor="tests")
    response = client_as(None).post(f"/api/v1/kpis/{OURS}/narratives", json={"period": "2026-09", **STORY},
                                    headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


@pytest.mark.parametrize("kpi_id, body, status_code, detail", [
    (THEIRS, {"period": "2026-10", **STORY}, 403, "own departments"),
    ("no-such-kpi", {"period": "2026-10", **STORY}, 404, "no-such-kpi"),
    (OURS, {"period": "2026-13", "happened": ""}, 400, "cannot be empty"),
    (OURS, {"period": "2026-10", "happened": "ok", "extra": 1}, 400, "extra"),
    (OURS, ["not", "an", "object"], 400, "JSON object"),
    (THEIRS, {}, 400, "happened"),                      # the shape first, then whose department
])
def test_post_refusals_say_what_to_fix(client_as, kpi_id, body, status_code, detail):
    response = client_as("analyst").post(f"/api/v1/kpis/{kpi_id}/narratives", json=body, headers=ORIGIN)
    assert response.status_code == status_code
    answer = response.get_json()
    assert answer["details"] and any(detail in item for item in [answer["error"], *answer["details"]]), answer


def test_post_in_the_callers_language(client_as):
    response = client_as("analyst").post(f"/api/v1/kpis/{THEIRS}/narratives", json={"period": "2026-10", **STORY},
                                         headers={**ORIGIN, "Accept-Language": "es"})
    assert response.status_code == 403 and "departamentos" in response.get_json()["error"]


@pytest.mark.parametrize("username, status_code", [(None, 401), ("viewer", 403)])
def test_post_needs_an_analyst(client_as, services, username, status_code):
    response = client_as(username).post(f"/api/v1/kpis/{OURS}/narratives", json={"period": "2026-10", **STORY},
                                        headers=ORIGIN)
    assert response.status_code == status_code and _count(services) == 0


def test_anonymous_callers_read_published_kpis_narratives_without_user_names(client_as, services):
    save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "Old."})
    save_narrative(services, ANALYST, OURS, "2026-10", STORY)
    save_narrative(services, ANALYST, UNPUBLISHED, "2026-10", {"happened": "Internal story."})
    anonymous = client_as(None)
    answer = anonymous.get(f"/api/v1/kpis/{OURS}/narratives").get_json()
    jsonschema_rs.validator_for({"type": "array", "items": {"$ref": "#/components/schemas/Narrative"},
                                 "components": openapi_document()["components"]}).validate(answer["narratives"])
    assert [(n["happened"], n["author"], n["author_name"]) for n in answer["narratives"]] == [
        (STORY["happened"], None, "Story Analyst")]
    unpublished = anonymous.get(f"/api/v1/kpis/{UNPUBLISHED}/narratives")
    assert unpublished.status_code == 404 and "Internal" not in unpublished.get_data(as_text=True)
    assert anonymous.get("/api/v1/kpis/no-such-kpi/narratives").status_code == 404
    history = anonymous.get(f"/api/v1/kpis/{OURS}/narratives?history=true")
    assert history.status_code == 403 and history.get_json()["details"] == ["history"]


def test_staff_read_every_version_and_unpublished_kpis(client_as, services):
    save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "Old."})
    save_narrative(services, ANALYST, OURS, "2026-10", STORY)
    save_narrative(services, ANALYST, UNPUBLISHED, "2026-10", {"happened": "Internal story."})
    viewer = client_as("viewer")
    history = viewer.get(f"/api/v1/kpis/{OURS}/narratives?history=true").get_json()["narratives"]
    assert [(n["version"], n["current"], n["author"]) for n in history] == [(2, True, "analyst"),
                                                                           (1, False, "analyst")]
    assert len(viewer.get(f"/api/v1/kpis/{OURS}/narratives?history=false").get_json()["narratives"]) == 1
    assert viewer.get(f"/api/v1/kpis/{UNPUBLISHED}/narratives").get_json()["narratives"][0]["happened"] == \
        "Internal story."
    bad = viewer.get(f"/api/v1/kpis/{OURS}/narratives?history=maybe")
    assert bad.status_code == 400 and "maybe" in bad.get_json()["error"]


# -- the KPI page ------------------------------------------------------------------------------------
def _save_on_page(client, kpi_id, period, happened, why="", next_steps=""):
    response = call(client, SAVE_OUTPUTS, [("kpi-narrative-submit", "n_clicks", 1)],
                    state=[("kpi-id", "data", kpi_id), ("kpi-narrative-period", "value", period),
                           ("kpi-narrative-happened", "value", happened), ("kpi-narrative-why", "value", why),
                           ("kpi-narrative-next", "value", next_steps)])
    return response


def test_the_kpi_page_shows_narratives_and_a_form_for_those_who_may_write(client_as, services):
    save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "Repairs **fell**.", "why": "Storms."})
    save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "Repairs fell to 1,180."})
    page = render_page(client_as("analyst"), f"/kpi/{OURS}")
    shown = texts(page)
    assert "Narratives" in shown and "Repairs fell to 1,180." in shown and "Earlier versions (1)" in shown
    assert "kpi-narrative-form" in page and "Save narrative" in shown
    assert "its narratives are shown on the city's public site" in shown
    assert '"data-i18n-exempt":"record"' in page
    viewer = texts(render_page(client_as("viewer"), f"/kpi/{OURS}"))
    assert "Repairs fell to 1,180." in viewer and "Save narrative" not in viewer
    other = render_page(client_as("analyst"), f"/kpi/{THEIRS}")
    assert "kpi-narrative-form" not in other and "No narrative has been written" in texts(other)


def test_the_page_saves_a_narrative_and_refuses_another_department(client_as, services):
    client = client_as("analyst")
    response = _save_on_page(client, OURS, "2026-10", "Repairs fell.", "Storms.")
    assert response.status_code == 200
    payload = response.get_data(as_text=True)
    assert "Narrative saved for" in payload and "Repairs fell." in payload
    assert current_narrative(services, OURS, date(2026, 10, 1))["why"] == "Storms."
    assert "Nothing to save" in _save_on_page(client, OURS, "2026-10", "Repairs fell.", "Storms.").get_data(
        as_text=True)
    empty = _save_on_page(client, OURS, "2026-10", "  ").get_data(as_text=True)
    assert '"role":"alert"' in empty and "cannot be empty" in empty
    denials = len(_denials(services))
    crafted = _save_on_page(client, THEIRS, "2026-10", "Not my department.").get_data(as_text=True)
    assert "own departments" in crafted and len(_denials(services)) == denials + 1
    assert _count(services) == 1


def test_viewers_cannot_call_the_save_callback(client_as, services):
    assert _save_on_page(client_as("viewer"), OURS, "2026-10", "Sneaky.").status_code == 403
    assert _count(services) == 0


def test_choosing_a_period_fills_the_form_with_its_narrative(client_as, services):
    save_narrative(services, ANALYST, OURS, "2026-09", {"happened": "September.", "next_steps": "More crews."})
    client = client_as("analyst")

    def fill(kpi_id, period):
        return call(client, FILL_OUTPUTS, [("kpi-narrative-period", "value", period)],
                    state=[("kpi-id", "data", kpi_id)])
    values = json.loads(fill(OURS, "2026-09").get_data(as_text=True))["response"]
    assert [values[i]["value"] for i in ("kpi-narrative-happened", "kpi-narrative-why", "kpi-narrative-next")] == [
        "September.", "", "More crews."]
    assert json.loads(fill(OURS, "2026-08").get_data(as_text=True))["response"]["kpi-narrative-happened"][
        "value"] == ""
    assert fill(THEIRS, "2026-09").status_code == 204      # not this analyst's: nothing is sent back
    assert fill(OURS, "not a period").status_code == 204


def test_the_page_shows_a_notice_when_a_required_narrative_is_missing(client_as, services, required):
    client = client_as("analyst")
    shown = texts(render_page(client, f"/kpi/{OFF_TRACK}"))
    assert "is off track for" in shown and "Write the narrative" in shown
    assert "is off track for" not in texts(render_page(client, f"/kpi/{OURS}"))       # on track
    start = _latest_start(services, OFF_TRACK)
    response = _save_on_page(client, OFF_TRACK, services.calendar.label(Period("weekly", start)),
                             "Trucks broke down.")
    assert "Narrative saved" in response.get_data(as_text=True)
    assert json.loads(response.get_data(as_text=True))["response"]["kpi-narrative-owed"]["children"] is None
    assert "is off track for" not in texts(render_page(client, f"/kpi/{OFF_TRACK}"))


def test_no_notice_when_the_setting_is_never(client_as):
    assert "is off track for" not in texts(render_page(client_as("analyst"), f"/kpi/{OFF_TRACK}"))


# -- packets ---------------------------------------------------------------------------------------
def test_the_packet_shows_the_narrative_of_each_kpis_latest_period(app, services):
    meeting = get_meeting(services, MANAGER, 2)          # PublicWorksStat, planned
    item = next(i for i in meeting.agenda if i.kpi_id and (i.values or {}).get("latest_period_start"))
    start = date.fromisoformat(str(item.values["latest_period_start"]))
    kpi = catalog.get_kpi(services.warehouse, services.calendar, item.kpi_id)
    period = services.calendar.label(Period(kpi["frequency"], start))
    save_narrative(services, MANAGER, item.kpi_id, period, {
        "happened": "Backlog **grew** <script>alert(1)</script>", "why": "- Trucks down\n- Supplier late",
        "next_steps": "Rent a truck."})
    with app.test_request_context():
        packet = assemble(services, MANAGER, meeting, "es")
        sections = [s for s in packet.sections if s.get("narrative")]
        assert len(sections) >= 1
        narrative = sections[0]["narrative"]
        assert narrative["heading"].startswith("Narrativa · ")
        assert [p["label"] for p in narrative["parts"]] == ["Qué pasó", "Por qué", "Qué sigue"]
        page = packet_html(packet, [None] * len(packet.figures))
    assert "Backlog <strong>grew</strong> &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<li>Trucks down</li>" in page and "<script>alert" not in page
    words = "\n".join(p.text for p in Document(BytesIO(packet_docx(packet, [None] * len(packet.figures)))).paragraphs)
    assert "Backlog grew <script>alert(1)</script>" in words and "• Trucks down\n• Supplier late" in words


def test_a_packet_without_narratives_has_no_narrative_block(app, services):
    with app.test_request_context():
        packet = assemble(services, MANAGER, get_meeting(services, MANAGER, 2), "en")
        assert all(s.get("narrative") is None for s in packet.sections)
        assert 'class="narrative"' not in packet_html(packet, [None] * len(packet.figures))


# -- public pages ------------------------------------------------------------------------------------
def test_a_published_kpis_public_page_shows_its_current_narratives(client_as, services):
    save_narrative(services, ANALYST, OURS, "2026-09", {"happened": "Old September."})
    save_narrative(services, ANALYST, OURS, "2026-09", {"happened": "September, *revised*.", "why": "<b>Rain</b>"})
    save_narrative(services, ANALYST, OURS, "2026-10", {"happened": "October."})
    page = client_as(None).get(f"/public/kpis/{OURS}").get_data(as_text=True)
    assert "The story behind the numbers" in page
    assert page.index("October.") < page.index("September, <em>revised</em>.")
    assert "&lt;b&gt;Rain&lt;/b&gt;" in page and "Old September." not in page
    assert "Story Analyst" not in page and "analyst" not in page.split("narratives-heading")[1].split("</section>")[0]


def test_an_unpublished_kpis_narrative_is_not_public(client_as, services):
    save_narrative(services, ANALYST, UNPUBLISHED, "2026-10", {"happened": "Internal story."})
    response = client_as(None).get(f"/public/kpis/{UNPUBLISHED}")
    assert response.status_code == 404 and "Internal story." not in response.get_data(as_text=True)


def test_a_public_page_without_narratives_has_no_narratives_card(client_as):
    assert "narratives-heading" not in client_as(None).get(f"/public/kpis/{OURS}").get_data(as_text=True)
