"""The goals page (/goals/manage) through the Flask test client: who opens it, what its
callbacks show and do when called as a browser (or anyone) can call them, and that every
rule stays web.goals_write's. On a demo city of its own: the callbacks write."""
from __future__ import annotations

import json

import pytest

from i18n import translate
from metrics import catalog, versions
from tests.conftest import own_demo_app
from tests.dash_client import _output_key, render_page, texts
from tests.helpers import ORIGIN

P = "goals-manage-"
TEXTS = ("title", "title_es", "title_pt", "description", "description_es", "description_pt", "owner")
SHOW = [(P + "tree", "children"), (P + "archived", "children"), (P + "form-heading", "children"),
        (P + "form-note", "children"), (P + "id", "value"), (P + "id", "disabled"),
        *[(P + name, "value") for name in TEXTS], (P + "parent", "options"), (P + "parent", "value"),
        (P + "priority", "value"), (P + "order", "value"), (P + "save", "children"), (P + "archive", "hidden"),
        (P + "archive", "children"), (P + "archive", "className"), (P + "open", "children"),
        (P + "history", "children")]
ACT = [(P + "message", "children"), (P + "state", "data")]
ASK = [(P + "confirm", "displayed"), (P + "confirm", "message"), (P + "pending", "data")]
FORBIDDEN = translate("guard.forbidden_title", "en")


app, services = own_demo_app("goals-page", "Page")


def post(client, outputs, inputs, state=(), changed=None, headers=None):
    """POST one callback; `inputs` and `state` as Dash sends them (a list for a pattern)."""
    body = {"output": _output_key(outputs),
            "outputs": [{"id": cid, "property": prop} for cid, prop in outputs],
            "inputs": list(inputs), "state": list(state), "changedPropIds": [changed] if changed else []}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={**ORIGIN, **(headers or {})})


def value(cid: str, prop: str, v):
    return {"id": cid, "property": prop, "value": v}


def show(client, goal=None, headers=None):
    return post(client, SHOW, [value(P + "state", "data", {"goal": goal, "n": 0})],
                changed=P + "state.data", headers=headers)


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def form(**given) -> list[dict]:
    """The form's states: the new-goal id, the fields, then the page's state and pending action."""
    fields = {"id": "", **{name: "" for name in TEXTS}, "parent": None, "priority": [], "order": None, **given}
    return ([value(P + "id", "value", fields["id"])]
            + [value(P + name, "value", fields[name]) for name in TEXTS]
            + [value(P + "parent", "value", fields["parent"]), value(P + "priority", "value", fields["priority"]),
               value(P + "order", "value", fields["order"]),
               value(P + "state", "data", given.get("state", {"goal": None, "n": 0})),
               value(P + "pending", "data", given.get("pending"))])


def act(client, trigger: str, *, picks=(), clicks=1, **fields):
    """The act callback as a browser sends it when `trigger` ("save", "new", "confirm", or
    "pick:<goal id>") fired."""
    pick_inputs = [value({"index": g, "type": P + "pick"}, "n_clicks", clicks if trigger == f"pick:{g}" else 0)
                   for g in picks]
    inputs = [pick_inputs, value(P + "new", "n_clicks", clicks if trigger == "new" else 0),
              value(P + "save", "n_clicks", clicks if trigger == "save" else 0),
              value(P + "confirm", "submit_n_clicks", clicks if trigger == "confirm" else None)]
    if trigger.startswith("pick:"):
        changed = json.dumps({"index": trigger[5:], "type": P + "pick"}, separators=(",", ":")) + ".n_clicks"
    else:
        changed = P + ("confirm.submit_n_clicks" if trigger == "confirm" else f"{trigger}.n_clicks")
    return post(client, ACT, inputs, form(**fields), changed=changed)


def ask(client, state, *, archive_clicks=1, restore=None):
    inputs = [value(P + "archive", "n_clicks", archive_clicks if restore is None else 0),
              [value({"index": restore, "type": P + "restore"}, "n_clicks", 1)] if restore else []]
    changed = (json.dumps({"index": restore, "type": P + "restore"}, separators=(",", ":")) + ".n_clicks"
               if restore else P + "archive.n_clicks")
    return post(client, ASK, inputs, [value(P + "state", "data", state)], changed=changed)


def goal_count(services) -> int:
    return services.warehouse.query("SELECT count(*) FROM goals").scalar()


# -- who opens it ----------------------------------------------------------------------------------------------
def test_managers_and_admins_open_the_page(signed_in):
    for who in ("manager", "admin"):
        page = texts(render_page(signed_in(who), "/goals/manage"))
        assert "The city's goals" in page and "New goal" in page and FORBIDDEN not in page


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_analysts_and_viewers_get_the_not_available_page_and_no_callbacks(signed_in, services, who):
    client = signed_in(who)
    assert FORBIDDEN in texts(render_page(client, "/goals/manage"))
    assert show(client, "vision-zero").status_code == 403
    before = goal_count(services)
    assert act(client, "save", title="Analyst goal").status_code == 403
    assert goal_count(services) == before


# -- what it shows ------------------------------------------------------------------------------------------------
def test_the_tree_nests_sub_goals_and_the_form_shows_the_goal(signed_in):
    shown = answer(show(signed_in("manager"), "vision-zero"))
    tree = json.dumps(shown[P + "tree"]["children"], ensure_ascii=False)
    assert tree.index("Reliable Streets and Infrastructure") < tree.index("Vision Zero: end traffic deaths")
    assert "goals-tree-item depth-1 selected" in tree and "Mayoral priority" in tree
    assert shown[P + "form-heading"]["children"] == "Edit “Vision Zero: end traffic deaths”"
    assert shown[P + "id"] == {"value": "vision-zero", "disabled": True}
    assert shown[P + "parent"]["value"] == "reliable-streets"
    offered = {o["value"] for o in shown[P + "parent"]["options"]}
    assert "vision-zero" not in offered and "reliable-streets" in offered      # not itself
    assert shown[P + "archive"] == {"hidden": False, "children": "Archive goal…", "className": "button danger"}


def test_a_parent_is_never_offered_its_own_sub_goals(signed_in):
    shown = answer(show(signed_in("manager"), "reliable-streets"))
    offered = {o["value"] for o in shown[P + "parent"]["options"]}
    assert "vision-zero" not in offered and "reliable-streets" not in offered and "safe-neighborhoods" in offered
    label = next(o["label"] for o in answer(show(signed_in("manager"), "safe-neighborhoods"))[P + "parent"]["options"]
                 if o["value"] == "vision-zero")
    assert label == "Vision Zero: end traffic deaths ‹ Reliable Streets and Infrastructure"


def test_a_new_goal_has_an_empty_form_and_an_unknown_one_says_so(signed_in):
    new = answer(show(signed_in("manager")))
    assert new[P + "form-heading"]["children"] == "New goal" and new[P + "archive"]["hidden"] is True
    assert new[P + "title"]["value"] == "" and new[P + "id"]["disabled"] is False
    unknown = answer(show(signed_in("manager"), "no-such-goal"))
    assert "There is no goal no-such-goal" in json.dumps(unknown[P + "form-note"])


def test_the_page_speaks_spanish(signed_in):
    shown = answer(show(signed_in("manager"), "vision-zero", headers={"Accept-Language": "es"}))
    # The signed-in person's choice wins over the browser's; the manager has none.
    assert shown[P + "form-heading"]["children"] == "Editar “Visión Cero: acabar con las muertes en el tránsito”"
    assert shown[P + "save"]["children"] == "Guardar cambios"


# -- what it does -------------------------------------------------------------------------------------------------
def test_creating_editing_and_the_history_through_the_form(signed_in, services):
    manager = signed_in("manager")
    created = answer(act(manager, "save", title="Safe Routes to School", parent="vision-zero", order=4,
                         priority=["yes"]))
    assert created[P + "state"]["data"] == {"goal": "safe-routes-to-school", "n": 1}
    assert "Created the goal “Safe Routes to School”" in json.dumps(created[P + "message"], ensure_ascii=False)
    assert '"role": "status"' in json.dumps(created[P + "message"])
    stored = catalog.get_goal(services.warehouse, "safe-routes-to-school")
    assert (stored["parent_id"], stored["sort_order"], stored["mayoral_priority"]) == ("vision-zero", 4, True)
    state = {"goal": "safe-routes-to-school", "n": 1}
    edited = answer(act(manager, "save", state=state, title="Safe Routes to School", parent="vision-zero",
                        order=4, priority=["yes"], owner="Director of Transportation", title_es="Caminos seguros"))
    assert "Saved the changes" in json.dumps(edited[P + "message"])
    [latest, _first] = versions.history(services.warehouse, "goal", "safe-routes-to-school")
    assert latest["changes"] == {"title_es": {"old": None, "new": "Caminos seguros"},
                                 "owner": {"old": None, "new": "Director of Transportation"}}
    history = json.dumps(answer(show(manager, "safe-routes-to-school"))[P + "history"], ensure_ascii=False)
    assert "\"Owner\"" in history and "Director of Transportation" in history and "manager" in history
    assert "Vision Zero: end traffic deaths" in history    # the parent named by its title, not its id
    again = answer(act(manager, "save", state=state, title="Safe Routes to School", parent="vision-zero", order=4,
                       priority=["yes"], owner="Director of Transportation", title_es="Caminos seguros"))
    assert "Nothing to save" in json.dumps(again[P + "message"])


def test_a_form_that_cannot_be_saved_says_why_and_writes_nothing(signed_in, services):
    before = goal_count(services)
    refused = answer(act(signed_in("manager"), "save", title="", order=10**7))
    text = json.dumps(refused[P + "message"])
    assert '"role": "alert"' in text and "title" in text and "sort_order" in text
    assert P + "state" not in refused and goal_count(services) == before


def test_a_goal_cannot_be_moved_under_its_sub_goal_through_the_form(signed_in, services):
    state = {"goal": "reliable-streets", "n": 0}
    refused = answer(act(signed_in("admin"), "save", state=state, title="Reliable Streets and Infrastructure",
                         parent="vision-zero"))
    assert "cannot sit under itself" in json.dumps(refused[P + "message"])
    assert catalog.get_goal(services.warehouse, "reliable-streets")["parent_id"] is None


def test_archive_and_restore_are_confirmed_first(signed_in, services):
    manager = signed_in("manager")
    answer(act(manager, "save", title="Short-lived goal"))
    state = {"goal": "short-lived-goal", "n": 1}
    asked = answer(ask(manager, state))
    assert asked[P + "confirm"]["displayed"] is True and "Archive the goal “Short-lived goal”" in \
        asked[P + "confirm"]["message"]
    assert asked[P + "pending"]["data"] == {"goal": "short-lived-goal", "archived": True}
    assert catalog.get_goal(services.warehouse, "short-lived-goal")["archived"] is False   # asked, not done
    done = answer(act(manager, "confirm", state=state, pending=asked[P + "pending"]["data"]))
    assert "Archived the goal" in json.dumps(done[P + "message"])
    assert catalog.get_goal(services.warehouse, "short-lived-goal")["archived"] is True
    shown = answer(show(manager, "short-lived-goal"))
    assert "This goal is archived." in json.dumps(shown[P + "form-note"])
    assert "Archived goals (1)" in json.dumps(shown[P + "archived"], ensure_ascii=False)
    asked = answer(ask(manager, state, restore="short-lived-goal"))
    assert asked[P + "pending"]["data"] == {"goal": "short-lived-goal", "archived": False}
    answer(act(manager, "confirm", state=state, pending=asked[P + "pending"]["data"]))
    assert catalog.get_goal(services.warehouse, "short-lived-goal")["archived"] is False


def test_archiving_a_goal_with_sub_goals_is_refused_on_the_page(signed_in, services):
    refused = answer(act(signed_in("manager"), "confirm", state={"goal": "reliable-streets", "n": 0},
                         pending={"goal": "reliable-streets", "archived": True}))
    text = json.dumps(refused[P + "message"], ensure_ascii=False)
    assert '"role": "alert"' in text and "Vision Zero: end traffic deaths" in text
    assert catalog.get_goal(services.warehouse, "reliable-streets")["archived"] is False


def test_picking_a_goal_and_new_only_on_real_clicks(signed_in):
    manager = signed_in("manager")
    picked = answer(act(manager, "pick:vision-zero", picks=["vision-zero", "reliable-streets"]))
    assert picked[P + "state"]["data"] == {"goal": "vision-zero", "n": 1}
    assert answer(act(manager, "new", state={"goal": "vision-zero", "n": 3}))[P + "state"]["data"] == \
        {"goal": None, "n": 4}
    # Buttons that merely appeared (a redrawn tree) send no click: nothing happens.
    assert act(manager, "pick:vision-zero", picks=["vision-zero"], clicks=0).status_code == 204


@pytest.mark.parametrize("state", [None, "vision-zero", {"goal": 5, "n": 0}, {"goal": "x" * 300, "n": 0},
                                   {"goal": "vision-zero"}])
def test_state_the_browser_made_up_changes_nothing(signed_in, services, state):
    manager = signed_in("manager")
    before = goal_count(services)
    assert post(manager, SHOW, [value(P + "state", "data", state)], changed=P + "state.data").status_code == 204
    assert act(manager, "save", state=state, title="Made up").status_code == 204
    assert goal_count(services) == before


def test_a_made_up_pending_change_changes_nothing(signed_in, services):
    for pending in (None, {"goal": "vision-zero"}, {"goal": "vision-zero", "archived": "yes"}, ["vision-zero"]):
        response = act(signed_in("manager"), "confirm", state={"goal": "vision-zero", "n": 0}, pending=pending)
        assert response.status_code == 204, pending
    assert catalog.get_goal(services.warehouse, "vision-zero")["archived"] is False
