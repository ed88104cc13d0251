"""A real browser (Debian's chromium driven by Playwright) against the whole system as
`make run` starts it. Never `playwright install`: the browser comes from Debian."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from deploy.stack import Stack

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def stack():
    home = Path(tempfile.mkdtemp(prefix="amparo-browser-"))
    stack = Stack(home)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        log = home / "logs" / "console.log"
        if log.exists():  # shown by pytest only when a test failed
            print(log.read_text()[-4000:])
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root chromium refuses its sandbox; the tests run only our own pages.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone(browser):
    """A 360 px wide page, as on an old phone."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="es-419")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
