"""Home and municipality home in a real browser: usable without JavaScript, accessible."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_home_lists_municipalities_and_is_accessible(page, shkoder, accessible, prefix):
    page.goto(f"{prefix}/")
    expect(page.locator("h1").first).to_be_visible()
    accessible(page)
    page.get_by_role("link", name="Shkodër", exact=True).click()
    assert page.url.endswith(f"{prefix}/shkoder/")
    expect(page.get_by_text("Velipojë")).to_be_visible()
    accessible(page)


def test_the_search_works_without_javascript(browser, live_server, shkoder):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/en/")
        page.get_by_label("Search by municipality, town or village").fill("Velipojë")
        page.get_by_role("button", name="Search").click()
        # The address changes before the answer has loaded: wait for what the resident reads.
        expect(page).to_have_url(re.compile(r"q=Velipoj"))
        expect(page.get_by_role("status")).to_have_text(re.compile(r"^1 municipality matches"))
        assert page.locator(".sportel-county a").all_inner_texts() == ["Shkodër"]
    finally:
        context.close()


def test_govuk_frontend_starts_from_its_module_file_under_the_csp(page, shkoder):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/shkoder/")
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    # The service navigation collapses behind its "Menu" button on a phone once JS runs.
    toggle = page.locator(".govuk-service-navigation__toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(page.get_by_role("link", name="Hyni")).to_be_visible()
    assert problems == []
