"""The import wizard and the import history through the Flask test client, calling their
callbacks as any browser (or attacker) can: uploads become previews and suggestions, dry
runs name each bad row, commits need a matching dry run, uploads stay with their owner,
and reverts follow web.importing's rule."""
from __future__ import annotations

import base64
import json
import uuid

import pytest

from dashboards import import_form
from metrics import imports
from metrics.profiles import Profile
from tests.conftest import password_of
from tests.dash_client import call, render_page, texts
from tests.helpers import sign_in
from web import accounts, importing
from web.import_uploads import PREFIX
from web.services import EXTENSION

FORBIDDEN_PAGE = "Not available to your account"
KPI, PERIOD = "curb-ramps", "2026-09-01"


# -- calling the page's callbacks -------------------------------------------------------------------------
def _key(demo_app, piece: str) -> str:
    return next(k for k in demo_app.extensions["dash"].callback_map if piece in k)


def _outputs(key: str) -> list[tuple[str, str]]:
    return [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]


def _answer(response) -> dict:
    assert response.status_code == 200, response.data[:500]
    return {f"{cid}.{prop.split('@')[0]}": value for cid, props in response.get_json()["response"].items()
            for prop, value in props.items()}


def data_url(content: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def upload(client, demo_app, content: bytes, *, name="monthly.csv", profile=None):
    key = _key(demo_app, "imports-upload.data...imports-preview.data")
    return call(client, _outputs(key), [("imports-go", "data", {"at": 1}), ("imports-sheet", "value", None)],
                [("imports-file", "contents", data_url(content) if isinstance(content, bytes) else content),
                 ("imports-file", "filename", name), ("imports-upload", "data", None),
                 ("imports-profile", "value", profile)])


def fill(client, demo_app, preview, profile=None, changed="imports-preview.data"):
    key = _key(demo_app, "imports-shape.value...")
    return call(client, _outputs(key), [("imports-preview", "data", preview), ("imports-profile", "value", profile)],
                changed=changed)


def run(client, demo_app, button: str, token, document, profile=None):
    key = _key(demo_app, "imports-report.children")
    clicks = {name: int(name == button) for name in ("dry", "commit", "quick")}
    return call(client, _outputs(key), [(f"imports-{name}", "n_clicks", n) for name, n in clicks.items()],
                [("imports-upload", "data", {"token": token} if token else None),
                 ("imports-json", "value", document if isinstance(document, str) else json.dumps(document)),
                 ("imports-name", "value", profile), ("imports-profile", "value", profile)],
                changed=f"imports-{button}.n_clicks")


def save(client, demo_app, name, document):
    key = _key(demo_app, "imports-save-message.children")
    return call(client, _outputs(key), [("imports-save", "n_clicks", 1)],
                [("imports-name", "value", name),
                 ("imports-json", "value", document if isinstance(document, str) else json.dumps(document))])


def history(client, demo_app):
    return call(client, _outputs(_key(demo_app, "import-history-table")), [("import-history-changed", "data", None)])


def ask_revert(client, demo_app, batch_id):
    key = _key(demo_app, "import-history-confirm.displayed")
    button = {"type": "import-history-revert", "index": batch_id}
    body = {"output": key, "outputs": [{"id": c, "property": p} for c, p in _outputs(key)],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
            "state": []}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"Origin": "http://localhost"})


def revert(client, demo_app, batch_id):
    key = _key(demo_app, "import-history-message.children")
    return call(client, _outputs(key), [("import-history-confirm", "submit_n_clicks", 1)],
                [("import-history-pending", "data", batch_id)])


# -- fixtures ----------------------------------------------------------------------------------------------
@pytest.fixture
def services(demo_app):
    return demo_app.extensions[EXTENSION]


@pytest.fixture
def analyst(client_as):
    return client_as("analyst")


def _value(services, kpi=KPI, period=PERIOD):
    return services.warehouse.query("SELECT value FROM observations WHERE kpi_id = ? AND period_start = ? "
                                    "AND dimension = ''", [kpi, period]).scalar()


@pytest.fixture
def monthly_csv(services):
    """A small Public Works file that rewrites one value with the value it already has."""
    current = _value(services)
    return f"KPI ID,Month,Actual,Note\n{KPI},2026-09,{current:g},checked by the crew\n".encode()


@pytest.fixture
def committed(services):
    """Batches a test commits, reverted afterwards so the shared demo city stays as it was."""
    batches: list[int] = []
    yield batches
    for batch in batches:
        if imports.get_batch(services.warehouse, batch)["status"] == "committed":
            imports.revert_batch(services.warehouse, batch, "tests")


def _uploaded(client, demo_app, content, **kwargs) -> tuple[str, dict]:
    shown = _answer(upload(client, demo_app, content, **kwargs))
    return shown["imports-upload.data"]["token"], shown["imports-preview.data"]


# -- the page ------------------------------------------------------------------------------------------------
def test_analysts_and_up_open_the_wizard_viewers_do_not(client_as):
    for person in ("analyst", "manager", "admin"):
        page = texts(render_page(client_as(person), "/imports"))
        assert "Import data" in page and "Check and import" in page and FORBIDDEN_PAGE not in page
    assert FORBIDDEN_PAGE in texts(render_page(client_as("viewer"), "/imports"))
    assert "Import history" in texts(render_page(client_as("viewer"), "/imports/history"))


def test_the_navigation_offers_imports_by_role(client_as):
    for person, wizard in (("viewer", False), ("analyst", True), ("manager", True), ("admin", True)):
        links = {c["props"].get("href") for c in _components(client_as(person).get("/_dash-layout").get_json())}
        assert ("/imports" in links) is wizard, person
        assert "/imports/history" in links, person


# -- upload, preview, suggestions ------------------------------------------------------------------------------
def test_an_upload_becomes_a_preview_with_suggestions(analyst, demo_app, monthly_csv, services):
    token, preview = _uploaded(analyst, demo_app, monthly_csv)
    assert preview["headers"] == ["KPI ID", "Month", "Actual", "Note"]
    assert preview["rows"][0][0] == KPI and preview["row_count"] == 1
    assert (preview["shape"], preview["encoding"], preview["delimiter"]) == ("long", "utf-8", ",")
    assert preview["suggestion"]["columns"] == {"kpi_id": "KPI ID", "period": "Month", "value": "Actual",
                                                "note": "Note"}
    # The file is on the server under our own name, beside its owner; the browser has a token.
    files = sorted(p.name for p in importing.workdir(services).glob(f"{PREFIX}{token}*"))
    assert files == [f"{PREFIX}{token}.data", f"{PREFIX}{token}.json"]
    assert json.loads((importing.workdir(services) / f"{PREFIX}{token}.json").read_text())["owner"] == "analyst"

    shown = texts(json.dumps(_answer(call(analyst, _outputs(_key(demo_app, "imports-preview-body")),
                                          [("imports-preview", "data", preview)]))))
    assert "checked by the crew" in shown and "Long: a row per KPI and period" in shown and "comma (,)" in shown

    form = _answer(fill(analyst, demo_app, preview))
    assert form["imports-shape.value"] == "long"
    assert form["imports-f-kpi_id.value"] == "c:KPI ID" and form["imports-f-value.value"] == "c:Actual"
    assert form["imports-f-period.value"] == "c:Month" and form["imports-f-target.value"] is None
    # An analyst may give one department for every row: only their own.
    departments = [o["value"] for o in form["imports-f-department.options"] if o["value"].startswith("v:")]
    assert departments == ["v:public-works"]


def test_a_wide_file_gets_period_rules(analyst, demo_app):
    content = (b"Measure ID,Performance Measure,Agency,Desired Outcome,FY 24 Actual,FY 24 Target,FY 25 Target\n"
               b"PW1,Potholes,Department of Public Works,Increase,10,12,14\n"
               b"PW2,Complaints,Department of Public Works,Decrease,5,4,3\n")
    _token, preview = _uploaded(analyst, demo_app, content, name="plan.csv")
    assert preview["shape"] == "wide"
    assert preview["suggestion"]["wide"] == [{"pattern": r"^FY ?(\d{2}) (Actual|Target)$", "period": "FY20{1}",
                                              "kind": {"Actual": "actual", "Target": "target"}}]
    assert preview["words"]["Desired Outcome"] == ["Decrease", "Increase"]
    form = _answer(fill(analyst, demo_app, preview))
    assert form["imports-shape.value"] == "wide"
    # The direction column's words come with the model words they most likely mean.
    words = call(analyst, _outputs(_key(demo_app, "imports-words.children")),
                 [("imports-f-direction", "value", "c:Desired Outcome"), ("imports-f-unit", "value", None),
                  ("imports-f-frequency", "value", None), ("imports-f-aggregation", "value", None),
                  ("imports-preview", "data", preview), ("imports-base", "data", form["imports-base.data"])])
    dropdowns = {d["props"]["id"]["word"]: d["props"]["value"]
                 for d in _components(_answer(words)["imports-words.children"]) if d.get("type") == "Dropdown"}
    assert dropdowns == {"Decrease": "down", "Increase": "up"}

    # The form, as filled, writes the suggested profile with the words mapped.
    fields = {f: form[f"imports-f-{f}.value"] for f in import_form.FORM_FIELDS} | {"direction": "c:Desired Outcome"}
    rules = {kind: [c for c in _components(form["imports-rules.children"])
                    if isinstance(c["props"].get("id"), dict) and c["props"]["id"]["type"] == f"imports-rule-{kind}"]
             for kind in ("pattern", "period", "kind")}
    word_controls = [c for c in _components(_answer(words)["imports-words.children"]) if c.get("type") == "Dropdown"]
    document = json.loads(build(analyst, demo_app, form, fields, rules, word_controls, preview))
    assert document == {**preview["suggestion"], "columns": {**preview["suggestion"]["columns"],
                                                             "direction": "Desired Outcome"},
                        "values": {"direction": {"Decrease": "down", "Increase": "up"}}}
    assert Profile.parse(document).shape == "wide"


def build(client, demo_app, form, fields, rules, word_controls, preview):
    """The JSON callback, called with the form's values as a browser sends them."""
    key = _key(demo_app, "imports-json.value")
    group = lambda controls: [{"id": c["props"]["id"], "property": "value", "value": c["props"]["value"]}  # noqa
                              for c in controls]
    inputs = ([{"id": "imports-shape", "property": "value", "value": form["imports-shape.value"]}]
              + [{"id": f"imports-f-{f}", "property": "value", "value": v} for f, v in fields.items()]
              + [group(rules[k]) for k in ("pattern", "period", "kind")] + [group(word_controls)]
              + [{"id": f"imports-{name}", "property": "value", "value": form[f"imports-{name}.value"]}
                 for name in ("missing", "percent", "period-format", "on-error")]
              + [{"id": "imports-base", "property": "data", "value": form["imports-base.data"]}])
    state = [[{"id": c["props"]["id"], "property": "id", "value": c["props"]["id"]} for c in word_controls],
             {"id": "imports-preview", "property": "data", "value": preview}]
    body = {"output": key, "outputs": {"id": "imports-json", "property": "value"}, "inputs": inputs,
            "changedPropIds": ["imports-base.data"], "state": state}
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                           headers={"Origin": "http://localhost"})
    return _answer(response)["imports-json.value"]


def _components(node):
    """Every component in a Dash JSON tree."""
    if isinstance(node, list):
        for item in node:
            yield from _components(item)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _components(node["props"].get("children"))


def test_an_oversize_upload_is_refused_with_a_message(analyst, demo_app, monkeypatch):
    monkeypatch.setitem(demo_app.config, "MAX_CONTENT_LENGTH", 400_000)
    response = upload(analyst, demo_app, b"a,b\n" + b"1,2\n" * 65_000)   # 260 kB: over 400 kB less encoding
    shown = _answer(response)
    assert shown["imports-upload.data"] is None and shown["imports-preview.data"] is None
    status = shown["imports-file-status.children"]["props"]
    assert status["role"] == "alert" and "larger than the 0.2 MB this page takes" in status["children"]


@pytest.mark.parametrize("contents", ["not a data url", "data:text/csv;base64,@@@@", 12, ["x"]])
def test_unreadable_uploads_are_refused(analyst, demo_app, contents):
    shown = _answer(upload(analyst, demo_app, contents))
    assert shown["imports-upload.data"] is None
    assert "could not be read" in shown["imports-file-status.children"]["props"]["children"]


def test_a_file_that_is_not_a_table_says_why(analyst, demo_app):
    shown = _answer(upload(analyst, demo_app, b"PK\x03\x04 not really a workbook", name="book.xlsx"))
    assert shown["imports-upload.data"] is None
    assert "not a valid .xlsx" in shown["imports-file-status.children"]["props"]["children"]


# -- dry run, commit -------------------------------------------------------------------------------------------
def test_a_dry_run_names_each_bad_row(analyst, demo_app, services):
    before = _value(services)
    content = f"KPI ID,Month,Actual\n{KPI},2026-09,{before:g}\n{KPI},2026-08,lots\n".encode()
    token, preview = _uploaded(analyst, demo_app, content)
    shown = _answer(run(analyst, demo_app, "dry", token, preview["suggestion"]))
    assert shown["imports-checked.data"] is None        # rejected rows: no import
    report = shown["imports-report.children"]
    table = next(c for c in _components(report) if c["type"] == "Table")
    cells = [c["props"]["children"] for c in _components(table) if c["type"] == "Td"]
    assert cells == ["3", "Actual", "2026-08", "lots", "not a number"]
    assert "Rows rejected: 1" in texts(json.dumps(report))
    assert _value(services) == before


def test_commit_needs_a_dry_run_of_the_same_file_and_profile(analyst, demo_app, monthly_csv, services, committed):
    token, preview = _uploaded(analyst, demo_app, monthly_csv)
    document = preview["suggestion"]
    refused = _answer(run(analyst, demo_app, "commit", token, document))
    assert "dry run of this file with this profile first" in texts(json.dumps(refused["imports-report.children"]))

    checked = _answer(run(analyst, demo_app, "dry", token, document))
    assert checked["imports-checked.data"]
    assert "no row was rejected" in texts(json.dumps(checked["imports-report.children"]))
    # The Import button opens for that file and profile only.
    check = _key(demo_app, "imports-json-check.children")
    state = [("imports-preview", "data", preview)]
    opened = _answer(call(analyst, _outputs(check), [("imports-json", "value", json.dumps(document)),
                                                    ("imports-checked", "data", checked["imports-checked.data"]),
                                                    ("imports-upload", "data", {"token": token})], state))
    assert opened["imports-commit.disabled"] is False
    changed = {**document, "on_error": "skip"}
    closed = _answer(call(analyst, _outputs(check), [("imports-json", "value", json.dumps(changed)),
                                                    ("imports-checked", "data", checked["imports-checked.data"]),
                                                    ("imports-upload", "data", {"token": token})], state))
    assert closed["imports-commit.disabled"] is True
    assert "dry run of this file" in texts(json.dumps(_answer(run(analyst, demo_app, "commit", token, changed))))

    done = _answer(run(analyst, demo_app, "commit", token, document))
    report = texts(json.dumps(done["imports-report.children"]))
    batch = imports.list_batches(services.warehouse)[0]
    committed.append(batch["id"])
    assert f"Imported as batch #{batch['id']}" in report and "/imports/history" in json.dumps(done)
    assert batch["created_by"] == "analyst" and batch["file_name"] == "monthly.csv" and batch["rows_accepted"] == 1
    assert batch["profile_name"] is None     # no profile was picked or saved, whatever else matches
    assert done["imports-upload.data"] is None
    assert not list(importing.workdir(services).glob(f"{PREFIX}{token}*"))   # the temp file is gone


def test_check_and_import_with_a_saved_profile(analyst, demo_app, monthly_csv, services, committed):
    name = f"pw-{uuid.uuid4().hex[:8]}"
    document = {"shape": "long", "columns": {"kpi_id": "KPI ID", "period": "Month", "value": "Actual", "note": "Note"}}
    assert "saved" in texts(json.dumps(_answer(save(analyst, demo_app, name, document))))
    options = _answer(call(analyst, _outputs(_key(demo_app, "imports-profile.options")),
                           [("imports-saved", "data", name)]))["imports-profile.options"]
    assert name in [o["value"] for o in options] and "boston-cityscore" in [o["value"] for o in options]

    form = _answer(fill(analyst, demo_app, None, profile=name, changed="imports-profile.value"))
    assert form["imports-base.data"] == document and form["imports-map-box.open"] is False

    token, _preview = _uploaded(analyst, demo_app, monthly_csv, profile=name)
    done = _answer(run(analyst, demo_app, "quick", token, document, profile=name))
    batch = imports.list_batches(services.warehouse)[0]
    committed.append(batch["id"])
    assert f"#{batch['id']}" in texts(json.dumps(done["imports-report.children"]))
    assert batch["profile_name"] == name and batch["created_by"] == "analyst"


def test_check_and_import_stops_at_rejected_rows(analyst, demo_app, services):
    token, preview = _uploaded(analyst, demo_app, b"KPI ID,Month,Actual\nviolent-crimes,2026-09,1\n")
    before = imports.list_batches(services.warehouse)[0]["id"]
    shown = _answer(run(analyst, demo_app, "quick", token, preview["suggestion"]))
    assert "not one of yours" in texts(json.dumps(shown["imports-report.children"]))
    assert imports.list_batches(services.warehouse)[0]["id"] == before


@pytest.mark.parametrize("document, expected", [
    ("{not json", "not valid JSON"),
    ('{"shape": "round", "columns": {}}', '"shape" must be "long" or "wide"'),
    ("", "The profile is empty"),
])
def test_profile_problems_are_listed_not_raised(analyst, demo_app, monthly_csv, document, expected):
    token, _preview = _uploaded(analyst, demo_app, monthly_csv)
    assert expected in texts(json.dumps(_answer(run(analyst, demo_app, "dry", token, document))))
    assert expected in texts(json.dumps(_answer(save(analyst, demo_app, "fine-name", document))))


def test_profile_names_follow_the_rule_and_stay_with_their_author(analyst, client_as, demo_app):
    document = {"shape": "long", "columns": {"kpi_id": "k", "period": "p", "value": "v"}}
    assert "lowercase letters" in texts(json.dumps(_answer(save(analyst, demo_app, "Bad Name!", document))))
    name = f"mgr-{uuid.uuid4().hex[:8]}"
    assert "saved" in texts(json.dumps(_answer(save(client_as("manager"), demo_app, name, document))))
    assert "Someone else saved" in texts(json.dumps(_answer(save(analyst, demo_app, name, document))))


def test_a_token_from_another_person_is_refused(analyst, client_as, demo_app, monthly_csv, services):
    token, preview = _uploaded(analyst, demo_app, monthly_csv)
    before = imports.list_batches(services.warehouse)[0]["id"]
    manager = client_as("manager")
    for button in ("dry", "quick", "commit"):
        shown = texts(json.dumps(_answer(run(manager, demo_app, button, token, preview["suggestion"]))))
        assert "belongs to someone else" in shown
    sheet = call(manager, _outputs(_key(demo_app, "imports-upload.data...imports-preview.data")),
                 [("imports-go", "data", None), ("imports-sheet", "value", "Sheet1")],
                 [("imports-file", "contents", None), ("imports-file", "filename", None),
                  ("imports-upload", "data", {"token": token}), ("imports-profile", "value", None)],
                 changed="imports-sheet.value")
    assert "belongs to someone else" in texts(json.dumps(_answer(sheet)))
    assert imports.list_batches(services.warehouse)[0]["id"] == before
    for forged in ("../../secret_key", "x" * 32, None, 7):
        assert "no longer on the server" in texts(json.dumps(_answer(run(analyst, demo_app, "dry", forged,
                                                                          preview["suggestion"]))))


def test_viewers_cannot_call_the_wizard(client_as, demo_app, monthly_csv):
    viewer = client_as("viewer")
    assert upload(viewer, demo_app, monthly_csv).status_code == 403
    assert run(viewer, demo_app, "quick", "x" * 32, {"shape": "long"}).status_code == 403
    assert save(viewer, demo_app, "viewer-profile", {"shape": "long"}).status_code == 403
    assert fill(viewer, demo_app, None).status_code == 403
    assert revert(viewer, demo_app, 1).status_code == 403


def test_old_uploads_are_cleaned_when_a_new_one_arrives(analyst, demo_app, monthly_csv, services):
    import os
    import time

    stale = importing.workdir(services) / f"{PREFIX}{'s' * 32}.data"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    _uploaded(analyst, demo_app, monthly_csv)
    assert not stale.exists()


# -- the form and the profile ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["boston-cityscore", "baltimore-performance"])
def test_the_form_gives_back_the_profile_it_was_filled_from(name):
    document = json.loads((importing.SHIPPED / f"{name}.json").read_text())
    columns = document["columns"]
    shown = import_form.form_from(document)
    fields = {}
    for field in import_form.FORM_FIELDS:
        _options, fields[field] = import_form.field_options(field, [], columns.get(field), {}, "en")
    rules = []
    for rule in shown["rules"]:
        rules.append((rule["pattern"], rule["period"], import_form.kind_options("en", rule["kind"])[1]))
    composed = import_form.compose(document, {
        "shape": shown["shape"], "fields": fields, "rules": rules, "words": {}, "missing": shown["missing"],
        "percent": shown["percent"], "period_format": shown["period_format"], "on_error": shown["on_error"],
        "sheet": None})
    assert composed == document


def test_the_form_writes_columns_constants_rules_and_words():
    base = {"shape": "wide", "columns": {"kpi_id": "Measure ID"}}
    composed = import_form.compose(base, {
        "shape": "wide", "fields": {"kpi_id": "c:Measure ID", "kpi_name": "c:Measure", "value": "c:Value",
                                    "frequency": "v:annual", "direction": "c:Outcome"},
        "rules": [("^FY (\\d{4})$", "FY{1}", "actual"), (None, None, "by-word"), ("^FY (\\d{2}) (Actual|Target)$",
                                                                                  "FY20{1}", "by-word")],
        "words": {"direction": {"More": "up", "Less": None}}, "missing": "NA, -", "percent": "points",
        "period_format": "%d/%m/%Y", "on_error": "skip", "sheet": "Data"})
    assert composed == {
        "shape": "wide", "sheet": "Data", "on_error": "skip", "period_format": "%d/%m/%Y",
        "columns": {"kpi_id": "Measure ID", "kpi_name": "Measure", "frequency": {"value": "annual"},
                    "direction": "Outcome"},
        "wide": [{"pattern": "^FY (\\d{4})$", "period": "FY{1}", "kind": "actual"},
                 {"pattern": "^FY (\\d{2}) (Actual|Target)$", "period": "FY20{1}",
                  "kind": {"Actual": "actual", "Target": "target"}}],
        "values": {"direction": {"More": "up"}, "missing": ["NA", "-"], "percent": "points"}}


def test_the_json_callback_refuses_values_no_form_sends(analyst, demo_app):
    key = _key(demo_app, "imports-json.value")
    entry = demo_app.extensions["dash"].callback_map[key]
    inputs = [(i["id"], i["property"], None) for i in entry["inputs"]]
    inputs[0] = ("imports-shape", "value", "sideways")
    inputs[-1] = ("imports-base", "data", {"shape": "long"})
    response = call(analyst, _outputs(key), inputs, [(s["id"], s["property"], None) for s in entry["state"]])
    assert response.status_code == 204


# -- history and revert -------------------------------------------------------------------------------------------
@pytest.fixture
def other_analyst(demo_app):
    """A second Public Works analyst, who did not make the import."""
    services = demo_app.extensions[EXTENSION]
    username = f"pw{uuid.uuid4().hex[:8]}"
    with demo_app.app_context():
        accounts.create_user(services, username, password=password_of("analyst"), role="analyst",
                             departments=["public-works"], display_name="Second Analyst", actor="tests")
    client = demo_app.test_client()
    sign_in(client, username, password_of("analyst"))
    return client


def _commit(client, demo_app, content, services, committed) -> int:
    token, preview = _uploaded(client, demo_app, content)
    _answer(run(client, demo_app, "quick", token, preview["suggestion"]))
    batch = imports.list_batches(services.warehouse)[0]
    committed.append(batch["id"])
    return batch["id"]


def _revert_buttons(response) -> set[int]:
    return {c["props"]["id"]["index"] for c in _components(_answer(response)["import-history-table.children"])
            if isinstance(c["props"].get("id"), dict)}


def test_history_lists_batches_newest_first_with_revert_for_those_allowed(
        analyst, client_as, other_analyst, demo_app, monthly_csv, services, committed):
    batch = _commit(analyst, demo_app, monthly_csv, services, committed)
    table = _answer(history(client_as("viewer"), demo_app))["import-history-table.children"]
    numbers = [int(c["props"]["children"][1:]) for c in _components(table) if c["type"] == "Th"
               and str(c["props"].get("children", "")).startswith("#")]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == batch and numbers[-1] == 1
    shown = texts(json.dumps(table))
    assert "monthly.csv" in shown and "demo city generator" in shown and "Imported" in shown
    assert _revert_buttons(history(client_as("viewer"), demo_app)) == set()
    assert batch in _revert_buttons(history(analyst, demo_app))
    assert batch not in _revert_buttons(history(other_analyst, demo_app))
    assert batch in _revert_buttons(history(client_as("manager"), demo_app))
    assert 1 not in _revert_buttons(history(client_as("admin"), demo_app))   # the demo seed is not an import


def test_the_importer_reverts_after_confirming(analyst, demo_app, monthly_csv, services, committed):
    batch = _commit(analyst, demo_app, monthly_csv, services, committed)
    asked = _answer(ask_revert(analyst, demo_app, batch))
    assert asked["import-history-confirm.displayed"] is True and asked["import-history-pending.data"] == batch
    assert f"Revert import #{batch} (monthly.csv)?" in asked["import-history-confirm.message"]
    done = _answer(revert(analyst, demo_app, batch))
    assert f"Import #{batch} was reverted" in texts(json.dumps(done))
    assert imports.get_batch(services.warehouse, batch)["status"] == "reverted"
    again = _answer(revert(analyst, demo_app, batch))
    assert "already reverted" in texts(json.dumps(again))


def test_a_manager_reverts_anyone_s_import(analyst, client_as, demo_app, monthly_csv, services, committed):
    batch = _commit(analyst, demo_app, monthly_csv, services, committed)
    done = _answer(revert(client_as("manager"), demo_app, batch))
    assert f"Import #{batch} was reverted" in texts(json.dumps(done))
    assert imports.get_batch(services.warehouse, batch)["reverted_by"] == "manager"


def test_another_analyst_is_refused(analyst, other_analyst, demo_app, monthly_csv, services, committed):
    batch = _commit(analyst, demo_app, monthly_csv, services, committed)
    refused = _answer(revert(other_analyst, demo_app, batch))
    message = refused["import-history-message.children"]["props"]
    assert message["role"] == "alert" and "Only managers, administrators and the person" in message["children"]
    assert imports.get_batch(services.warehouse, batch)["status"] == "committed"


@pytest.mark.parametrize("batch_id", [None, "1", -4, True, 10**9])
def test_revert_checks_the_batch_it_is_sent(analyst, demo_app, batch_id):
    response = revert(analyst, demo_app, batch_id)
    if batch_id == 10**9:
        assert "There is no import" in texts(json.dumps(_answer(response)))
    else:
        assert response.status_code == 204


# -- workbooks ------------------------------------------------------------------------------------------------------
def _xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    """A minimal workbook with inline strings, one worksheet per entry."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cell(ref, text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, len(sheets) + 1))
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'{overrides}</Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        names = "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, name in enumerate(sheets, start=1))
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets>{names}</sheets></workbook>'))
        links = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, len(sheets) + 1))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{links}</Relationships>'))
        for i, rows in enumerate(sheets.values(), start=1):
            body = "".join(f'<row r="{r}">' + "".join(cell(f"{chr(65 + c)}{r}", text) for c, text in enumerate(row))
                           + "</row>" for r, row in enumerate(rows, start=1))
            archive.writestr(f"xl/worksheets/sheet{i}.xml", (
                '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<sheetData>{body}</sheetData></worksheet>'))
    return buffer.getvalue()


WORKBOOK = {"Notes": [["Read me"], ["Exported from the work order system"]],
            "Monthly": [["KPI ID", "Month", "Actual"], [KPI, "2026-09", "34"]]}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_workbook_offers_its_sheets(analyst, demo_app):
    key = _key(demo_app, "imports-upload.data...imports-preview.data")
    shown = _answer(upload(analyst, demo_app, data_url(_xlsx(WORKBOOK), XLSX), name="export.xlsx"))
    preview = shown["imports-preview.data"]
    assert (preview["kind"], preview["sheet"], preview["headers"]) == ("xlsx", "Notes", ["Read me"])
    assert [o["value"] for o in shown["imports-sheet.options"]] == ["Notes", "Monthly"]
    assert shown["imports-sheet-field.hidden"] is False and shown["imports-sheet.value"] == "Notes"

    changed = _answer(call(analyst, _outputs(key),
                           [("imports-go", "data", None), ("imports-sheet", "value", "Monthly")],
                           [("imports-file", "contents", None), ("imports-file", "filename", None),
                            ("imports-upload", "data", shown["imports-upload.data"]),
                            ("imports-profile", "value", None)], changed="imports-sheet.value"))
    preview = changed["imports-preview.data"]
    assert preview["sheet"] == "Monthly" and preview["headers"] == ["KPI ID", "Month", "Actual"]
    assert preview["shape"] == "long"
    missing = _answer(call(analyst, _outputs(key), [("imports-go", "data", None), ("imports-sheet", "value", "Gone")],
                           [("imports-file", "contents", None), ("imports-file", "filename", None),
                            ("imports-upload", "data", shown["imports-upload.data"]),
                            ("imports-profile", "value", None)], changed="imports-sheet.value"))
    assert "no sheet 'Gone'" in texts(json.dumps(missing))


def test_a_saved_profile_opens_its_sheet(analyst, demo_app, services):
    name = f"wb-{uuid.uuid4().hex[:8]}"
    importing.save_profile(services, name, {"shape": "long", "sheet": "Monthly", "columns": {
        "kpi_id": "KPI ID", "period": "Month", "value": "Actual"}}, "analyst")
    shown = _answer(upload(analyst, demo_app, data_url(_xlsx(WORKBOOK), XLSX), name="export.xlsx", profile=name))
    assert shown["imports-preview.data"]["sheet"] == "Monthly" and shown["imports-sheet.value"] == "Monthly"


REAL = importing.SHIPPED.parents[2] / "shared" / "data" / "real" / "baltimore_performance" / "perf_data_export.xlsx"


def test_baltimore_s_export_previews_and_dry_runs_with_the_shipped_profile(client_as, demo_app, services):
    manager = client_as("manager")
    token, preview = _uploaded(manager, demo_app, data_url(REAL.read_bytes(), XLSX), name=REAL.name)
    assert preview["shape"] == "wide" and preview["sheet"] == "query (50)" and preview["row_count"] == 1465
    assert {"pattern": r"^FY ?(\d{2}) (Actual|Target)$", "period": "FY20{1}",
            "kind": {"Actual": "actual", "Target": "target"}} in preview["suggestion"]["wide"]
    assert set(preview["words"]["Desired Outcome"]) >= {"Increase", "Decrease"}
    document = json.loads((importing.SHIPPED / "baltimore-performance.json").read_text())
    before = imports.list_batches(services.warehouse)[0]["id"]
    report = texts(json.dumps(_answer(run(manager, demo_app, "dry", token, document,
                                          profile="baltimore-performance"))))
    assert "Rows with errors, to be skipped" in report
    assert imports.list_batches(services.warehouse)[0]["id"] == before


@pytest.mark.parametrize("forged", [
    "a string", {"headers": "KPI"}, {"headers": ["a"], "rows": [[1]] * 11, "kind": "csv", "row_count": 1},
    {"headers": ["a"], "rows": [], "kind": "csv", "row_count": 1, "encoding": {"props": {}}},
])
def test_a_forged_preview_is_ignored(analyst, demo_app, forged):
    response = call(analyst, _outputs(_key(demo_app, "imports-preview-body")), [("imports-preview", "data", forged)])
    assert response.status_code == 204
    assert fill(analyst, demo_app, forged).status_code == 204
