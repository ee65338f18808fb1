"""The public site and the embeddable chart (issue #8), through the test client: published
data only, for everyone; one 404 for every id that names nothing published; the embed is
the only response other sites may frame; three languages; filters that never 500."""
from __future__ import annotations

import html
import json
import re

import pytest

from config import ConfigError, load_config
from web.services import EXTENSION

PUBLISHED_KPI = "police-p1-response"          # Police, under Safe Neighborhoods
PUBLISHED_GOAL = "safe-neighborhoods"
SUBGOAL = "zero-waste"                        # a sub-goal of clean-green-healthy
SUBGOAL_KPI = "recycling-diversion"           # published, under zero-waste
CHART_DATA = re.compile(r'<script type="application/json" id="kpi-chart-data" data-chart-for="kpi-chart">(.*?)</script>',
                        re.S)


def _services(demo_app):
    return demo_app.extensions[EXTENSION]


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def flags(demo_app):
    """`flags(table, id, published)`: change a publishing flag (or a KPI name) in the shared
    demo city for one test; everything is put back afterwards, whatever happens."""
    services = _services(demo_app)
    changed = []

    def change(table: str, item_id: str, column: str, value):
        assert (table, column) in {("kpis", "published"), ("goals", "published"), ("kpis", "name")}
        before = services.warehouse.query(f"SELECT {column} FROM {table} WHERE id = ?", [item_id]).scalar()
        changed.append((table, item_id, column, before))
        with services.warehouse.transaction() as tx:
            tx.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [value, item_id])

    yield change
    for table, item_id, column, before in reversed(changed):
        with services.warehouse.transaction() as tx:
            tx.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [before, item_id])


@pytest.fixture(scope="module")
def catalogue(demo_app):
    """Published and unpublished KPIs of the demo city, with their names in every language."""
    rows = _services(demo_app).warehouse.query(
        "SELECT id, name, name_es, name_pt, published, goal_id FROM kpis WHERE NOT archived ORDER BY id").dicts()
    return {"published": [r for r in rows if r["published"]], "unpublished": [r for r in rows if not r["published"]]}


# -- the pages answer, for anyone ---------------------------------------------------------------------
def test_public_pages_answer_anonymous_visitors(anonymous):
    for path, expected in [("/public", "Performance dashboard"), (f"/public/goals/{PUBLISHED_GOAL}", "Safe Neighborhoods"),
                           (f"/public/kpis/{PUBLISHED_KPI}", "Median 911 call-to-arrival time"),
                           (f"/embed/kpis/{PUBLISHED_KPI}", "See the data")]:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/html"
        body = _text(response)
        assert expected in body, path
        assert "City of Riverton" in body and "/_dash-" not in body
        assert response.headers["Cache-Control"] == "public, no-cache"
        again = anonymous.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, path   # unchanged: cheap to ask again


def test_a_new_city_with_nothing_published_gets_a_page_that_says_so(make_app):
    client = make_app().test_client()
    response = client.get("/public")
    assert response.status_code == 200
    body = _text(response)
    assert "No goals are published yet." in body and "No KPIs are published yet." in body
    assert "Your city" in body


def test_public_pages_vary_by_language(anonymous):
    response = anonymous.get("/public")
    assert {"Cookie", "Accept-Language"} <= set(response.vary)


def test_home_lists_goals_with_roll_up_and_every_published_kpi(anonymous, catalogue):
    body = _text(anonymous.get("/public"))
    assert 'href="/public/goals/safe-neighborhoods"' in body and "Mayoral priority" in body
    assert body.count('class="status status-') >= len(catalogue["published"])
    for kpi in catalogue["published"]:
        assert f'href="/public/kpis/{kpi["id"]}"' in body, kpi["id"]
    assert "<caption>Published KPIs, A to Z</caption>" in body
    assert f"Showing {len(catalogue['published'])} of {len(catalogue['published'])} published KPIs." in body
    # statuses in words with an icon, never colour alone
    assert re.search(r'<span class="status status-on_track"><span class="status-icon" aria-hidden="true">✔</span>'
                     r'On track</span>', body)
    assert 'href="/api/v1/openapi.json"' in body and 'href="/login"' in body


def test_goal_page_rolls_up_its_published_kpis_and_sub_goals(anonymous):
    body = _text(anonymous.get("/public/goals/clean-green-healthy"))
    assert "<h1>Clean, Green and Healthy City</h1>" in body
    assert "published KPIs, sub-goals included" in body
    assert 'href="/public/goals/zero-waste"' in body              # its published sub-goal
    assert f'href="/public/kpis/{SUBGOAL_KPI}"' in body           # and that sub-goal's KPIs
    sub = _text(anonymous.get(f"/public/goals/{SUBGOAL}"))
    assert 'href="/public/goals/clean-green-healthy"' in sub      # the breadcrumb names its parent


def test_kpi_page_has_chart_table_methodology_downloads_and_embed_code(anonymous):
    body = _text(anonymous.get(f"/public/kpis/{PUBLISHED_KPI}"))
    spec = json.loads(CHART_DATA.search(body).group(1))
    names = [trace.get("name") for trace in spec["figure"]["data"]]
    assert "Actual" in names and "Target" in names
    assert spec["config"]["displaylogo"] is False
    assert '<figcaption id="chart-summary" class="chart-summary">Target-vs-actual chart of 24 periods' in body
    assert "<caption>Values and targets of Median 911 call-to-arrival time for priority 1 calls, newest first</caption>" in body
    assert body.count('<th scope="row">') >= 24
    for label in ("Description", "Unit", "Direction of good", "Frequency", "Over a year", "Data source", "Methodology",
                  "Owner", "Department", "Goal", "Data due", "Tolerance"):
        assert f"<dt>{label}</dt>" in body, label
    assert "Lower is better" in body and "Duration (minutes)" in body
    assert f'href="/api/v1/kpis/{PUBLISHED_KPI}/observations.csv"' in body
    assert f'href="/api/v1/kpis/{PUBLISHED_KPI}/observations.xlsx"' in body
    snippet = html.unescape(re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    assert snippet.startswith(f'<iframe src="http://localhost/embed/kpis/{PUBLISHED_KPI}" title="Median 911')
    # No inline script: every script is a file of ours or data.
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'type="application/json"' in tag or re.search(r'src="/public/static/[a-z_.]+\?v=', tag), tag
    assert "cdn" not in body.lower()


def test_notes_published_with_the_data_show_in_table_and_chart(anonymous):
    body = _text(anonymous.get("/public/kpis/potholes-repaired"))
    assert '<th scope="col">Note</th>' in body and "Freeze-thaw cycles in late February" in body
    spec = json.loads(CHART_DATA.search(body).group(1))
    assert any(trace.get("name") == "Commentary" for trace in spec["figure"]["data"])
    assert '<th scope="col">Note</th>' not in _text(anonymous.get(f"/public/kpis/{PUBLISHED_KPI}"))  # none in range


def test_embed_has_only_the_chart_and_its_headline(anonymous):
    body = _text(anonymous.get(f"/embed/kpis/{PUBLISHED_KPI}"))
    assert CHART_DATA.search(body)
    assert "Latest: 7.2 minutes (Oct 2026)" in body and "Target: 6.8 minutes" in body
    assert re.search(r'<span class="status status-\w+"><span class="status-icon" aria-hidden="true">.</span>\w', body)
    assert f'<a href="/public/kpis/{PUBLISHED_KPI}" target="_blank" rel="noopener">See the data' in body
    assert "<header" not in body and "<footer" not in body and "lang-switch" not in body


def test_static_files_come_from_this_server(anonymous):
    css = anonymous.get("/public/static/public.css")
    script = anonymous.get("/public/static/public_charts.js")
    plotly_js = anonymous.get("/public/static/plotly.min.js")
    try:
        assert css.status_code == script.status_code == plotly_js.status_code == 200
        assert css.mimetype == "text/css" and "javascript" in plotly_js.mimetype
        assert "Plotly.newPlot" in script.get_data(as_text=True)
        assert plotly_js.headers["Cache-Control"] == "public, max-age=31536000"
        assert len(plotly_js.get_data()) > 1_000_000
    finally:
        for response in (css, script, plotly_js):
            response.close()
    assert anonymous.get("/public/static/..%2Fpublic.py").status_code == 404
    assert anonymous.get("/public/static/nothing.js").status_code == 404
    assert anonymous.get("/public/static/" + "a" * 5000).status_code == 404   # longer than a file name may be


# -- published only, whoever asks ---------------------------------------------------------------------
def test_unpublished_kpi_is_not_found_for_anonymous_and_for_a_manager(anonymous, client_as, catalogue):
    hidden = catalogue["unpublished"][0]["id"]
    manager = client_as("manager")
    for client in (anonymous, manager):
        for path in (f"/public/kpis/{hidden}", f"/embed/kpis/{hidden}"):
            response = client.get(path)
            assert response.status_code == 404, (path, client)
            assert "Page not found" in _text(response)
    assert manager.get(f"/kpi/{hidden}").status_code == 200   # inside, the manager still sees it


def test_unpublished_goal_is_not_found_and_its_kpis_show_no_goal(anonymous, client_as, flags):
    flags("goals", SUBGOAL, "published", False)
    for client in (anonymous, client_as("manager")):
        assert client.get(f"/public/goals/{SUBGOAL}").status_code == 404
        kpi = client.get(f"/public/kpis/{SUBGOAL_KPI}")
        assert kpi.status_code == 200
        for path in (f"/public/kpis/{SUBGOAL_KPI}", f"/embed/kpis/{SUBGOAL_KPI}", "/public",
                     "/public/goals/clean-green-healthy"):
            body = _text(client.get(path))
            assert "Zero Waste Riverton" not in body and "/public/goals/zero-waste" not in body, path
        filtered = client.get(f"/public?goal={SUBGOAL}")
        assert filtered.status_code == 400
        assert "There is no published goal “zero-waste”" in _text(filtered)


def test_unknown_unpublished_and_malformed_ids_get_the_same_page(anonymous, catalogue, flags):
    flags("goals", SUBGOAL, "published", False)
    hidden = catalogue["unpublished"][0]["id"]
    bodies = set()
    for path in (f"/public/kpis/{hidden}", "/public/kpis/no-such-kpi", f"/public/goals/{SUBGOAL}",
                 "/public/goals/no-such-goal", "/public/kpis/..%2F..%2Fapp.py", "/public/kpis/../x",
                 "/public/kpis/" + "x" * 5000, "/public/kpis/%C3%ADndice-%C3%B1", "/public/goals/%3Cscript%3E",
                 f"/embed/kpis/{hidden}", "/embed/kpis/no-such-kpi", "/public/nothing/here", "/embed/kpis/a/b"):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        bodies.add(_text(response))
    assert len(bodies) == 1
    body = bodies.pop()
    assert hidden not in body and "no-such" not in body and "<script>" not in body


def test_no_unpublished_name_appears_on_any_public_page(anonymous, client_as, catalogue):
    """Every public page (home, every goal, every KPI and its embed) in every language, for
    anonymous visitors and a signed-in manager alike, never names an unpublished KPI."""
    names = {html.escape(name) for kpi in catalogue["unpublished"]
             for name in (kpi["name"], kpi["name_es"], kpi["name_pt"]) if name}
    ids = [kpi["id"] for kpi in catalogue["unpublished"]]
    published_text = " ".join(" ".join(filter(None, (k["name"], k["name_es"], k["name_pt"])))
                              for k in catalogue["published"])
    names = {name for name in names if name not in published_text}   # a name inside a published one says nothing
    assert len(names) > 40
    manager = client_as("manager")
    goals = re.findall(r'href="/public/goals/([^"]+)"', _text(anonymous.get("/public")))
    paths = ["/public"] + [f"/public/goals/{g}" for g in set(goals)]
    paths += [f"/public/kpis/{k['id']}" for k in catalogue["published"]]
    paths += [f"/embed/kpis/{k['id']}" for k in catalogue["published"][::5]]
    for language in ("en", "es", "pt"):
        for client in (anonymous, manager) if language == "en" else (anonymous,):
            client.set_cookie("citystat_lang", language)
            for path in paths if language == "en" else paths[:12]:
                response = client.get(path)
                assert response.status_code == 200, path
                body = _text(response)
                leaked = [name for name in names if name in body]
                assert not leaked, (path, language, leaked)
                assert not any(f"/kpis/{kpi_id}\"" in body for kpi_id in ids), path
        anonymous.delete_cookie("citystat_lang")


def test_a_signed_in_person_sees_the_same_public_page(anonymous, client_as):
    count = re.compile(r"Showing (\d+) of (\d+) published KPIs")
    manager = client_as("manager").get("/public")
    assert count.search(_text(manager)).groups() == count.search(_text(anonymous.get("/public"))).groups()
    assert manager.headers["Cache-Control"] == "private, no-cache"   # never in a shared cache


def test_chart_data_cannot_break_out_of_its_script(anonymous, flags):
    flags("kpis", PUBLISHED_KPI, "name", "Response </script><script>alert(1)</script> & <b>time</b>")
    body = _text(anonymous.get(f"/public/kpis/{PUBLISHED_KPI}"))
    assert "<script>alert(1)" not in body and "<b>time</b>" not in body
    assert "Response &lt;/script&gt;&lt;script&gt;alert(1)" in body   # the heading, escaped
    json.loads(CHART_DATA.search(body).group(1))


# -- framing -------------------------------------------------------------------------------------------
def test_only_the_embed_may_be_framed(anonymous, catalogue):
    embed = anonymous.get(f"/embed/kpis/{PUBLISHED_KPI}")
    assert "X-Frame-Options" not in embed.headers
    policy = embed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy and "'unsafe-eval'" not in policy
    assert "X-Frame-Options" not in anonymous.get("/embed/kpis/no-such-kpi").headers   # its 404 reads inside a frame
    for path in ("/public", f"/public/goals/{PUBLISHED_GOAL}", f"/public/kpis/{PUBLISHED_KPI}", "/public/kpis/nope",
                 "/public/static/public.css", "/login", "/", "/api/v1/health", "/lang/es?next=/public",
                 "/embed/kpis/a/b", f"/api/v1/kpis/{PUBLISHED_KPI}"):
        response = anonymous.get(path)
        response.close()
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_embed_origins_come_from_the_setting(make_app):
    server = make_app(embed_origins="https://www.city.gov https://*.city.gov")
    response = server.test_client().get("/embed/kpis/anything")
    assert response.status_code == 404
    assert "frame-ancestors https://www.city.gov https://*.city.gov" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert server.test_client().get("/public").headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("value", ["https://x.gov; script-src *", "javascript:", "https://a.gov\r\nX: y", "'unsafe-inline'"])
def test_embed_origins_refuse_anything_but_sources(value):
    with pytest.raises(ConfigError, match="CITYSTAT_EMBED_ORIGINS must be"):
        load_config({"embed_origins": value}, environ={})


def test_embed_origins_accept_sources_and_none():
    assert load_config(environ={}).embed_origins == "*"
    assert load_config({"embed_origins": "https://a.gov, http://b.gov:8080"}, environ={}).embed_origins == \
        "https://a.gov http://b.gov:8080"
    assert load_config({"embed_origins": "'none'"}, environ={}).embed_origins == "'none'"


# -- languages -----------------------------------------------------------------------------------------
def test_the_language_switch_gives_spanish(anonymous):
    body = _text(anonymous.get("/public"))
    assert 'href="/lang/es?next=/public"' in body and 'hreflang="pt"' in body
    switched = anonymous.get("/lang/es?next=/public/kpis/police-p1-response")
    assert switched.status_code == 302 and switched.headers["Location"] == "/public/kpis/police-p1-response"
    spanish = _text(anonymous.get("/public"))
    assert '<html lang="es">' in spanish and "Tablero de desempeño" in spanish and "Cómo le va a la ciudad" in spanish
    assert "Barrios seguros" in spanish and "Departamento de Policía" in spanish   # the city's own translations
    kpi = _text(anonymous.get(f"/public/kpis/{PUBLISHED_KPI}"))
    assert "Cómo se mide este indicador" in kpi and "Insertar este gráfico" in kpi
    assert f"/embed/kpis/{PUBLISHED_KPI}?lang=es" in kpi       # the embed code keeps the language
    assert '"separators":",."' in kpi                         # numbers in the chart read 7,2
    anonymous.delete_cookie("citystat_lang")


def test_language_follows_the_browser_and_the_embed_takes_lang(anonymous):
    portuguese = _text(anonymous.get("/public", headers={"Accept-Language": "pt-BR,pt;q=0.9"}))
    assert '<html lang="pt">' in portuguese and "Painel de desempenho" in portuguese
    embed = _text(anonymous.get(f"/embed/kpis/{PUBLISHED_KPI}?lang=es"))
    assert "<html lang=\"es\"" in embed and "Ver los datos" in embed
    assert "<html lang=\"en\"" in _text(anonymous.get(f"/embed/kpis/{PUBLISHED_KPI}?lang=xx"))


def test_the_language_links_of_a_filtered_page_come_back_to_it(anonymous):
    body = _text(anonymous.get("/public?department=police&goal="))
    assert 'href="/lang/es?next=/public%3Fdepartment%3Dpolice%26goal%3D"' in body


# -- filters -------------------------------------------------------------------------------------------
def _listed(body: str) -> set[str]:
    table = body.split('<table class="kpi-table kpi-list">', 1)[1] if "kpi-list" in body else ""
    return set(re.findall(r'href="/public/kpis/([^"]+)"', table))


def test_filter_by_department_and_goal(anonymous, demo_app):
    services = _services(demo_app)
    police = {r["id"] for r in services.warehouse.query(
        "SELECT id FROM kpis WHERE department_id = 'police' AND published AND NOT archived").dicts()}
    assert _listed(_text(anonymous.get("/public?department=police"))) == police
    safe = _listed(_text(anonymous.get("/public?goal=safe-neighborhoods")))
    assert "homicides" in safe and PUBLISHED_KPI in safe                       # sub-goal KPIs count too
    both = _listed(_text(anonymous.get("/public?goal=reduce-gun-violence&department=police")))
    assert both and both <= police and both <= safe
    body = _text(anonymous.get("/public?department=police"))
    assert '<option value="police" selected>' in body and "Show all" in body


@pytest.mark.parametrize("query, message", [
    ("department=made-up", "There is no published department “made-up”"),
    ("goal=%3Cscript%3E", "There is no published goal “&lt;script&gt;”"),
    ("department=" + "d" * 500, "There is no published department “" + "d" * 80 + "”"),
    ("goal=%C3%B1and%C3%BA", "There is no published goal “ñandú”"),
])
def test_unknown_filters_say_so_and_list_everything(anonymous, catalogue, query, message):
    response = anonymous.get(f"/public?{query}")
    assert response.status_code == 400
    body = _text(response)
    assert message in body and 'role="alert"' in body
    assert len(_listed(body)) == len(catalogue["published"])


def test_the_sign_in_page_links_to_the_public_site(anonymous):
    assert 'href="/public"' in _text(anonymous.get("/login"))
