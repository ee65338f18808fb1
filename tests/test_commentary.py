"""Commentary on a KPI's periods: the rules of add_commentary, and the same rules through
the KPI page's callback and the API, including requests crafted for another department."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from appdb.models import Commentary
from metrics.access import ANONYMOUS, Scope
from tests.dash_client import call, render_page, texts
from tests.helpers import ORIGIN
from web import audit
from web.commentary import MAX_LENGTH, CommentaryError, add_commentary, list_commentary
from web.services import EXTENSION

OURS = "potholes-repaired"        # Public Works, monthly: the demo analyst's department
THEIRS = "violent-crimes"         # Police, monthly: not the analyst's
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
MANAGER = Scope("manager", "manager")
VIEWER = Scope("viewer", "viewer")

SUBMIT_OUTPUTS = [("kpi-comment-message", "children"), ("kpi-comments", "children"),
                  ("kpi-comment-text", "value"), ("kpi-comment-saved", "data")]


@pytest.fixture(scope="module")
def services(demo_app):
    return demo_app.extensions[EXTENSION]


def _count(services, kpi_id: str | None = None) -> int:
    query = select(func.count()).select_from(Commentary)
    if kpi_id:
        query = query.where(Commentary.kpi_id == kpi_id)
    with services.session() as session:
        return session.scalar(query)


def _denials(services) -> list:
    return audit.events(services, action="commentary.create", outcome="denied", limit=1000)


def _refused(services, scope, kpi_id, period, text) -> CommentaryError:
    rows, denials = _count(services), len(_denials(services))
    with pytest.raises(CommentaryError) as caught:
        add_commentary(services, scope, kpi_id, period, text)
    assert _count(services) == rows, "a refusal wrote something"
    latest = _denials(services)
    assert len(latest) == denials + 1 and latest[0].actor == scope.username
    assert latest[0].details["reason"] == caught.value.key.removeprefix("commentary.")
    return caught.value


def _submit(client, kpi_id, period, text, headers=None):
    return call(client, SUBMIT_OUTPUTS, [("kpi-comment-submit", "n_clicks", 1)],
                state=[("kpi-id", "data", kpi_id), ("kpi-comment-period", "value", period),
                       ("kpi-comment-text", "value", text), ("kpi-comment-saved", "data", 0)], headers=headers)


# -- the rules -------------------------------------------------------------------------------------
def test_an_analyst_comments_on_their_departments_kpi(services):
    created = add_commentary(services, ANALYST, OURS, "2026-09", "  Crews moved to storm response.\n  ")
    assert created["text"] == "Crews moved to storm response."
    assert created["period"] == "2026-09" and created["period_start"] == date(2026, 9, 1)
    assert created["author"] == "analyst" and created["department_id"] == "public-works"
    listed = list_commentary(services, OURS)
    assert listed[0]["id"] == created["id"] and listed[0]["author_name"] == "Test Analyst"
    success = audit.events(services, action="commentary.create", outcome="success", limit=1)[0]
    assert success.actor == "analyst" and success.target == OURS
    assert success.details == {"department": "public-works", "period": "2026-09", "id": created["id"]}


def test_commentary_lists_newest_first(services):
    first = add_commentary(services, MANAGER, "graffiti-5d", "2026-08", "first")
    second = add_commentary(services, MANAGER, "graffiti-5d", "2026-06", "second, about an earlier month")
    assert [c["id"] for c in list_commentary(services, "graffiti-5d")][:2] == [second["id"], first["id"]]


def test_the_department_comes_from_the_warehouse_not_the_caller(services):
    error = _refused(services, ANALYST, THEIRS, "2026-09", "Not my department.")
    assert error.key == "commentary.not_allowed" and error.status == 403
    assert _denials(services)[0].target == THEIRS
    assert _denials(services)[0].details["department"] == "police"


@pytest.mark.parametrize("scope", [VIEWER, ANONYMOUS, Scope("nobody", "analyst")], ids=["viewer", "anonymous",
                                                                                         "analyst-of-nothing"])
def test_people_who_may_not_edit_the_department_are_refused(services, scope):
    assert _refused(services, scope, OURS, "2026-09", "Hello").key == "commentary.not_allowed"


def test_managers_and_admins_comment_on_any_department(services):
    assert add_commentary(services, MANAGER, THEIRS, "2026-09", "Reviewed at CompStat.")["department_id"] == "police"
    assert add_commentary(services, Scope("admin", "admin"), THEIRS, date(2026, 8, 1), "Noted.")["period"] == "2026-08"


@pytest.mark.parametrize("kpi_id", ["no-such-kpi", "", None, ["potholes-repaired"], "x" * 500])
def test_an_unknown_kpi_is_refused(services, kpi_id):
    error = _refused(services, MANAGER, kpi_id, "2026-09", "Hello")
    assert error.key == "commentary.unknown_kpi" and error.status == 404


@pytest.mark.parametrize("kpi_id, period", [
    (OURS, "2026-09"), (OURS, date(2026, 9, 1)), (OURS, "2026-09-01"),
    ("streetlights-10d", "2026-W46"), ("streetlights-10d", "2026-11-16"),      # weekly: ISO week or its Monday
    ("pavement-condition", "FY2026"),                                          # annual on the July fiscal year
    ("cardiac-rosc", "FY2027-Q1"), ("cardiac-rosc", "2026-Q3"),                # the same quarter, both namings
])
def test_periods_of_the_kpis_frequency_are_accepted(services, kpi_id, period):
    assert add_commentary(services, MANAGER, kpi_id, period, "About this period.")["id"]


@pytest.mark.parametrize("kpi_id, period", [
    (OURS, "2026-09-15"), (OURS, date(2026, 9, 15)), (OURS, "2026-Q3"), (OURS, "FY2026"), (OURS, "2026-13"),
    (OURS, "September"), (OURS, "2026-02-30"), (OURS, 202609), (OURS, {"start": "2026-09-01"}), (OURS, "9" * 100),
    ("streetlights-10d", "2026-11-17"), ("streetlights-10d", "2026-11"),       # not a Monday; not a week
    ("pavement-condition", "2026"),                                            # a calendar year, not FY
    ("cardiac-rosc", "2026-08"),
])
def test_other_periods_are_refused(services, kpi_id, period):
    error = _refused(services, MANAGER, kpi_id, period, "About this period.")
    assert error.key == "commentary.bad_period" and error.status == 400
    assert error.params["example"] in error.message("en")


@pytest.mark.parametrize("period", [None, "", "   "])
def test_a_period_is_required(services, period):
    assert _refused(services, ANALYST, OURS, period, "Hello").key == "commentary.no_period"


@pytest.mark.parametrize("text, key", [
    (None, "commentary.no_text"), ("", "commentary.no_text"), (" \n\t ", "commentary.no_text"),
    ("x" * (MAX_LENGTH + 1), "commentary.too_long"), (42, "commentary.not_text"), (["a"], "commentary.not_text"),
    ("before\x00after", "commentary.bad_text"),
])
def test_text_must_be_plain_text_of_a_sensible_length(services, text, key):
    assert _refused(services, ANALYST, OURS, "2026-09", text).key == key


def test_text_at_the_limit_is_kept_as_written(services):
    text = "é" * (MAX_LENGTH - 20) + "\n<b>not bold</b>"
    assert len(text) <= MAX_LENGTH
    assert add_commentary(services, ANALYST, OURS, "2026-07", text)["text"] == text


def test_refusals_read_in_each_language(services):
    error = _refused(services, ANALYST, OURS, "2026-09", "x" * (MAX_LENGTH + 5))
    assert "4005" in error.message("en")
    assert error.message("es") != error.message("en") and "caracteres" in error.message("es")
    assert error.message("pt") != error.message("es")


# -- the KPI page ---------------------------------------------------------------------------------------
def test_the_analyst_comments_through_the_kpi_page(client_as, services):
    client = client_as("analyst")
    before = _count(services, OURS)
    response = _submit(client, OURS, "2026-10", "Asphalt plant closed for two weeks.")
    assert response.status_code == 200, response.data[:300]
    result = response.get_json()["response"]
    assert result["kpi-comment-message"]["children"]["props"]["className"] == "form-ok"
    assert "Asphalt plant closed for two weeks." in texts(json.dumps(result["kpi-comments"]))
    assert result["kpi-comment-text"]["value"] == "" and result["kpi-comment-saved"]["data"] == 1
    assert _count(services, OURS) == before + 1
    assert list_commentary(services, OURS)[0]["author"] == "analyst"


def test_a_crafted_callback_for_another_department_is_refused(client_as, services):
    client = client_as("analyst")
    rows, denials = _count(services), len(_denials(services))
    response = _submit(client, THEIRS, "2026-09", "Written from a crafted request.")
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        message = response.get_json()["response"]["kpi-comment-message"]["children"]["props"]
        assert message["className"] == "form-error" and message["role"] == "alert"
        assert "your own departments" in message["children"]
        assert "kpi-comments" not in response.get_json()["response"]
    assert _count(services) == rows
    latest = _denials(services)
    assert len(latest) == denials + 1
    assert (latest[0].actor, latest[0].target, latest[0].details["department"]) == ("analyst", THEIRS, "police")


def test_callback_errors_are_translated(client_as):
    response = _submit(client_as("analyst"), OURS, "2026-09", "   ", headers={"Cookie": "citystat_lang=es"})
    message = response.get_json()["response"]["kpi-comment-message"]["children"]["props"]
    assert message["className"] == "form-error" and "El comentario está vacío" in message["children"]


def test_viewers_cannot_call_the_commentary_callback(client_as, services):
    rows = _count(services)
    assert _submit(client_as("viewer"), OURS, "2026-09", "A viewer's note.").status_code == 403
    assert _count(services) == rows


def test_the_chart_and_table_refresh_after_a_comment(client_as, demo_app, services):
    add_commentary(services, ANALYST, OURS, "2026-05", "Pothole blitz week.")
    dash_app = demo_app.extensions["dash"]
    key = next(k for k in dash_app.callback_map if k.startswith("..kpi-chart.figure@"))
    outputs = [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]
    response = call(client_as("viewer"), outputs, [("kpi-comment-saved", "data", 1)],
                    state=[("kpi-range", "value", "24"), ("kpi-prior", "value", []), ("kpi-id", "data", OURS)])
    assert response.status_code == 200
    result = response.get_json()["response"]
    marked = next(t for t in result["kpi-chart"]["figure"]["data"] if t["name"] == "Commentary")
    assert any("Pothole blitz week." in text for text in marked["customdata"])
    assert "Pothole blitz week." in texts(json.dumps(result["kpi-values"]))


def test_the_form_is_shown_only_to_people_who_may_write(client_as):
    def page(person, kpi_id):
        return texts(render_page(client_as(person), f"/kpi/{kpi_id}"))

    assert "Save comment" in page("analyst", OURS)
    assert "Save comment" not in page("analyst", THEIRS)
    assert "Save comment" not in page("viewer", OURS)
    assert "Save comment" in page("manager", THEIRS)
    assert "Commentary" in page("viewer", OURS)


def test_the_period_choices_are_the_kpis_periods_with_values_newest_first(client_as):
    payload = json.loads(render_page(client_as("analyst"), f"/kpi/{OURS}"))

    def find(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "kpi-comment-period":
                return node["props"]
            for value in node.values():
                if (found := find(value)) is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                if (found := find(value)) is not None:
                    return found
        return None

    dropdown = find(payload)
    values = [option["value"] for option in dropdown["options"]]
    assert values[0] == "2026-10" and dropdown["value"] == "2026-10" and values == sorted(values, reverse=True)
    assert dropdown["options"][0]["label"] == "Oct 2026"


# -- the API ----------------------------------------------------------------------------------------------
def _post(client, kpi_id, body, **kwargs):
    return client.post(f"/api/v1/kpis/{kpi_id}/commentary", json=body, headers=ORIGIN, **kwargs)


def test_the_analyst_comments_through_the_api(client_as, services):
    client = client_as("analyst")
    response = _post(client, OURS, {"period": "2026-09", "text": "Two crews out sick."})
    assert response.status_code == 201
    created = response.get_json()
    assert created["period"] == "2026-09" and created["text"] == "Two crews out sick."
    assert created["author"] == "analyst" and created["created_at"].endswith("Z")
    listed = client.get(f"/api/v1/kpis/{OURS}/commentary").get_json()
    assert listed["kpi_id"] == OURS
    assert listed["commentary"][0] == created
    assert set(created) >= {"period", "text", "author", "created_at"}


def test_an_api_call_for_another_department_is_refused_and_audited(client_as, services):
    rows, denials = _count(services), len(_denials(services))
    response = _post(client_as("analyst"), THEIRS, {"period": "2026-09", "text": "Crafted."})
    assert response.status_code == 403 and response.is_json
    assert "your own departments" in response.get_json()["error"]
    assert _count(services) == rows
    latest = _denials(services)
    assert len(latest) == denials + 1 and (latest[0].actor, latest[0].target) == ("analyst", THEIRS)


def test_the_manager_comments_anywhere_through_the_api(client_as):
    response = _post(client_as("manager"), THEIRS, {"period": "2026-10", "text": "Reviewed with the chief."})
    assert response.status_code == 201 and response.get_json()["author"] == "manager"


def test_viewers_and_anonymous_visitors_cannot_post(client_as, anonymous, services):
    rows = _count(services)
    assert _post(client_as("viewer"), OURS, {"period": "2026-09", "text": "x"}).status_code == 403
    assert _post(anonymous, OURS, {"period": "2026-09", "text": "x"}).status_code == 401
    assert anonymous.get(f"/api/v1/kpis/{OURS}/commentary").status_code == 401
    assert _count(services) == rows


def test_viewers_read_commentary(client_as):
    response = client_as("viewer").get(f"/api/v1/kpis/{OURS}/commentary")
    assert response.status_code == 200 and isinstance(response.get_json()["commentary"], list)


@pytest.mark.parametrize("body, needle", [
    (None, "JSON object"), ([1, 2], "JSON object"), ("text", "JSON object"),
    ({"text": "x"}, '"period"'), ({"period": "2026-09"}, '"text"'), ({}, '"period", "text"'),
    ({"period": "2026-09-15", "text": "x"}, "not a period of this KPI"),
    ({"period": "2026-09", "text": "   "}, "empty"),
    ({"period": "2026-09", "text": "x" * (MAX_LENGTH + 1)}, "at most 4000"),
    ({"period": "2026-09", "text": 12}, "must be text"),
])
def test_bad_bodies_are_400s_that_say_what_is_wrong(client_as, services, body, needle):
    rows = _count(services)
    response = _post(client_as("analyst"), OURS, body)
    assert response.status_code == 400 and response.is_json
    assert needle in response.get_json()["error"]
    assert _count(services) == rows


def test_text_that_is_not_json_is_a_400(client_as):
    response = client_as("analyst").post(f"/api/v1/kpis/{OURS}/commentary", data="{not json",
                                         content_type="application/json", headers=ORIGIN)
    assert response.status_code == 400 and "JSON object" in response.get_json()["error"]


def test_an_unknown_kpi_is_a_json_404(client_as):
    client = client_as("manager")
    for response in (client.get("/api/v1/kpis/no-such-kpi/commentary"),
                     _post(client, "no-such-kpi", {"period": "2026-09", "text": "x"})):
        assert response.status_code == 404 and "no-such-kpi" in response.get_json()["error"]


# -- text stays text -----------------------------------------------------------------------------------
def test_script_looking_text_is_stored_and_shown_as_text(client_as, services):
    script = "<script>alert(1)</script> & <b>bold?</b>"
    client = client_as("analyst")
    assert _post(client, OURS, {"period": "2026-10", "text": script}).status_code == 201
    assert client.get(f"/api/v1/kpis/{OURS}/commentary").get_json()["commentary"][0]["text"] == script

    payload = render_page(client_as("viewer"), f"/kpi/{OURS}")
    assert script in texts(payload).splitlines()          # a string prop, shown as text by React
    components = json.dumps(json.loads(payload))
    assert '"type": "Script"' not in components and '"type": "Iframe"' not in components
    figure = json.loads(payload)["response"]["_pages_content"]["children"]
    marked = json.dumps(figure)
    # Plotly reads a few tags in chart text: there the text goes escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold?&lt;/b&gt;" in marked
