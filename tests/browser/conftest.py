"""Browser tests: the portal served on a local port, driven in Debian's headless Chromium.

Screenshots land in test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                        "when run as root"
                    )
                )


def _answers_closed_once_sent(app):
    """Every answer closed as soon as its last byte is written, as gunicorn does.

    Werkzeug's development server skips closing an answer when the browser drops the connection
    while the server drains the request (the drain's read raises before `close()`). Two things
    hang on that close: a file answer's file (left open, it fails a later test with a
    ResourceWarning), and the work a view leaves for after its answer, such as delivering the
    e-mail it queued (services/mail.py): a sign-up's confirmation link then never reached the
    outbox, once in CI. So each answer is handed to the server as a generator that closes it
    when the last chunk has been written; and files, which Flask hands to the server's
    `wsgi.file_wrapper`, are read at once, leaving nothing open even if the browser drops the
    connection mid-answer."""

    def read_at_once(file, block_size=8192):
        try:
            return [file.read()]
        finally:
            file.close()

    def served(environ, start_response):
        environ["wsgi.file_wrapper"] = read_at_once
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return served


@pytest.fixture
def live_server(app):
    """The test's app, served by a real HTTP server in a thread."""
    server = make_server("127.0.0.1", 0, _answers_closed_once_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def close_when_loaded(context) -> None:
    """Close a browser context once its pages have finished loading.

    Closing a context while one of its pages is still loading (a test that ends with a click
    that navigates, such as "Sign out") has hung Chromium's `BrowserContext.close` for good,
    and the whole run with it: seen in about one run in eight, on PostgreSQL, where the pages
    answer a little later."""
    for page in context.pages:
        with contextlib.suppress(PlaywrightError):  # one that never loads is closed all the same
            page.wait_for_load_state("load", timeout=10_000)
    context.close()


@pytest.fixture
def new_context(browser):
    """Browser contexts the test makes with options of its own (a phone's viewport, JavaScript
    off), each closed safely once the test is over."""
    made = []

    def make(**options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        made.append(context)
        return context

    yield make
    for context in made:
        close_when_loaded(context)


@pytest.fixture
def page(new_context):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
