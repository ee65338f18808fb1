"""Writing goals (issue #10): web.goals_write and POST/PUT/GET /api/v1/goals. Creating,
editing and nesting goals, cycles refused, archiving and restoring (never deleting), the
versions that say who changed what from what to what, who may write, bad bodies refused
with every problem at once and nothing written, and what an archived goal leaves behind on
the goal page, the overview and the API.

The tests write a lot, so they run on a demo city of their own, never the session's."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from i18n import translate
from metrics import catalog, status, versions
from metrics.access import Scope
from tests.conftest import own_demo_app
from tests.dash_client import call, render_page, texts
from tests.helpers import ORIGIN
from web import audit
from web.goals_write import GoalWriteError, create_goal, goal_record, suggest_id, update_goal

MANAGER = Scope("manager", "manager")
ADMIN = Scope("admin", "admin")
ANALYST = Scope("analyst", "analyst", frozenset({"public-works"}))
VIEWER = Scope("viewer", "viewer")


app, services = own_demo_app("goals", "Goals")


def counts(services) -> tuple[int, int]:
    """(goals, goal versions): what a refused write must leave as it was."""
    return (services.warehouse.query("SELECT count(*) FROM goals").scalar(),
            services.warehouse.query("SELECT count(*) FROM catalogue_versions WHERE item_type = 'goal'").scalar())


def last_event(services, action: str):
    return audit.events(services, action=action, limit=1)[0]


def plain(payload: str) -> str:
    """A Dash answer as plain JSON text (Dash writes "/" as an escape)."""
    return json.dumps(json.loads(payload), ensure_ascii=False)


def goal(services, title: str, **fields) -> dict:
    return create_goal(services, MANAGER, {"title": title, **fields})


# -- creating ------------------------------------------------------------------------------------------------
def test_a_manager_creates_a_goal_with_an_id_made_from_its_title(services):
    created = goal(services, "Safe Routes to São Paulo Schools", owner="Director of Transportation",
                   mayoral_priority=True)
    assert created["id"] == "safe-routes-to-sao-paulo-schools"
    assert created["owner"] == "Director of Transportation" and created["mayoral_priority"] is True
    assert created["archived"] is False and created["parent_id"] is None and created["kpi_count"] == 0
    assert created["id"] in {g["id"] for g in catalog.list_goals(services.warehouse)}
    again = goal(services, "Safe Routes to São Paulo Schools")
    assert again["id"] == "safe-routes-to-sao-paulo-schools-2"     # never two goals with one id
    [first] = versions.history(services.warehouse, "goal", created["id"])
    assert (first["version"], first["action"], first["changed_by"]) == (1, "create", "manager")
    assert first["changes"]["title"] == {"old": None, "new": "Safe Routes to São Paulo Schools"}
    assert first["changes"]["mayoral_priority"] == {"old": None, "new": True}
    event = last_event(services, "goal.create")
    assert (event.actor, event.outcome, event.target) == ("manager", "success", again["id"])


def test_ids_are_made_from_any_title(services):
    assert suggest_id(services, "  Ciudad limpia, verde y saludable!  ") == "ciudad-limpia-verde-y-saludable"
    assert suggest_id(services, "道路") == "goal"
    assert len(suggest_id(services, "word " * 100)) <= 60
    assert suggest_id(services, "Vision Zero") == "vision-zero-2"   # the demo city has vision-zero


def test_a_new_sub_goal_comes_after_its_siblings(services):
    parent = goal(services, "Nesting parent")
    first = goal(services, "Nesting first", parent_id=parent["id"], sort_order=7)
    second = goal(services, "Nesting second", parent_id=parent["id"])
    assert first["parent_id"] == parent["id"] and second["parent_id"] == parent["id"]
    assert second["sort_order"] == 8
    tree = {g["id"]: g["parent_id"] for g in catalog.list_goals(services.warehouse)}
    assert tree[first["id"]] == tree[second["id"]] == parent["id"]


def test_a_goal_is_created_published_through_the_publishing_rule(services):
    created = goal(services, "Published from the start", published=True)
    assert created["published"] is True
    event = last_event(services, "publishing")
    assert (event.outcome, event.target) == ("success", f"goal:{created['id']}")


def test_an_id_that_exists_is_409_archived_goals_included(services):
    archived = goal(services, "Taken id")
    update_goal(services, MANAGER, archived["id"], {"archived": True})
    before = counts(services)
    with pytest.raises(GoalWriteError) as refused:
        create_goal(services, MANAGER, {"id": archived["id"], "title": "Another"})
    assert refused.value.status == 409 and counts(services) == before


# -- editing, nesting, cycles --------------------------------------------------------------------------------
def test_an_edit_is_a_version_with_who_when_old_and_new(services):
    created = goal(services, "Edit me", owner="Parks Director")
    before = datetime.now().replace(microsecond=0)
    result = update_goal(services, ADMIN, created["id"], {"title": "Edited", "owner": None, "sort_order": 3,
                                                           "description": "  Greener parks.  "})
    assert result["changed"] == ["description", "owner", "sort_order", "title"]
    assert result["goal"]["title"] == "Edited" and result["goal"]["owner"] is None
    assert result["goal"]["description"] == "Greener parks."
    latest, first = versions.history(services.warehouse, "goal", created["id"])
    assert (latest["version"], latest["action"], latest["changed_by"]) == (2, "update", "admin")
    assert latest["changed_at"] >= before
    assert latest["changes"] == {"title": {"old": "Edit me", "new": "Edited"},
                                 "owner": {"old": "Parks Director", "new": None},
                                 "sort_order": {"old": first["changes"]["sort_order"]["new"], "new": 3},
                                 "description": {"old": None, "new": "Greener parks."}}
    event = last_event(services, "goal.update")
    assert event.details["before"]["title"] == "Edit me" and event.details["after"]["title"] == "Edited"


def test_an_edit_that_changes_nothing_writes_no_version(services):
    created = goal(services, "Unchanged", owner="Someone")
    result = update_goal(services, MANAGER, created["id"], {"title": "Unchanged ", "owner": "Someone"})
    assert result["changed"] == []
    assert len(versions.history(services.warehouse, "goal", created["id"])) == 1


def test_goals_move_between_parents_and_to_the_top(services):
    one, two = goal(services, "Move parent one"), goal(services, "Move parent two")
    child = goal(services, "Move child", parent_id=one["id"])
    assert update_goal(services, MANAGER, child["id"], {"parent_id": two["id"]})["goal"]["parent_id"] == two["id"]
    assert update_goal(services, MANAGER, child["id"], {"parent_id": None})["goal"]["parent_id"] is None
    changes = [v["changes"]["parent_id"] for v in versions.history(services.warehouse, "goal", child["id"])[:2]]
    assert changes == [{"old": two["id"], "new": None}, {"old": one["id"], "new": two["id"]}]


@pytest.mark.parametrize("which", ["itself", "child", "grandchild"])
def test_a_goal_cannot_sit_under_itself(services, which):
    top = goal(services, f"Cycle top {which}")
    child = goal(services, f"Cycle child {which}", parent_id=top["id"])
    grandchild = goal(services, f"Cycle grandchild {which}", parent_id=child["id"])
    parent = {"itself": top, "child": child, "grandchild": grandchild}[which]
    before = counts(services)
    with pytest.raises(GoalWriteError) as refused:
        update_goal(services, MANAGER, top["id"], {"parent_id": parent["id"]})
    assert refused.value.status == 400 and "cannot sit under itself" in refused.value.problems[0]
    assert counts(services) == before and goal_record(services, top["id"])["parent_id"] is None
    event = last_event(services, "goal.update")
    assert (event.outcome, event.target, event.details["reason"]) == ("failure", top["id"], "invalid")


def test_a_parent_must_exist_and_be_live(services):
    retired = goal(services, "Retired parent")
    update_goal(services, MANAGER, retired["id"], {"archived": True})
    for parent, words in ((retired["id"], "is archived"), ("no-such-goal", "is not a goal")):
        with pytest.raises(GoalWriteError) as refused:
            goal(services, "Orphan", parent_id=parent)
        assert words in refused.value.problems[0]


def test_a_body_with_many_problems_says_them_all_and_writes_nothing(services):
    before = counts(services)
    body = {"title": "  ", "title_es": "x" * 201, "sort_order": 10**6, "mayoral_priority": "yes",
            "parent_id": 5, "colour": "green", "owner": "Two\nlines", "id": "bad id!"}
    with pytest.raises(GoalWriteError) as refused:
        create_goal(services, MANAGER, body)
    problems = " | ".join(refused.value.problems)
    for words in ("'colour'", '"id"', '"title" is required', '"title_es" must be text of at most 200',
                  '"owner" must be one line', '"parent_id" must be the id', '"mayoral_priority" must be true',
                  '"sort_order" must be a whole number from -9999 to 9999'):
        assert words in problems, words
    assert counts(services) == before
    assert last_event(services, "goal.create").outcome == "failure"


@pytest.mark.parametrize("body", [{"sort_order": True}, {"sort_order": 2.5}, {"archived": "true"},
                                  {"id": "new-id"}, {"title": None}, {"description": ["a"]}, {},
                                  {"title": "\ud800"}])
def test_edits_that_cannot_be_used(services, body):
    created = goal(services, f"Bad edit {len(body)} {list(body)}")
    before = counts(services)
    with pytest.raises(GoalWriteError) as refused:
        update_goal(services, MANAGER, created["id"], body)
    assert refused.value.status == 400 and refused.value.problems and counts(services) == before


# -- archiving and restoring ---------------------------------------------------------------------------------
def test_archiving_keeps_the_goal_its_kpis_and_their_data(services):
    created = goal(services, "To be archived", mayoral_priority=True)
    kpi = services.warehouse.query("SELECT id FROM kpis WHERE goal_id = 'reduce-gun-violence' ORDER BY id "
                                   "LIMIT 1").scalar()
    values_before = services.warehouse.query("SELECT count(*) FROM observations WHERE kpi_id = ?", [kpi]).scalar()
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET goal_id = ? WHERE id = ?", [created["id"], kpi])
    result = update_goal(services, MANAGER, created["id"], {"archived": True})
    assert result["changed"] == ["archived"] and result["goal"]["archived"] is True
    assert result["goal"]["archived_by"] == "manager" and result["goal"]["archived_at"] is not None
    assert created["id"] not in {g["id"] for g in catalog.list_goals(services.warehouse)}
    assert created["id"] in {g["id"] for g in catalog.list_goals(services.warehouse, include_archived=True)}
    assert services.warehouse.query("SELECT goal_id FROM kpis WHERE id = ?", [kpi]).scalar() == created["id"]
    assert services.warehouse.query("SELECT count(*) FROM observations WHERE kpi_id = ?",
                                    [kpi]).scalar() == values_before
    assert versions.history(services.warehouse, "goal", created["id"])[0]["action"] == "archive"
    assert last_event(services, "goal.archive").target == created["id"]
    restored = update_goal(services, MANAGER, created["id"], {"archived": False})["goal"]
    assert restored["archived"] is False and restored["archived_at"] is None and restored["kpi_count"] == 1
    assert versions.history(services.warehouse, "goal", created["id"])[0]["action"] == "restore"
    assert last_event(services, "goal.restore").outcome == "success"
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET goal_id = 'reduce-gun-violence' WHERE id = ?", [kpi])


def test_a_goal_with_live_sub_goals_is_not_archived(services):
    parent = goal(services, "Has children")
    child = goal(services, "Live child", parent_id=parent["id"])
    before = counts(services)
    with pytest.raises(GoalWriteError) as refused:
        update_goal(services, MANAGER, parent["id"], {"archived": True})
    assert refused.value.status == 409 and "“Live child”" in refused.value.message("en")
    assert "Live child" in refused.value.problems[0] and counts(services) == before
    assert last_event(services, "goal.archive").outcome == "failure"
    update_goal(services, MANAGER, child["id"], {"archived": True})
    assert update_goal(services, MANAGER, parent["id"], {"archived": True})["goal"]["archived"] is True


def test_restoring_under_an_archived_parent_needs_a_new_parent(services):
    parent = goal(services, "Archived family")
    child = goal(services, "Archived child", parent_id=parent["id"])
    update_goal(services, MANAGER, child["id"], {"archived": True})
    update_goal(services, MANAGER, parent["id"], {"archived": True})
    with pytest.raises(GoalWriteError) as refused:
        update_goal(services, MANAGER, child["id"], {"archived": False})
    assert "restore the parent first" in refused.value.problems[0]
    # An archived goal's other fields can still be corrected, its parent left as it is.
    assert update_goal(services, MANAGER, child["id"], {"title": "Archived child, renamed"})["changed"] == ["title"]
    result = update_goal(services, MANAGER, child["id"], {"archived": False, "parent_id": None})
    assert result["goal"]["archived"] is False and result["goal"]["parent_id"] is None
    assert versions.history(services.warehouse, "goal", child["id"])[0]["changes"] == {
        "archived": {"old": True, "new": False}, "parent_id": {"old": parent["id"], "new": None}}


def test_a_live_goal_under_an_archived_parent_is_never_lost(services):
    """Set up outside the service (an old import could leave it so): the goal stands at the top."""
    parent, child = goal(services, "Lost parent"), goal(services, "Lost child")
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE goals SET parent_id = ? WHERE id = ?", [parent["id"], child["id"]])
        tx.execute("UPDATE goals SET archived = TRUE WHERE id = ?", [parent["id"]])
    listed = {g["id"]: g for g in catalog.list_goals(services.warehouse)}
    assert listed[child["id"]]["parent_id"] is None
    assert catalog.get_goal(services.warehouse, child["id"])["parent_id"] == parent["id"]


# -- who may write -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", [ANALYST, VIEWER, Scope()], ids=["analyst", "viewer", "anonymous"])
def test_only_managers_and_admins_write_goals(services, scope):
    before = counts(services)
    with pytest.raises(GoalWriteError) as refused:
        create_goal(services, scope, {"title": "Not mine"})
    assert refused.value.status == 403
    with pytest.raises(GoalWriteError):
        update_goal(services, scope, "vision-zero", {"archived": True})
    assert counts(services) == before and goal_record(services, "vision-zero")["archived"] is False
    for action in ("goal.create", "goal.archive"):
        event = last_event(services, action)
        assert (event.actor, event.outcome) == (scope.username, "denied")


# -- the API -------------------------------------------------------------------------------------------------
def test_post_creates_a_goal_with_its_location(signed_in, services):
    response = signed_in("manager").post("/api/v1/goals", headers=ORIGIN, json={
        "title": "Clean air", "title_es": "Aire limpio", "parent_id": "clean-green-healthy"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == "/api/v1/goals/clean-air" and body["id"] == "clean-air"
    assert body["parent_id"] == "clean-green-healthy" and body["title_es"] == "Aire limpio"
    assert signed_in("viewer").get("/api/v1/goals/clean-air").get_json() == body


def test_put_changes_archives_and_restores(signed_in, services):
    manager = signed_in("manager")
    manager.post("/api/v1/goals", headers=ORIGIN, json={"id": "api-edit", "title": "API edit"})
    response = manager.put("/api/v1/goals/api-edit", headers=ORIGIN,
                           json={"description": "Now described", "mayoral_priority": True})
    assert response.status_code == 200
    assert response.get_json()["changed"] == ["description", "mayoral_priority"]
    archived = manager.put("/api/v1/goals/api-edit", headers=ORIGIN, json={"archived": True}).get_json()
    assert archived["archived"] is True and archived["archived_by"] == "manager"
    datetime.fromisoformat(archived["archived_at"])
    assert "api-edit" not in {g["id"] for g in signed_in("viewer").get("/api/v1/goals").get_json()}
    assert manager.put("/api/v1/goals/api-edit", headers=ORIGIN, json={"archived": False}).status_code == 200
    history = signed_in("viewer").get("/api/v1/goals/api-edit/history").get_json()
    assert history["goal_id"] == "api-edit"
    assert [v["action"] for v in history["versions"]] == ["restore", "archive", "update", "create"]
    assert history["versions"][1]["changes"] == {"archived": {"old": False, "new": True}}
    assert {"version", "changed_by", "changed_at", "action", "changes"} == set(history["versions"][0])


def test_published_alone_keeps_its_answer_and_mixed_is_400(signed_in):
    manager = signed_in("manager")
    response = manager.put("/api/v1/goals/vision-zero", headers=ORIGIN, json={"published": True})
    assert set(response.get_json()) == {"id", "title", "published", "changed"}
    mixed = manager.put("/api/v1/goals/vision-zero", headers=ORIGIN, json={"published": False, "owner": "X"})
    assert mixed.status_code == 400 and "owner" in mixed.get_json()["error"]
    assert mixed.get_json()["details"]


@pytest.mark.parametrize("method, url, body, status, words", [
    ("post", "/api/v1/goals", {"title": ""}, 400, '"title" is required'),
    ("post", "/api/v1/goals", {"title": "Loop", "parent_id": "nowhere"}, 400, "is not a goal"),
    ("post", "/api/v1/goals", {"id": "vision-zero", "title": "Again"}, 409, None),
    ("put", "/api/v1/goals/no-such-goal", {"title": "x"}, 404, None),
    ("put", "/api/v1/goals/safe-neighborhoods", {"archived": True}, 409, "not archived"),
    ("put", "/api/v1/goals/vision-zero", {"parent_id": "vision-zero"}, 400, "cannot sit under itself"),
    ("put", "/api/v1/goals/vision-zero", {"title": 3, "sort_order": "1"}, 400, '"sort_order"'),
])
def test_api_refusals_say_what_to_fix(signed_in, services, method, url, body, status, words):
    before = counts(services)
    response = getattr(signed_in("admin"), method)(url, headers=ORIGIN, json=body)
    assert response.status_code == status, response.get_json()
    answer = response.get_json()
    assert answer["error"] and (words is None or any(words in d for d in answer["details"])), answer
    assert counts(services) == before


def test_errors_come_in_the_callers_language(signed_in):
    response = signed_in("manager").post("/api/v1/goals", json={"title": "", "sort_order": "x"},
                                         headers={**ORIGIN, "Accept-Language": "es"})
    answer = response.get_json()
    assert response.status_code == 400 and answer["error"].startswith("No se puede guardar el objetivo")
    details = " | ".join(answer["details"])
    assert "es obligatorio" in details and "número entero" in details


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_analysts_and_viewers_get_403_and_it_is_audited(signed_in, services, who):
    before = counts(services)
    for method, url in (("post", "/api/v1/goals"), ("put", "/api/v1/goals/vision-zero")):
        response = getattr(signed_in(who), method)(url, headers=ORIGIN, json={"title": "Mine now"})
        assert response.status_code == 403
        event = last_event(services, "access")
        assert (event.actor, event.outcome) == (who, "denied")
    assert counts(services) == before


def test_anonymous_callers_get_401(app):
    anonymous = app.test_client()
    for method, url in (("post", "/api/v1/goals"), ("put", "/api/v1/goals/vision-zero"),
                        ("get", "/api/v1/goals/vision-zero"), ("get", "/api/v1/goals/vision-zero/history")):
        assert getattr(anonymous, method)(url, headers=ORIGIN, json={"title": "x"}).status_code == 401, url


def test_unknown_goals_are_404_when_read(signed_in):
    viewer = signed_in("viewer")
    for url in ("/api/v1/goals/no-such-goal", "/api/v1/goals/no-such-goal/history", "/api/v1/goals/" + "x" * 300):
        response = viewer.get(url)
        assert response.status_code == 404 and response.get_json()["error"], url


# -- what an archived goal leaves behind ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def archived_with_kpi(services):
    """A goal with one demo KPI, archived by the manager."""
    created = goal(services, "Archived with a KPI")
    kpi = services.warehouse.query("SELECT id, name FROM kpis WHERE goal_id = 'vision-zero' ORDER BY id "
                                   "LIMIT 1").first()
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET goal_id = ? WHERE id = ?", [created["id"], kpi["id"]])
    update_goal(services, MANAGER, created["id"], {"archived": True})
    return created["id"], kpi


def test_the_archived_goal_page_opens_for_staff_and_says_so(signed_in, archived_with_kpi):
    goal_id, kpi = archived_with_kpi
    page = texts(render_page(signed_in("viewer"), f"/goal/{goal_id}"))
    assert "Archived with a KPI" in page and "This goal is archived." in page and "by manager" in page
    assert kpi["name"] in page and "Edit goal" not in page
    managed = render_page(signed_in("manager"), f"/goal/{goal_id}")
    assert "Edit goal" in texts(managed) and f"/goals/manage?goal={goal_id}" in plain(managed)
    assert translate("goal.not_found_title", "en") in texts(render_page(signed_in("viewer"), "/goal/no-such-goal"))


def test_an_archived_goal_page_sorts_its_kpis(signed_in, archived_with_kpi):
    from dashboards.scorecard import DEFAULT_SORT, SORT_KEYS
    goal_id, kpi = archived_with_kpi
    response = call(signed_in("viewer"), [("goal-table", "children"), ("goal-sort", "data")],
                    [(f"goal-sort-{key}", "n_clicks", 1 if key == "name" else 0) for key in SORT_KEYS],
                    state=[("goal-sort", "data", DEFAULT_SORT), ("goal-id", "data", goal_id)],
                    changed="goal-sort-name.n_clicks")
    assert response.status_code == 200 and kpi["name"] in texts(response.get_data(as_text=True))


def test_an_archived_goal_is_gone_from_the_public_site(app, services, signed_in):
    """Published and archived: anonymous visitors see neither it nor its name on its KPIs."""
    created = goal(services, "Public then archived", published=True)
    kpi = services.warehouse.query("SELECT id, goal_id FROM kpis WHERE published AND goal_id = 'end-homelessness' "
                                   "ORDER BY id LIMIT 1").first()
    with services.warehouse.transaction() as tx:
        tx.execute("UPDATE kpis SET goal_id = ? WHERE id = ?", [created["id"], kpi["id"]])
    anonymous = app.test_client()
    assert anonymous.get(f"/public/goals/{created['id']}").status_code == 200
    assert anonymous.get(f"/api/v1/kpis/{kpi['id']}").get_json()["goal_id"] == created["id"]
    update_goal(services, MANAGER, created["id"], {"archived": True})
    try:
        assert anonymous.get(f"/public/goals/{created['id']}").status_code == 404
        assert created["id"] not in {g["id"] for g in anonymous.get("/api/v1/goals").get_json()}
        assert anonymous.get(f"/api/v1/kpis/{kpi['id']}").get_json()["goal_id"] is None
        assert anonymous.get(f"/api/v1/kpis?goal={created['id']}").get_json() == []
        assert f"/public/goals/{created['id']}" not in anonymous.get(f"/public/kpis/{kpi['id']}").get_data(as_text=True)
        assert signed_in("viewer").get(f"/api/v1/kpis/{kpi['id']}").get_json()["goal_id"] == created["id"]
    finally:
        with services.warehouse.transaction() as tx:
            tx.execute("UPDATE kpis SET goal_id = ? WHERE id = ?", [kpi["goal_id"], kpi["id"]])


def test_the_kpis_of_an_archived_goal_stay_in_the_overview_and_the_api(signed_in, services, archived_with_kpi):
    """The decision: a KPI is a live measure whatever its goal; it keeps its goal_id, counts in
    the overview's tiles and list, and links to the archived goal's page. The archived goal has
    no card, no roll-up in GET /goals, and is not offered as a filter."""
    goal_id, kpi = archived_with_kpi
    rows = status.kpi_statuses(services.warehouse, services.calendar, date.today())
    assert next(r for r in rows if r["id"] == kpi["id"])["goal_id"] == goal_id
    assert goal_id not in {g["id"] for g in status.goal_statuses(services.warehouse, services.calendar,
                                                                 date.today(), kpis=rows)}
    viewer = signed_in("viewer")
    overview = render_page(viewer, "/")
    assert f'"/goal/{goal_id}"' not in plain(overview)
    listing = call(viewer, [("overview-kpis", "children"), ("overview-show-all", "hidden")],
                   [("overview-department", "value", None), ("overview-goal", "value", None),
                    ("overview-status", "value", None), ("overview-search", "value", kpi["name"]),
                    ("overview-show-all", "n_clicks", 1)])
    assert listing.status_code == 200 and kpi["name"] in texts(listing.get_data(as_text=True))
    api_kpi = viewer.get(f"/api/v1/kpis/{kpi['id']}").get_json()
    assert api_kpi["goal_id"] == goal_id
    assert goal_id not in {g["id"] for g in viewer.get("/api/v1/goals").get_json()}
    assert kpi["id"] in {k["id"] for k in viewer.get("/api/v1/kpis?limit=1000").get_json()}
    filtered = call(viewer, [("overview-kpis", "children"), ("overview-show-all", "hidden")],
                    [("overview-department", "value", None), ("overview-goal", "value", goal_id),
                     ("overview-status", "value", None), ("overview-search", "value", ""),
                     ("overview-show-all", "n_clicks", 1)])
    assert filtered.status_code == 204   # not a goal one can filter by any more: nothing changes


def test_the_audit_names_every_goal_action(services):
    from i18n import catalogue
    for action in ("goal.create", "goal.update", "goal.archive", "goal.restore"):
        assert f"audit.action.{action}" in catalogue("en")
        assert json.dumps(catalogue("es")[f"audit.action.{action}"])
