"""Browser fixtures: the session app served on loopback, driven by the system Chromium.

Playwright's own browser downloads are never used: Debian's /usr/bin/chromium (override
with HC_CHROMIUM) is launched headless. Screenshots go to test-artifacts/screenshots/
(gitignored): on demand through ``screenshot(name)`` and automatically when a test fails.
"""
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("HC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]

TIMEOUT_MS = 10_000  # generous for a loaded CI machine; a passing run never waits for it

# Reports every CSP violation of the page to Python (bindings and init scripts are
# installed by the DevTools protocol, so the page's own CSP does not block them).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__hcReportCsp({directive: e.effectiveDirective || e.violatedDirective,
                        blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
                        page: document.location.href});
});
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the session app, served from a background thread."""
    server = LiveServer(app).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (set HC_CHROMIUM)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, uncaught page errors and CSP violations seen during a test."""

    def __init__(self):
        self.console_errors = []
        self.page_errors = []
        self.csp_violations = []

    def all(self):
        return ([f"console: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"CSP violation: {v}" for v in self.csp_violations])

    def assert_none(self):
        problems = self.all()
        assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def browser_context(browser, page_problems):
    """A fresh context (cookies, storage) per test, in Chinese as the bureau's users."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding("__hcReportCsp",
                           lambda source, data: page_problems.csp_violations.append(data))
    context.add_init_script(_CSP_LISTENER)
    yield context
    context.close()


@pytest.fixture
def page(request, browser_context, page_problems):
    page = browser_context.new_page()

    def on_console(message):
        if message.type == "error":
            page_problems.console_errors.append(f"{message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page_problems.page_errors.append(str(error)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            _save(page, _slug(request.node.name) + "-failure")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _save(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (name if name.endswith(".png") else name + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(page):
    """``screenshot("home-zh")`` saves test-artifacts/screenshots/home-zh.png."""
    return lambda name: _save(page, name)


@pytest.fixture
def demo_data(app, monkeypatch):
    """The demo cast (`flask seed-demo`), committed so the served app sees it.

    The eleven accounts share one password: hash it once per run (real scrypt, reused),
    not eleven times per test. Signing in still checks it the real way."""
    from marketplace.demo.seed import seed_demo_data
    from marketplace.extensions import db
    from tests.factories import password_hash

    monkeypatch.setattr("marketplace.accounts.models.generate_password_hash", password_hash)
    seed_demo_data()
    db.session.commit()


@pytest.fixture
def csrf_on(app):
    """CSRF protection on for the test, so the browser journey is the real one."""
    previous = app.config.get("WTF_CSRF_ENABLED")
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = previous


@pytest.fixture
def confirm_dialogs(page):
    """Accept the pages' "are you sure?" questions (data-confirm), keeping their text."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


@pytest.fixture
def lang(request):
    """The journey's language (parametrized "zh" / "en" with ``steps.LANGUAGES``)."""
    from tests.e2e.steps import Lang

    return Lang(getattr(request, "param", "en"))
