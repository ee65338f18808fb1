"""The public site in real Chromium, as a resident sees it without signing in: the home page,
a KPI page whose chart plotly.js draws from this server's own files, the embeddable chart
inside an iframe of a page on another origin, and the Spanish version; at a laptop's width
and a phone's. Screenshots go to test-artifacts/screenshots/public-*.png."""
from __future__ import annotations

import html
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

KPI = "police-p1-response"
PHONE = {"width": 390, "height": 844}


def _outside_requests(tab, base_url: str) -> list[str]:
    """Requests leaving this server (a CDN, say), collected as the tab loads."""
    outside = []
    tab.on("request", lambda r: not r.url.startswith((base_url, "data:", "blob:")) and outside.append(r.url))
    return outside


def _no_sideways_table(tab, name: str) -> None:
    wide = tab.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(w => w.scrollWidth > w.clientWidth + 1).length""")
    assert not wide, f"{name}: a table scrolls sideways at {tab.viewport_size['width']}px"


def _both_widths(tab, name: str) -> None:
    if tab.locator(".kpi-list").count():
        _no_sideways_table(tab, name)
    screenshot(tab, f"{name}-1366")
    tab.set_viewport_size(PHONE)
    tab.wait_for_timeout(600)   # plotly redraws to the new width (public_charts.js waits 150 ms)
    screenshot(tab, f"{name}-390")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page scrolls sideways on a phone ({width}px)"
    tab.set_viewport_size({"width": 1366, "height": 900})


def test_home_page(page_as, live_server):
    tab = page_as(None)
    outside = _outside_requests(tab, live_server)
    tab.goto("/public")
    expect(tab.locator("h1")).to_have_text("How the city is doing")
    expect(tab.locator(".public-brand")).to_contain_text("City of Riverton")
    assert tab.locator(".goal-card").count() >= 6
    expect(tab.locator(".goal-card .status").first).to_be_visible()
    rows = tab.locator(".kpi-list tbody tr")
    assert rows.count() > 40
    _both_widths(tab, "public-home-en")
    # Keyboard first: the skip link is the first stop and shows itself.
    tab.keyboard.press("Tab")
    expect(tab.locator(".skip-link")).to_be_focused()
    assert tab.locator(".skip-link").bounding_box()["x"] >= 0

    tab.get_by_label("Department").select_option("police")
    tab.get_by_role("button", name="Show", exact=True).click()
    tab.wait_for_url("**/public?department=police&goal=*")
    assert 0 < rows.count() < 10
    expect(tab.get_by_role("status").first).to_contain_text("published KPIs")
    assert not outside, outside


def test_kpi_page_draws_its_chart_offline(page_as, live_server):
    tab = page_as(None)
    outside = _outside_requests(tab, live_server)
    tab.goto("/public")
    tab.get_by_role("link", name="Median 911 call-to-arrival time for priority 1 calls").click()
    tab.wait_for_selector("#kpi-chart .main-svg")
    legend = tab.locator("#kpi-chart .legendtext").all_text_contents()
    assert "Actual" in legend and "Target" in legend, legend
    expect(tab.locator("#chart-summary")).to_contain_text("Target-vs-actual chart of 24 periods")
    expect(tab.locator(".values-table caption")).to_contain_text("newest first")
    expect(tab.locator(".tiles .status")).to_be_visible()
    # The copy button appears with the script, and says what happened.
    tab.get_by_role("button", name="Copy code").click()
    expect(tab.locator("#embed-copy-message")).to_contain_text("Cop")
    _both_widths(tab, "public-kpi-en")
    tab.set_viewport_size(PHONE)
    tab.wait_for_timeout(600)
    assert tab.locator("#kpi-chart .xtick").count() <= 5   # few enough period labels to read
    chart = tab.locator("#kpi-chart .main-svg").first.bounding_box()
    assert chart["width"] <= PHONE["width"], chart
    assert not outside, outside


@pytest.fixture
def other_site(live_server):
    """A page on another origin (another port, and `localhost` rather than 127.0.0.1) that
    embeds the chart the way a city's web editor would: with the code the KPI page offers."""
    with urlopen(f"{live_server}/public/kpis/{KPI}") as response:
        offered = response.read().decode()
    snippet = html.unescape(re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', offered, re.S).group(1))
    assert snippet.startswith(f'<iframe src="{live_server}/embed/kpis/{KPI}"'), snippet
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>City news</title></head>'
            f'<body><h1>Response times this month</h1>{snippet}</body></html>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):   # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/news"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_embed_inside_another_sites_page(page_as, other_site):
    tab = page_as(None)
    tab.goto(other_site)
    frame = tab.frame_locator("iframe")
    frame.locator("#kpi-chart .main-svg").first.wait_for()
    expect(frame.locator("h1")).to_have_text("Median 911 call-to-arrival time for priority 1 calls")
    expect(frame.locator(".status")).to_be_visible()
    link = frame.get_by_role("link", name="See the data")
    expect(link).to_have_attribute("target", "_blank")
    screenshot(tab, "public-embed-other-site")
    tab.set_viewport_size(PHONE)
    tab.wait_for_timeout(600)
    screenshot(tab, "public-embed-other-site-390")


def test_spanish_version(page_as, live_server):
    tab = page_as(None)
    tab.goto("/public")
    tab.get_by_role("link", name="Español").click()
    expect(tab.locator("h1")).to_have_text("Cómo le va a la ciudad")
    expect(tab.locator("html")).to_have_attribute("lang", "es")
    expect(tab.locator(".public-brand")).to_contain_text("Tablero de desempeño")
    _both_widths(tab, "public-home-es")
    tab.goto(f"/public/kpis/{KPI}")
    tab.wait_for_selector("#kpi-chart .main-svg")
    legend = tab.locator("#kpi-chart .legendtext").all_text_contents()
    assert "Real" in legend or any("Meta" in item for item in legend), legend
    expect(tab.locator("#method-heading")).to_have_text("Cómo se mide este indicador")
    _both_widths(tab, "public-kpi-es")
    tab.goto(f"/public/goals/{'safe-neighborhoods'}")
    expect(tab.locator("h1")).to_have_text("Barrios seguros")
    expect(tab.locator(".subgoal-list")).to_contain_text("Reducir la violencia armada")
    _both_widths(tab, "public-goal-es")
