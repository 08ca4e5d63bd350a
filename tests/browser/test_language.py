"""The language switch keeps the visitor on the same page, query string included."""

import pytest


def test_switching_language_on_a_municipal_page_keeps_the_page_and_query(page, shkoder):
    page.goto("/shkoder/?tab=units&q=Dajç")
    assert page.locator("html").get_attribute("lang") == "sq"
    assert page.locator("h1").inner_text() == "Bashkia Shkodër"

    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/en/shkoder/?tab=units&q=Daj%C3%A7")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Municipality of Shkodër"

    page.get_by_role("link", name="Shqip").click()
    page.wait_for_url("**/shkoder/?tab=units&q=Daj%C3%A7")
    assert "/en/" not in page.url
    assert page.locator("h1").inner_text() == "Bashkia Shkodër"


def test_the_current_language_is_marked_and_not_a_link(page, shkoder):
    page.goto("/en/shkoder/")
    switch = page.get_by_role("navigation", name="Language")
    assert switch.locator("[aria-current='true']").inner_text() == "English"
    assert switch.get_by_role("link").all_inner_texts() == ["Shqip"]
    assert switch.get_by_role("link").get_attribute("lang") == "sq"


def test_a_search_result_is_kept_across_the_switch(page, shkoder):
    page.goto("/?q=velipoje")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/en/?q=velipoje")
    assert page.get_by_role("status").inner_text().startswith("1 municipality matches")


@pytest.mark.parametrize(
    ("start", "link", "expected", "heading"),
    [
        ("/no-such-page/", "English", "/en/no-such-page/", "Page not found"),
        ("/en/no-such-page/", "Shqip", "/no-such-page/", "Faqja nuk u gjet"),
        ("/account/login/", "English", "/en/account/login/", None),
    ],
)
def test_the_switch_works_on_error_and_account_pages(page, shkoder, start, link, expected, heading):
    page.goto(start)
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_url(f"**{expected}")
    if heading:
        assert page.locator("h1").inner_text() == heading
