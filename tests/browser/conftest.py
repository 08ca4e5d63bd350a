"""Browser tests: Playwright driving Debian's Chromium against a live Sportel server.

Every main page is checked with axe-core (vendored, tests/browser/vendor/axe.min.js): any WCAG
2.1 A/AA violation fails the test with the rule, the impact and the offending elements.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SPORTEL_CHROMIUM", "/usr/bin/chromium")
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Playwright's sync API runs an event loop in this thread; Django's test code touching the
# database from the same thread is safe here (nothing else runs on that loop).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or set SPORTEL_CHROMIUM. Browser tests never skip."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on the live server; ``page.base_url`` is its root."""
    context = browser.new_context(base_url=live_server.url, locale="sq-AL")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    # evaluate() runs through the DevTools protocol, so the page's CSP (no inline scripts)
    # stays in force for the page itself while axe is injected.
    #
    # A test that clicks a link and then checks the page can reach here while the next page
    # is still replacing the last one; axe then finds no document (or its context is
    # destroyed mid-run). That is the test's timing, not a finding: wait for the page that
    # is loading and run axe on it, a few times at most.
    from playwright.sync_api import Error

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            page.evaluate(AXE_JS)
            result = page.evaluate(
                """async () => await axe.run(document, {
                    runOnly: {type: 'tag',
                              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
                })"""
            )
        except Error as error:
            navigating = "documentElement" in str(error) or "context was destroyed" in str(error)
            if not navigating or attempt == 2:
                raise
            page.wait_for_timeout(200)
            continue
        return result["violations"]
    raise AssertionError("axe-core did not run")  # the loop returns or raises first


def assert_accessible(page) -> None:
    """Fail with a readable list when axe-core finds any violation on the current page."""
    violations = axe_violations(page)
    if violations:
        lines = [f"axe-core found {len(violations)} violation(s) on {page.url}:"]
        for v in violations:
            targets = ", ".join(str(node["target"]) for node in v["nodes"][:5])
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} — {targets}")
        pytest.fail("\n".join(lines))


@pytest.fixture
def accessible():
    return assert_accessible
