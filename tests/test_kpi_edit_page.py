"""The KPI editor page over HTTP, as a browser (or anyone) calls it: the form with every field
and the history, Save sending only what changed, refusals said field by field, Archive and
Restore, an analyst outside the KPI's department refused on the page and in every callback,
the new-KPI form's "kept by hand" choice, and the KPI page's notice on an archived KPI."""
from __future__ import annotations

import pytest

from dashboards.kpi_edit_parts import FORM, form_values
from metrics.access import Scope
from tests.conftest import forget_kpis
from tests.dash_client import call, render_page, texts
from web.kpi_definitions import create_kpi, kpi_row, kpi_versions
from web.services import EXTENSION

MANAGER = Scope("manager", "manager")
P = "kpi-edit-"
SAVE_OUTPUTS = [(P + "message", "children"), (P + "loaded", "data")]
ARCHIVE_OUTPUTS = [(P + "archive-message", "children"), (P + "archived", "data"), (P + "archive", "children"),
                   (P + "banner", "children")]


@pytest.fixture
def services(demo_app):
    services = demo_app.extensions[EXTENSION]
    yield services
    forget_kpis(services, "kedit-%")
    with services.warehouse.transaction() as tx:
        tx.execute("DELETE FROM catalogue_versions WHERE item_type = 'kpi' AND item_id LIKE 'kedit-%'")


def _kpi(services, kpi_id: str, **more) -> str:
    create_kpi(services, MANAGER, {"id": kpi_id, "name": f"Graffiti {kpi_id}", "department": "public-works",
                                   "frequency": "monthly", "direction": "down", **more})
    return kpi_id


def _save(client, kpi_id: str, loaded: dict, **changes):
    """Press Save with the form as loaded, but for `changes` (body names)."""
    values = {**loaded, **changes}
    state = [(P + "id", "data", kpi_id), (P + "loaded", "data", loaded)] + \
            [(P + name, "value", values[name]) for name in FORM]
    return call(client, SAVE_OUTPUTS, [(P + "save", "n_clicks", 1)], state)


def _loaded(services, kpi_id: str) -> dict:
    return form_values(kpi_row(services, kpi_id))


def test_the_editor_shows_every_field_grouped_with_the_history(client_as, services):
    _kpi(services, "kedit-show", owner="Clean city crews", methodology="Counted when closed.")
    page = render_page(client_as("analyst"), "/kpi/kedit-show/edit")
    shown = texts(page)
    for words in ("Edit Graffiti kedit-show", "Identity", "How it is measured", "Ownership and source",
                  "Publication", "Name and description in other languages", "Clean city crews",
                  "Counted when closed.", "History of changes", "Archive this KPI", "Compute it from a dataset"):
        assert words in shown, words
    for name in FORM:
        assert f'"{P}{name}"' in page, name
    assert "Only managers and administrators publish or withdraw a KPI." in shown   # the analyst's checkbox is off
    assert "Created" in shown and "Back to the KPI" in shown


def test_the_editor_speaks_spanish(client_as, services):
    _kpi(services, "kedit-es")
    shown = texts(render_page(client_as("manager"), "/kpi/kedit-es/edit", headers={"Cookie": "citystat_lang=es"}))
    for words in ("Editar Graffiti kedit-es", "Cómo se mide", "Responsable y fuente", "Historial de cambios",
                  "Archivar este KPI", "Guardar cambios", "Más bajo es mejor"):
        assert words in shown, words
    assert "How it is measured" not in shown and "Save changes" not in shown


def test_save_sends_only_what_changed_and_shows_the_version(client_as, services):
    _kpi(services, "kedit-save")
    analyst = client_as("analyst")
    loaded = _loaded(services, "kedit-save")
    response = _save(analyst, "kedit-save", loaded, name="Graffiti removed", tolerance=0.05, lag=20,
                     breakdowns="district", critical=["critical"], name_es="Grafitis eliminados")
    assert response.status_code == 200
    shown = texts(response.get_data(as_text=True))
    assert "Saved as version 2" in shown and "Tolerance" in shown and "Breakdowns" in shown
    latest = kpi_versions(services, "kedit-save")[0]
    assert latest["changed_by"] == "analyst" and sorted(latest["changes"]) == \
        ["breakdowns", "critical", "lag", "name", "name_es", "tolerance"]
    assert latest["changes"]["breakdowns"] == {"old": [], "new": ["district"]}
    history = call(analyst, [(P + "history", "children")],
                   [(P + "loaded", "data", {}), (P + "archived", "data", False)], [(P + "id", "data", "kedit-save")])
    assert "Graffiti removed" in texts(history.get_data(as_text=True))   # the history, redrawn after a save

    loaded = _loaded(services, "kedit-save")
    unchanged = _save(analyst, "kedit-save", loaded)
    assert "Nothing changed" in texts(unchanged.get_data(as_text=True))
    assert len(kpi_versions(services, "kedit-save")) == 2


def test_save_says_what_to_fix_field_by_field(client_as, services):
    _kpi(services, "kedit-fix")
    response = _save(client_as("manager"), "kedit-fix", _loaded(services, "kedit-fix"), name="",
                     breakdowns="district, district", unit_label="x" * 61)
    payload = response.get_data(as_text=True)
    assert response.status_code == 200 and '"role":"alert"' in payload.replace(" ", "")
    shown = texts(payload)
    for words in ("The KPI cannot be saved: fix the fields listed.", "Name: ", '"name" is required',
                  "Breakdowns: ", "Unit label: "):
        assert words in shown, words
    assert len(kpi_versions(services, "kedit-fix")) == 1


def test_a_published_kpi_is_published_by_managers_only(client_as, services):
    _kpi(services, "kedit-publish")
    loaded = _loaded(services, "kedit-publish")
    refused = _save(client_as("analyst"), "kedit-publish", loaded, published=["published"])
    assert "Only managers and administrators publish" in texts(refused.get_data(as_text=True))
    done = _save(client_as("manager"), "kedit-publish", loaded, published=["published"])
    assert "Saved as version 2" in texts(done.get_data(as_text=True))
    assert kpi_row(services, "kedit-publish")["published"] is True


def test_an_analyst_of_another_department_is_refused_on_the_page_and_in_callbacks(client_as, services):
    _kpi(services, "kedit-theirs", department="transportation")
    analyst = client_as("analyst")
    page = render_page(analyst, "/kpi/kedit-theirs/edit")
    assert "You may not edit this KPI" in texts(page) and f'"{P}save"' not in page
    response = _save(analyst, "kedit-theirs", _loaded(services, "kedit-theirs"), name="Mine now")
    assert "only of your own departments" in texts(response.get_data(as_text=True))
    refused = call(analyst, ARCHIVE_OUTPUTS, [(P + "confirm", "submit_n_clicks", 1)],
                   [(P + "id", "data", "kedit-theirs"), (P + "archived", "data", False)])
    assert "only of your own departments" in texts(refused.get_data(as_text=True))
    assert kpi_row(services, "kedit-theirs")["archived"] is False
    assert len(kpi_versions(services, "kedit-theirs")) == 1
    assert "Not available to your account" in texts(render_page(client_as("viewer"), "/kpi/kedit-theirs/edit"))


def test_archive_and_restore_after_confirming(client_as, services):
    _kpi(services, "kedit-archive")
    analyst = client_as("analyst")
    asked = call(analyst, [(P + "confirm", "displayed"), (P + "confirm", "message")],
                 [(P + "archive", "n_clicks", 1)], [(P + "archived", "data", False)])
    assert "Archive this KPI?" in texts(asked.get_data(as_text=True))
    archived = call(analyst, ARCHIVE_OUTPUTS, [(P + "confirm", "submit_n_clicks", 1)],
                    [(P + "id", "data", "kedit-archive"), (P + "archived", "data", False)])
    shown = texts(archived.get_data(as_text=True))
    assert "Archived. Its values, targets and history are kept." in shown and "Restore this KPI" in shown
    assert kpi_row(services, "kedit-archive")["archived"] is True

    page = render_page(client_as("viewer"), "/kpi/kedit-archive")
    assert "Archived by analyst on" in texts(page) and "kpi-edit-link" not in page
    assert "Restore this KPI" in texts(render_page(analyst, "/kpi/kedit-archive/edit"))

    restored = call(analyst, ARCHIVE_OUTPUTS, [(P + "confirm", "submit_n_clicks", 1)],
                    [(P + "id", "data", "kedit-archive"), (P + "archived", "data", True)])
    assert "Restored" in texts(restored.get_data(as_text=True))
    assert [v["action"] for v in kpi_versions(services, "kedit-archive")] == ["restore", "archive", "create"]
    page = render_page(analyst, "/kpi/kedit-archive")
    assert "kpi-archived-notice" not in page and "/kpi/kedit-archive/edit" in texts(page)


def test_callbacks_ignore_what_no_browser_sends(client_as, services):
    _kpi(services, "kedit-odd")
    analyst = client_as("analyst")
    for loaded in (None, "x", 5):
        state = [(P + "id", "data", "kedit-odd"), (P + "loaded", "data", loaded)] + \
                [(P + name, "value", None) for name in FORM]
        assert call(analyst, SAVE_OUTPUTS, [(P + "save", "n_clicks", 1)], state).status_code == 204
    response = call(analyst, ARCHIVE_OUTPUTS, [(P + "confirm", "submit_n_clicks", True)],
                    [(P + "id", "data", "kedit-odd"), (P + "archived", "data", False)])
    assert response.status_code == 204 and kpi_row(services, "kedit-odd")["archived"] is False


def test_a_kpi_kept_by_hand_is_created_and_opens_the_editor(client_as, services):
    analyst = client_as("analyst")
    assert "Kept by hand (imported or entered)" in texts(render_page(analyst, "/kpi-new"))
    values = {"id": "kedit-by-hand", "name": "Graffiti", "department": "public-works", "goal": None, "unit": "count",
              "direction": "down", "frequency": "monthly", "aggregation": "sum", "kind": "by_hand"}
    response = call(analyst, [("kpi-new-message", "children"), ("kpi-new-go", "href")],
                    [("kpi-new-create", "n_clicks", 1)], [(f"kpi-new-{k}", "value", v) for k, v in values.items()])
    assert response.status_code == 200 and "/kpi/kedit-by-hand/edit" in texts(response.get_data(as_text=True))
    assert kpi_versions(services, "kedit-by-hand")[0]["action"] == "create"
