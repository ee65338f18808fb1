"""The KPI page in real Chromium: status and forecast tiles, the chart with its tolerance
zone, forecast and prior-year toggle, the fiscal-year-to-date range, the district map and
small multiples (drawn from local files only), downloads, and the page in Spanish."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, screenshot

DISTRICT_KPI = "police-p1-response"


def _ready(page):
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def _legend(page, graph="#kpi-chart"):
    return page.locator(f"{graph} .legendtext").all_text_contents()


def _open(page, kpi_id=DISTRICT_KPI):
    outside = []
    page.on("request", lambda r: not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            and outside.append(r.url))
    page.goto(f"/kpi/{kpi_id}")
    _ready(page)
    page.wait_for_selector("#kpi-chart .main-svg")
    return outside


def test_kpi_page_with_districts(page):
    outside = _open(page)
    tiles = page.locator(".kpi-tiles")
    expect(tiles.locator(".status")).to_be_visible()
    expect(tiles.locator(".trend")).to_be_visible()
    expect(page.locator("#kpi-tile-forecast")).to_contain_text("80 % interval")
    likelihood = page.locator("#kpi-tile-forecast .likelihood").inner_text()
    assert re.fullmatch(r"[✔✖?]\s*Target (likely|unlikely|uncertain)", likelihood), likelihood
    legend = _legend(page)
    for name in ("Actual", "Target", "Tolerance zone (±10 %)", "80 % forecast interval"):
        assert name in legend, legend
    assert any(text.startswith("Forecast to end of FY") for text in legend), legend
    assert page.locator("#kpi-chart-summary").inner_text().startswith("Target-vs-actual chart of 24 periods")
    assert page.locator("#kpi-chart [aria-describedby]").count() == 0   # the wrapper carries it, not plotly
    assert page.locator("[aria-describedby='kpi-chart-summary']").count() == 1

    # The map: ten districts drawn from the city's own boundaries, nothing from the internet.
    page.wait_for_selector("#kpi-district-map .choroplethlayer path")
    assert page.locator("#kpi-district-map .choroplethlayer path").count() == 10
    box = page.locator("#kpi-district-map .choroplethlayer").bounding_box()
    frame = page.locator("#kpi-district-map .main-svg").first.bounding_box()
    assert box["height"] > 0.8 * frame["height"] - 30, (box, frame)   # the city fills its box
    assert page.locator("#kpi-district-lines .xy").count() >= 10 or \
        page.locator("#kpi-district-lines .subplot").count() >= 10
    assert page.locator(".district-table tbody tr").count() == 10
    screenshot(page, "kpi-full-en")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#kpi-breakdown-card").screenshot(path=str(SCREENSHOTS / "kpi-districts-en.png"))

    # Prior year on a toggle: a dotted line, and a column in the table.
    page.get_by_label("Show prior year").check()
    expect(page.locator("#kpi-chart .legendtext", has_text="Prior year")).to_have_count(1)
    expect(page.locator(".values-table thead")).to_contain_text("Prior year")
    page.get_by_label("Show prior year").uncheck()
    expect(page.locator("#kpi-chart .legendtext", has_text="Prior year")).to_have_count(0)

    # Fiscal year to date: July (the city's first month) to the latest month, in chart and table.
    page.get_by_label("Fiscal year to date").check()
    rows = page.locator(".values-table tbody tr")
    expect(rows.last.locator("th")).to_have_text("Jul 2026")
    expect(rows).to_have_count(4)
    expect(page.locator("#kpi-chart-summary")).to_contain_text("of 4 periods")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#kpi-district-map .choroplethlayer path")
    assert not outside, f"requests left the server: {outside}"


def test_downloads_name_the_kpi(page):
    _open(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download data (CSV)").click()
    download = csv_download.value
    assert download.suggested_filename == f"{DISTRICT_KPI}.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert rows and list(rows[0]) == ["period", "value", "target", "target_low", "target_high", "note"]

    page.locator("#kpi-chart").hover()
    with page.expect_download() as png_download:
        page.locator("#kpi-chart .modebar-btn[data-title='Download plot as a PNG']").click()
    assert png_download.value.suggested_filename == f"{DISTRICT_KPI}.png"


@pytest.fixture
def spanish(page, demo_app):
    """The viewer's tab in Spanish; the account forgets the choice afterwards, as it was."""
    from web import accounts
    from web.services import EXTENSION

    page.goto("/lang/es")
    yield page
    services = demo_app.extensions[EXTENSION]
    accounts.set_language(services, accounts.find_account(services, "viewer").id, None)


def test_kpi_page_in_spanish(spanish):
    page = spanish
    _open(page)
    expect(page.locator("#main h1")).to_contain_text("911")
    expect(page.locator(".kpi-tiles")).to_contain_text("Pronóstico al cierre del año")
    legend = _legend(page)
    assert "Resultado" in legend and "Zona de tolerancia (±10 %)" in legend, legend
    expect(page.locator("#kpi-breakdown-card h2")).to_have_text("Por distrito")
    page.wait_for_selector("#kpi-district-map .choroplethlayer path")
    page.get_by_label("Mostrar el año anterior").check()
    expect(page.locator("#kpi-chart .legendtext", has_text="Año anterior")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    screenshot(page, "kpi-full-es")
