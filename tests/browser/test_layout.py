"""The layout on a phone and with a keyboard, and axe-core on the pages every visitor sees."""

import pytest
from playwright.sync_api import expect

PAGES = ["/", "/shkoder/", "/account/login/", "/no-such-page/", "/accessibility/"]


@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scroll_at_320_pixels(page, shkoder, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide in a {widths[1]}px window"


def test_a_form_with_errors_fits_a_phone_too(page, shkoder):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/en/account/login/")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(page, shkoder):
    page.goto("/shkoder/")
    page.keyboard.press("Tab")
    skip = page.locator(".govuk-skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.inner_text() == "Kaloni te përmbajtja kryesore"
    expect(skip, "the skip link shows when it has focus").to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main-content'")
    # The next Tab lands inside the main content, past the header and navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main-content').contains(document.activeElement)")


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", ["/no-such-page/", "/account/login/", "/accessibility/"])
def test_error_login_and_statement_pages_are_accessible(page, shkoder, accessible, prefix, path):
    page.goto(f"{prefix}{path}")
    accessible(page)


def test_a_form_with_errors_is_accessible_and_focuses_the_summary(page, shkoder, accessible):
    page.goto("/en/account/login/")
    page.get_by_role("button", name="Log in").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    page.wait_for_function(
        "document.activeElement && document.activeElement.classList.contains('govuk-error-summary')"
    )
    accessible(page)


def test_the_signed_in_layout_is_accessible_and_log_out_is_a_button(page, shkoder, accessible):
    from django.conf import settings
    from django.test import Client

    from sportel.accounts.models import User

    user = User.objects.create_user(
        "arta@example.al", password="a-long-test-password", confirmed_at="2026-01-01T00:00:00Z"
    )
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": page.base_url,
            }
        ]
    )
    page.goto("/en/shkoder/")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/shkoder/" not in url)
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert not page.get_by_role("button", name="Log out").count()
