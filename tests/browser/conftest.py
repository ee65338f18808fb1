"""Real-browser fixtures: the demo app served on a free loopback port, Debian's Chromium
driven by Playwright, pages that fail the test on any console error, and screenshots
saved to test-artifacts/screenshots/ (git-ignored) for people to look at."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = os.environ.get("CITYSTAT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per asset would bury the test report
        pass


@pytest.fixture(scope="session")
def live_server(demo_app):
    server = make_server("127.0.0.1", 0, demo_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` "
                    "(.ci/run does this) — browser tests must run, not skip.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Problems:
    """Console errors, uncaught exceptions and failed app requests seen by one page."""

    def __init__(self):
        self.items: list[str] = []

    def watch(self, page, base_url: str):
        page.on("console", lambda m: m.type == "error" and self.items.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.items.append(f"page error: {e}"))
        page.on("response", lambda r: r.url.startswith(base_url) and r.status >= 400
                and self.items.append(f"HTTP {r.status} {r.url}"))


def _forget_language(demo_app, username: str) -> None:
    from web import accounts
    from web.services import EXTENSION

    services = demo_app.extensions[EXTENSION]
    accounts.set_language(services, accounts.find_account(services, username).id, None)


def sign_in(tab, username: str) -> None:
    """Sign in through the login form, as a person would."""
    from tests.conftest import password_of

    tab.goto("/login")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password_of(username))
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_selector("#main h1")


@pytest.fixture
def page_as(browser, live_server, demo_app):
    """`page_as("analyst")`: a browser tab signed in as that demo person (None: anonymous).
    Each tab fails its test on console errors, page errors or failed requests."""
    opened = []

    def open_tab(username: str | None):
        context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900},
                                      locale="en-US")
        tab = context.new_page()
        tab.problems = Problems()
        tab.username = username
        tab.problems.watch(tab, live_server)
        opened.append((context, tab))
        if username:
            _forget_language(demo_app, username)   # a test that switched language must not leak it
            sign_in(tab, username)
        return tab

    yield open_tab
    problems = [item for _, tab in opened for item in tab.problems.items]
    for context, tab in opened:
        context.close()
        if tab.username:   # nor may it leak into the HTTP tests that run after it
            _forget_language(demo_app, tab.username)
    assert not problems, "the page reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(page_as):
    """A tab signed in as the demo viewer."""
    return page_as("viewer")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
