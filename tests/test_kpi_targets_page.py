"""The targets page over HTTP, as a browser (or anyone) calls it: the page for a KPI a person
may set targets for, and the plain refusal for one they may not; loading a fiscal year into the
grid (percent targets in points, decimal commas in Spanish); copying last year's; saving typed
cells as one batch with the status and the history; problems named by period, nothing
written; and every callback refusing a KPI of another department on the server.

The page writes, so it runs on a demo city of its own."""
from __future__ import annotations

import json
from datetime import date

import pytest

from dashboards.kpi_targets_parts import cell_text, parse_number
from tests.conftest import own_demo_app
from tests.dash_client import call, render_page, texts

P = "kpi-targets-"
MONTHLY = "potholes-repaired"   # public-works, count, sum; FY2027's annual target is 14,000
PERCENT = "graffiti-5d"         # public-works, percent
BAND = "shelter-occupancy"      # housing, percent band 85 %-95 %
OTHER = "homicides"             # police
LOAD_OUTPUTS = [(P + "grid", "rowData"), (P + "copied", "children")]
SAVE_OUTPUTS = [(P + "message", "children"), (P + "history", "children"), (P + "saved", "data")]


app, services = own_demo_app("targets-page", "Targets")


def said(response) -> list[str]:
    """The strings of a callback's answer: its texts and its props (role, class) alike."""
    return texts(response.get_data(as_text=True)).split("\n")


def load(client, kpi_id, year=2027, *, copy=0, headers=None):
    changed = f"{P}copy.n_clicks" if copy else f"{P}year.value"
    return call(client, LOAD_OUTPUTS, [(P + "year", "value", year), (P + "copy", "n_clicks", copy),
                                       (P + "saved", "data", 0)], [(P + "kpi", "data", kpi_id)],
                headers=headers, changed=changed)


def loaded_rows(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"][P + "grid"]["rowData"]


def save(client, kpi_id, rows, *, headers=None):
    return call(client, SAVE_OUTPUTS, [(P + "save", "n_clicks", 1)],
                [(P + "grid", "rowData", rows), (P + "kpi", "data", kpi_id), (P + "saved", "data", 0)],
                headers=headers)


def stored(services, kpi_id, frequency, start):
    row = services.warehouse.query("SELECT value, low, high FROM targets WHERE kpi_id = $k AND frequency = $f AND "
                                   "period_start = $p", {"k": kpi_id, "f": frequency, "p": start}).first()
    return None if row is None else (row["value"], row["low"], row["high"])


def batches(services) -> int:
    return services.warehouse.query("SELECT count(*) FROM import_batches").scalar()


# -- typed numbers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, language, number", [
    ("85", "en", 85.0), ("85,5", "es", 85.5), ("85.5", "es", 85.5), ("1.234,5", "es", 1234.5),
    ("1,234.5", "en", 1234.5), ("1,234", "en", 1234.0), ("1.234", "pt", 1234.0), ("85 %", "en", 85.0),
    ("85%", "pt", 85.0), ("  ", "en", None), (None, "en", None), ("", "es", None), (12, "en", 12.0),
    ("-3,5", "pt", -3.5), ("1\u00a0234,5", "es", 1234.5),
])
def test_typed_numbers_are_read_in_the_readers_language(text, language, number):
    assert parse_number(text, language) == number


@pytest.mark.parametrize("text", ["abc", "1,2,3", "nan", "inf", True, "1" * 50, [1]])
def test_anything_else_is_not_a_number(text):
    with pytest.raises((ValueError, TypeError)):
        parse_number(text, "en")


def test_stored_targets_are_shown_for_typing_over():
    assert cell_text(0.85, "en", points=True) == "85"
    assert cell_text(0.855, "es", points=True) == "85,5"
    assert cell_text(14000.0, "en", points=False) == "14000"
    assert cell_text(None, "en", points=False) is None


# -- the page --------------------------------------------------------------------------------------------------
def test_the_page_shows_the_kpi_the_year_and_the_history(signed_in):
    shown = texts(render_page(signed_in("analyst"), f"/kpi/{MONTHLY}/targets"))
    for words in ("Targets: Potholes repaired", "Count · Higher is better · Monthly", "Fiscal year",
                  "FY2027 · this year", "Copy last year's targets", "Save targets", "History of changes",
                  "Back to Potholes repaired", "adds up over the year", "Demo data"):
        assert words in shown, words


def test_the_page_says_plainly_who_may_set_targets(signed_in):
    page = render_page(signed_in("analyst"), f"/kpi/{OTHER}/targets")
    assert "Only the analysts of this KPI's department, managers and administrators may set its targets." \
        in texts(page)
    assert P + "grid" not in page and P + "save" not in page
    assert "KPI not found" in texts(render_page(signed_in("manager"), "/kpi/no-such-kpi/targets"))


def test_the_page_speaks_spanish(signed_in):
    shown = texts(render_page(signed_in("manager", "es"), f"/kpi/{PERCENT}/targets"))
    for words in ("Metas:", "Año fiscal", "Copiar las metas del año pasado", "Guardar metas",
                  "Las metas en porcentaje se escriben en puntos: 85 para 85 %.", "Historial de cambios"):
        assert words in shown, words
    for english in ("Targets:", "Fiscal year", "Save targets", "History of changes"):
        assert english not in shown, english


# -- loading and copying -------------------------------------------------------------------------------------
def test_loading_a_year_fills_the_grid(signed_in):
    rows = loaded_rows(load(signed_in("manager"), MONTHLY))
    assert [r["period"] for r in rows][:2] == ["2026-07", "2026-08"] and len(rows) == 13
    assert rows[0]["label"] == "Jul 2026" and rows[0]["value"] is None
    assert rows[-1]["label"] == "FY2027 · whole fiscal year" and rows[-1]["value"] == "14000"
    assert "so far (4 of 12)" in rows[-1]["actual"]
    band = loaded_rows(load(signed_in("manager", "es"), BAND))
    assert (band[-1]["low"], band[-1]["high"]) == ("85", "95")   # points, typed over as such
    assert band[0]["label"] == "jul 2026" and "%" in band[0]["actual"]


def test_copying_last_year_fills_the_grid_and_says_it_is_not_saved(signed_in, services):
    before = batches(services)
    response = load(signed_in("manager"), MONTHLY, copy=1)
    rows = loaded_rows(response)
    assert rows[-1]["value"] == "23000"   # FY2026's total, as a starting point
    copied = "\n".join(said(response))
    assert "Targets copied from FY2026: 1." in copied and "not saved yet" in copied
    assert batches(services) == before and stored(services, MONTHLY, "annual", date(2026, 7, 1))[0] == 14000
    nothing = texts(load(signed_in("manager"), "active-cardholders", copy=1).get_data(as_text=True))
    assert "FY2026 had no targets to copy" in nothing


def test_a_year_outside_the_dropdown_is_ignored(signed_in):
    assert load(signed_in("manager"), MONTHLY, year=1999).status_code == 204
    assert load(signed_in("manager"), MONTHLY, year="2027").status_code == 204


# -- saving ----------------------------------------------------------------------------------------------------
def test_saving_typed_cells_writes_one_batch_and_shows_it(signed_in, services, undo):
    client = signed_in("analyst")
    rows = loaded_rows(load(client, MONTHLY))
    rows[0]["value"], rows[1]["value"], rows[-1]["value"] = "1250", "1,300.5", "15000"
    before = batches(services)
    response = save(client, MONTHLY, rows)
    assert response.status_code == 200
    body = json.loads(response.data)["response"]
    said = texts(json.dumps(body[P + "message"]))
    assert "Saved. Targets set: 3; cleared: 0." in said and "Batch #" in said
    assert "status" in texts(json.dumps(body[P + "message"])).split("\n")
    assert body[P + "saved"]["data"] == 1
    assert "15,000" in texts(json.dumps(body[P + "history"]))
    assert batches(services) == before + 1
    assert stored(services, MONTHLY, "monthly", date(2026, 8, 1)) == (1300.5, None, None)
    again = texts(save(client, MONTHLY, loaded_rows(load(client, MONTHLY))).get_data(as_text=True))
    assert "Nothing to save" in again and batches(services) == before + 1


def test_percent_cells_are_points_and_spanish_commas_are_decimals(signed_in, services, undo):
    client = signed_in("manager", "es")
    rows = loaded_rows(load(client, BAND))
    rows[3]["low"], rows[3]["high"] = "80,5", "92 %"
    response = save(client, BAND, rows)
    assert "Guardado. Metas fijadas: 1; borradas: 0." in texts(response.get_data(as_text=True))
    assert stored(services, BAND, "monthly", date(2026, 10, 1)) == (None, 0.805, 0.92)


def test_problems_are_named_by_period_and_nothing_is_written(signed_in, services):
    client = signed_in("manager")
    before = batches(services)
    rows = loaded_rows(load(client, MONTHLY))
    rows[2]["value"] = "lots"
    shown = said(save(client, MONTHLY, rows))
    assert "alert" in shown and "Sep 2026: “lots” is not a number" in shown

    band = loaded_rows(load(client, BAND))
    band[0]["low"], band[0]["high"] = "95", "90"
    band[1]["low"], band[1]["high"] = "110", "120"
    band[2]["low"], band[2]["high"] = "", "90"
    problems = "\n".join(said(save(client, BAND, band)))
    assert "Jul 2026: the low end 95 % is above the high end 90 %" in problems
    assert "Aug 2026: 110 % is more than 100 %: type percent targets in points, 85 for 85 %" in problems
    assert "Sep 2026: a band needs both ends" in problems
    assert batches(services) == before


def test_every_callback_refuses_another_departments_kpi(signed_in, services):
    analyst = signed_in("analyst")
    assert load(analyst, OTHER).status_code == 204   # nothing loaded
    before = batches(services)
    rows = [{"period": "2026-10", "label": "Oct 2026", "value": "3"}]
    refusal = said(save(analyst, OTHER, rows))
    assert "alert" in refusal and any("may set its targets" in text for text in refusal)
    assert batches(services) == before and stored(services, OTHER, "monthly", date(2026, 10, 1)) is None
    assert save(signed_in("viewer"), MONTHLY, rows).status_code == 403   # the guard: analysts and above


def test_rows_the_grid_would_never_send_are_refused(signed_in, services):
    client = signed_in("manager")
    before = batches(services)
    assert save(client, MONTHLY, "rows").status_code == 204
    assert save(client, MONTHLY, [1, 2]).status_code == 204
    forged = save(client, MONTHLY, [{"period": "1999-01", "value": "5"}, {"period": "FY2027-Q1", "value": "5"}])
    problems = "\n".join(said(forged))
    assert "Nothing was saved" in problems and "per month" in problems
    assert batches(services) == before
