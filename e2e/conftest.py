import shutil

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kabinet.demo.data import load_demo

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser on our machines."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run `make browser` (Debian package chromium).")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def page(page):
    """pytest-playwright's page, whose screenshot is tried again once when headless Chromium has
    no frame to capture yet («Unable to capture screenshot», seen in CI right after a page
    opened on a busy machine): the screenshots are for people to look at, not what a test
    checks."""
    take = page.screenshot

    def screenshot(**options):
        try:
            return take(**options)
        except PlaywrightError as error:
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_timeout(500)
            return take(**options)

    page.screenshot = screenshot
    return page


@pytest.fixture
def site(live_server, transactional_db, page):
    """The portal served for the browser, with a clean database."""
    page.set_default_timeout(10_000)
    return live_server.url


@pytest.fixture
def demo(site):
    """The portal served with the demo loaded (a browser test's server needs committed data:
    the demo is loaded for each test)."""
    load_demo()
    return site


def sign_in(page, site, username, password, remember=False):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(password)
    if remember:
        page.get_by_label("Запомнить?").check()
    page.get_by_role("button", name="Войти").click()


def sign_out(page):
    page.locator("summary", has_text="Разделы").click()
    page.get_by_role("button", name="Выход").first.click()
    expect(page.get_by_role("button", name="Войти")).to_be_visible()


def assert_fits_width(page):
    """Nothing wider than the screen: no horizontal scrolling.

    Waits for the page a click has just opened to load: measured mid-navigation, the document
    has no root element yet.
    """
    page.wait_for_load_state()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
