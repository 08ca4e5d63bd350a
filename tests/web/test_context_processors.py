"""The layout's context: the language switch keeps the page, navigation fits the visitor."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from sportel.web.context_processors import navigation_for, sportel, switch_language_url


@pytest.mark.parametrize(
    ("path", "language", "expected"),
    [
        ("/", "en", "/en/"),
        ("/en/", "sq", "/"),
        ("/", "sq", "/"),
        ("/shkoder/", "en", "/en/shkoder/"),
        ("/shkoder/?q=velipoje&page=2", "en", "/en/shkoder/?q=velipoje&page=2"),
        ("/en/shkoder/?q=velipoje", "sq", "/shkoder/?q=velipoje"),
        ("/account/login/?next=/shkoder/", "en", "/en/account/login/?next=/shkoder/"),
        # Pages that resolve nowhere (a 404) still switch language in place.
        ("/no/such/page", "en", "/en/no/such/page"),
        ("/en/no/such/page?x=1", "sq", "/no/such/page?x=1"),
        ("/en", "sq", "/"),
    ],
)
def test_the_language_switch_keeps_the_page_and_the_query(path, language, expected):
    assert switch_language_url(path, language) == expected


def test_a_municipal_page_offers_the_same_page_in_english(client, shkoder):
    response = client.get("/shkoder/?q=dajc")
    assert response.context["municipality"] == shkoder
    assert response.context["language_urls"] == {
        "sq": "/shkoder/?q=dajc",
        "en": "/en/shkoder/?q=dajc",
    }
    body = response.content.decode()
    assert 'href="/en/shkoder/?q=dajc" lang="en" hreflang="en">English</a>' in body
    assert (
        '<span class="sportel-language__current" lang="sq" aria-current="true">Shqip</span>' in body
    )


def test_the_english_page_links_back_to_albanian(client, shkoder):
    body = client.get("/en/shkoder/").content.decode()
    assert '<html lang="en"' in body
    assert 'href="/shkoder/" lang="sq" hreflang="sq">Shqip</a>' in body
    # Search engines and browsers learn about the other language's version too.
    assert '<link rel="alternate" hreflang="sq" href="/shkoder/">' in body


def test_pages_outside_a_municipality_have_no_tenant(client, db):
    response = client.get("/")
    assert response.context["municipality"] is None


def test_a_visitor_is_offered_to_log_in_and_come_back(rf, db):
    request = rf.get("/en/shkoder/?q=1")
    request.user = AnonymousUser()
    with translation.override("en"):
        items = navigation_for(request)
        login = items[0]
        assert str(login["label"]) == "Log in"
        assert login["url"] == "/en/account/login/?next=%2Fen%2Fshkoder%2F%3Fq%3D1"
    assert not any(item.get("post") for item in items)


def test_a_citizen_sees_their_account_and_a_log_out_button(client, db):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@example.al", password="a-long-test-password")
    client.force_login(user)
    body = client.get("/en/").content.decode()
    assert ">Your account</a>" in body
    assert "Staff home" not in body
    # Logging out changes state, so it is a POST form with a CSRF token, not a link.
    assert '<form method="post" action="/en/account/logout/"' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_staff_get_the_staff_home_of_the_municipality_they_work_for(rf, shkoder, lezhe, make_staff):
    clerk = make_staff(shkoder, "clerk")
    request = rf.get("/lezhe/")
    request.user = clerk
    request.municipality = lezhe  # visiting another municipality: their own staff home
    with translation.override("sq"):
        assert "/shkoder/staff/" in [item["url"] for item in navigation_for(request)]
        request.municipality = shkoder
        assert "/shkoder/staff/" in [item["url"] for item in navigation_for(request)]


def test_a_person_working_for_two_municipalities_gets_the_one_they_are_viewing(
    rf, shkoder, lezhe, make_staff
):
    from sportel.accounts.models import StaffRole

    clerk = make_staff(shkoder, "clerk")
    StaffRole.objects.create(user=clerk, municipality=lezhe, role="clerk")
    request = rf.get("/lezhe/")
    request.user = clerk
    request.municipality = lezhe
    with translation.override("sq"):
        assert "/lezhe/staff/" in [item["url"] for item in navigation_for(request)]


def test_the_demo_banner_is_shown_except_in_production(client, db, settings):
    assert "govuk-phase-banner" in client.get("/").content.decode()
    settings.PRODUCTION = True
    assert "govuk-phase-banner" not in client.get("/").content.decode()


def test_the_footer_links_to_the_accessibility_statement_and_configured_source_code(
    client, db, settings
):
    settings.SPORTEL_SOURCE_URL = "https://git.example.al/bashkia/sportel"
    body = client.get("/en/").content.decode()
    assert 'href="/en/accessibility/">Accessibility statement</a>' in body
    assert 'href="https://git.example.al/bashkia/sportel">Source code</a>' in body


def test_without_a_configured_source_url_the_footer_has_no_dead_source_link(client, db, settings):
    settings.SPORTEL_SOURCE_URL = ""
    body = client.get("/en/").content.decode()
    assert "Source code" not in body and "github.com/sportel" not in body
    assert ">Accessibility statement</a>" in body


def test_navigation_is_not_computed_until_the_layout_reads_it(db, django_assert_num_queries):
    from sportel.accounts.models import User

    request = RequestFactory().get("/")
    request.user = User.objects.create_user("x@example.al", password="a-long-test-password")
    with django_assert_num_queries(0):
        context = sportel(request)
    with django_assert_num_queries(1):
        list(context["navigation"])


def test_the_platform_operator_finds_the_administration(rf, db):
    from sportel.accounts.models import User

    operator = User.objects.create_superuser("operator@example.al", "a-long-test-password")
    request = rf.get("/")
    request.user = operator
    request.municipality = None
    with translation.override("en"):
        labels = {str(item["label"]): item["url"] for item in navigation_for(request)}
    assert labels["Platform administration"] == "/admin/"
