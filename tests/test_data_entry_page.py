"""The data-entry page (/entry) through the Flask test client: who opens it, and its callbacks
called as a browser (or anyone) can call them: load, department, Check, Save, Undo, the
narrative forms when the city requires them, and an analyst's crafted rows of another
department. On a demo city of its own: the callbacks write."""
from __future__ import annotations

import json
from datetime import date

import pytest

from config import Config
from i18n import translate
from metrics import imports
from tests.conftest import own_demo_app
from tests.dash_client import _output_key, components, render_page, texts
from tests.helpers import ORIGIN
from web import audit
from web.narratives import current_narrative

P = "entry-"
FORBIDDEN = translate("guard.forbidden_title", "en")
OWED = "fleet-availability"   # Public Works: no value since June 2026 in the demo city


app, services = own_demo_app("entry-page", "Entry")


def post(client, outputs, inputs, state=(), changed=None, language=None):
    spec = [{"id": cid, "property": prop} for cid, prop in outputs]
    body = {"output": _output_key(outputs), "outputs": spec if len(spec) > 1 else spec[0],
            "inputs": list(inputs), "state": list(state), "changedPropIds": [changed] if changed else []}
    if language:
        client.set_cookie("citystat_lang", language)
    try:
        return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                           headers=ORIGIN)
    finally:
        if language:
            client.delete_cookie("citystat_lang")


def value(cid, prop: str, v):
    return {"id": cid, "property": prop, "value": v}


def _outputs(app, piece: str) -> list[tuple[str, str]]:
    """The outputs of the page's callback that writes `piece`, as its key in Dash names them
    (an output that another callback writes too carries a suffix there)."""
    key = next(k for k in app.extensions["dash"].callback_map if piece in k)
    return [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]


def act(client, trigger: str, rows=None, *, batch=None, department="all", owed_only=(), clicks=1, language=None):
    """The page's callback as a browser sends it when `trigger` (department, owed-only,
    check, save, undo) fired."""
    inputs = [value(P + "department", "value", department), value(P + "owed-only", "value", list(owed_only))]
    inputs += [value(P + name, "n_clicks", clicks if trigger == name else 0) for name in ("check", "save", "undo")]
    changed = P + {"department": "department.value", "owed-only": "owed-only.value"}.get(trigger, f"{trigger}.n_clicks")
    return post(client, _outputs(client.application, P + "grid.rowData"), inputs,
                [value(P + "grid", "rowData", rows), value(P + "batch", "data", batch)], changed=changed,
                language=language)


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def page(client, search: str = "") -> list:
    """The page's layout as Dash's router renders it, for /entry and its query string."""
    response = post(client, [("_pages_content", "children"), ("_pages_store", "data")],
                    [value("_pages_location", "pathname", "/entry"), value("_pages_location", "search", search)],
                    changed="_pages_location.pathname")
    return answer(response)["_pages_content"]["children"]


def page_rows(client, search: str = "") -> list[dict]:
    """The grid's rowData as the page renders it."""
    return next(c["props"]["rowData"] for c in components(page(client, search)) if c["props"].get("id") == P + "grid")


def typed(rows, kpi_id, label, text, note=None):
    """`rows` with one Value (and Note) cell typed, as the grid sends them back."""
    rows = json.loads(json.dumps(rows))
    row = next(r for r in rows if r["kpi_id"] == kpi_id and r["period"] == label)
    row["value"] = text
    if note is not None:
        row["note"] = note
    return rows


def stored(services, kpi_id, start):
    return services.warehouse.query("SELECT value FROM observations WHERE kpi_id = $k AND period_start = $p "
                                    "AND dimension = ''", {"k": kpi_id, "p": start}).scalar()


def shown(node) -> str:
    """The words a reader sees in a Dash component tree (children only, not ids or classes)."""
    found = []

    def walk(item):
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            for part in item:
                walk(part)
        elif isinstance(item, dict):
            walk(item.get("props", {}).get("children") if "props" in item else item.get("children"))
    walk(node)
    return " ".join(part.strip() for part in found if part.strip())


# -- who opens it, and what it shows -------------------------------------------------------------------------------
def test_a_viewer_gets_the_not_available_page_and_no_callback(signed_in, services):
    client = signed_in("viewer")
    assert FORBIDDEN in texts(render_page(client, "/entry"))
    assert act(client, "save", [{"kpi_id": OWED, "period": "2026-10", "value": 1}]).status_code == 403
    assert stored(services, OWED, date(2026, 10, 1)) is None


def test_an_analyst_sees_their_departments_kpis_with_the_owed_first(signed_in):
    rows = page_rows(signed_in("analyst"))
    assert {r["department"] for r in rows} == {"Department of Public Works"}
    assert [r["period"] for r in rows if r["kpi_id"] == OWED] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert rows[0]["state"] == "overdue" and rows[0]["due"].startswith("! Overdue by ")
    graffiti = next(r for r in rows if r["kpi_id"] == "graffiti-5d")
    assert graffiti["value"] == 93.23 and graffiti["suffix"] == "%" and graffiti["due"] == "✔ Entered"
    lede = shown(page(signed_in("analyst")))
    assert "Values for Department of Public Works" in lede and "Oct 2026 for monthly KPIs" in lede


def test_a_manager_opens_on_what_every_department_owes_and_can_narrow_it(signed_in):
    client = signed_in("manager")
    rows = page_rows(client)
    assert len({r["department"] for r in rows}) > 3 and {r["state"] for r in rows} <= {"overdue", "due"}
    police = answer(act(client, "department", department="police"))
    assert {r["department"] for r in police[P + "grid"]["rowData"]} == {"Police Department"}
    assert "entered" in {r["state"] for r in police[P + "grid"]["rowData"]}
    # One department: its column goes, the lede names it.
    assert "department" not in [c["field"] for c in police[P + "grid"]["columnDefs"]]
    assert "Police Department" in shown(police[P + "lede"])
    assert page_rows(client, "?department=police") == police[P + "grid"]["rowData"]
    assert act(client, "department", department="no-such-department").status_code == 204


def test_the_page_in_spanish(signed_in):
    client = signed_in("analyst")
    client.set_cookie("citystat_lang", "es")
    try:
        words = shown(page(client))
        rows = page_rows(client)
        headers = [c["headerName"] for c in next(c["props"]["columnDefs"] for c in components(page(client))
                                                  if c["props"].get("id") == P + "grid")]
    finally:
        client.delete_cookie("citystat_lang")
    assert "Carga de datos" in words and "Guardar valores" in words and "Vencimiento" in headers
    graffiti = next(r for r in rows if r["kpi_id"] == "graffiti-5d")
    assert graffiti["suffix"] == "\u00a0%" and graffiti["due"] == "✔ Cargado"


# -- check, save, undo --------------------------------------------------------------------------------------------
def test_check_lists_problems_by_kpi_and_period_and_writes_nothing(signed_in, services):
    client = signed_in("analyst")
    rows = typed(page_rows(client), OWED, "2026-09", "lots")
    result = answer(act(client, "check", rows))
    alert = result[P + "message"]["children"]
    assert alert["props"]["role"] == "alert"
    assert "Fleet vehicles available for service · Sep 2026: “lots” is not a number" in shown(alert)
    assert P + "grid" not in result and stored(services, OWED, date(2026, 9, 1)) is None


def test_check_then_save_then_undo(signed_in, services):
    client = signed_in("analyst")
    rows = typed(page_rows(client), OWED, "2026-09", "91,5", note="Two trucks back from the shop")
    checked = answer(act(client, "check", rows, language="es"))
    assert shown(checked[P + "message"]["children"]) == "Listo para guardar: 1 valor."
    assert stored(services, OWED, date(2026, 9, 1)) is None

    saved = answer(act(client, "save", rows, language="es"))
    batch = saved[P + "batch"]["data"]
    assert saved[P + "saved"]["hidden"] is False
    status = saved[P + "saved-text"]["children"]
    assert status["props"]["role"] == "status" and shown(status) == f"Se guardó 1 valor como lote {batch}."
    assert stored(services, OWED, date(2026, 9, 1)) == pytest.approx(0.915)
    assert imports.get_batch(services.warehouse, batch)["kind"] == "manual"
    # The grid is read again: September is in, so only October is owed now.
    assert [r["period"] for r in saved[P + "grid"]["rowData"] if r["kpi_id"] == OWED] == ["2026-10"]
    assert audit.events(services, action="entry.commit", limit=1)[0].outcome == "success"

    undone = answer(act(client, "undo", batch=batch))
    assert "was reverted" in shown(undone[P + "message"]["children"]) and undone[P + "saved"]["hidden"] is True
    assert stored(services, OWED, date(2026, 9, 1)) is None
    assert imports.get_batch(services.warehouse, batch)["status"] == "reverted"
    assert len([r for r in undone[P + "grid"]["rowData"] if r["kpi_id"] == OWED]) == 4
    # Twice is refused with the reason, not an error.
    again = answer(act(client, "undo", batch=batch))
    assert again[P + "message"]["children"]["props"]["role"] == "alert"


def test_saving_unchanged_rows_writes_nothing(signed_in, services):
    client = signed_in("analyst")
    batches = len(imports.list_batches(services.warehouse))
    result = answer(act(client, "save", page_rows(client)))
    assert "Nothing to save" in shown(result[P + "message"]["children"])
    assert len(imports.list_batches(services.warehouse)) == batches


def test_an_analyst_cannot_post_another_departments_rows(signed_in, services):
    client = signed_in("analyst")
    rows = typed(page_rows(client), OWED, "2026-09", "90")
    rows.append({"kpi_id": "homicides", "period": "2026-10", "value": 99, "note": "", "kpi": "Homicides"})
    before = stored(services, "homicides", date(2026, 10, 1))
    result = answer(act(client, "save", rows))
    assert "not yours" in shown(result[P + "message"]["children"])
    assert stored(services, "homicides", date(2026, 10, 1)) == before
    assert stored(services, OWED, date(2026, 9, 1)) is None
    assert audit.events(services, action="entry.commit", limit=1)[0].outcome == "denied"


def test_an_analyst_cannot_undo_someone_elses_batch(signed_in, services):
    manager = signed_in("manager")
    rows = typed(page_rows(manager, "?department=public-works"), OWED, "2026-08", "95")
    batch = answer(act(manager, "save", rows, department="public-works"))[P + "batch"]["data"]
    try:
        refused = answer(act(signed_in("analyst"), "undo", batch=batch))
        assert refused[P + "message"]["children"]["props"]["role"] == "alert"
        assert stored(services, OWED, date(2026, 8, 1)) == pytest.approx(0.95)
    finally:
        answer(act(manager, "undo", batch=batch, department="public-works"))


def test_junk_from_the_browser_is_not_acted_on(signed_in):
    client = signed_in("analyst")
    assert act(client, "save", "not rows").status_code == 204
    assert act(client, "save", [], clicks=0).status_code == 204
    assert act(client, "undo", batch="7").status_code == 204
    assert act(client, "check", [], owed_only=["everything"]).status_code == 204


# -- narratives when the city requires them -------------------------------------------------------------------------
def save_narrative(client, owed, parts, index=0):
    """The narrative forms' Save as a browser sends it, the `index`th pressed."""
    button = {"index": index, "type": P + "nar-save"}
    n = len(owed)
    inputs = [[value({"index": i, "type": P + "nar-save"}, "n_clicks", int(i == index)) for i in range(n)]]
    state = [[value({"index": i, "type": P + f"nar-{part}"}, "value", parts.get(part) if i == index else None)
              for i in range(n)] for part in ("happened", "why", "next_steps")] + [value(P + "owed", "data", owed)]
    return post(client, [(P + "narrative-message", "children")], inputs, state,
                changed=json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks")


def test_a_kpi_turned_off_track_asks_for_a_narrative_when_the_city_requires_one(signed_in, services, monkeypatch):
    monkeypatch.setattr(services, "config", Config({**services.config.as_dict(), "narrative_required": "off_track"}))
    client = signed_in("analyst")
    rows = typed(page_rows(client), OWED, "2026-10", "50")
    saved = answer(act(client, "save", rows))
    batch, owed = saved[P + "batch"]["data"], saved[P + "owed"]["data"]
    try:
        assert owed == [{"kpi_id": OWED, "period": "2026-10",
                         "title": "Fleet vehicles available for service · Oct 2026"}]
        section = shown(saved[P + "narratives"]["children"])
        assert "Narratives owed" in section and "Fleet vehicles available for service · Oct 2026" in section
        assert "What happened" in section and "What comes next" in section

        empty = answer(save_narrative(client, owed, {"happened": "  "}))[P + "narrative-message"]["children"]
        assert empty["props"]["role"] == "alert" and "Say what happened" in shown(empty)
        done = answer(save_narrative(client, owed, {"happened": "Three trucks failed inspection.", "why": "Age."}))
        assert shown(done[P + "narrative-message"]["children"]) == (
            "Narrative saved: Fleet vehicles available for service · Oct 2026.")
        assert current_narrative(services, OWED, date(2026, 10, 1))["why"] == "Age."
        # Another department's KPI named in a crafted store is refused by the narratives service.
        crafted = answer(save_narrative(client, [{"kpi_id": "homicides", "period": "2026-10"}], {"happened": "x"}))
        assert "only for your own departments" in shown(crafted[P + "narrative-message"]["children"])
    finally:
        answer(act(client, "undo", batch=batch))


def test_without_the_setting_the_page_only_names_the_kpis_off_track(signed_in):
    client = signed_in("analyst")
    saved = answer(act(client, "save", typed(page_rows(client), OWED, "2026-10", "50")))
    try:
        assert saved[P + "owed"]["data"] == []
        section = shown(saved[P + "narratives"]["children"])
        assert "Off track after this entry" in section and "Fleet vehicles available for service · Oct 2026" in section
    finally:
        answer(act(client, "undo", batch=saved[P + "batch"]["data"]))
