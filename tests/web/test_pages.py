"""The public pages: home by county with a search that works without JavaScript, municipality
home with its units and the modules' links, error pages in the visitor's language."""

import datetime

import pytest
from django import forms
from django.db import connection
from django.test import RequestFactory
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from lxml import html

from sportel.web import errors, links


def page(response) -> html.HtmlElement:
    return html.fromstring(response.content)


def error_page(response, status: int, language: str, heading: str) -> html.HtmlElement:
    """The response is the ``status`` page in ``language``, under ``heading``."""
    assert response.status_code == status
    doc = page(response)
    assert (doc.get("lang"), doc.xpath("string(//h1)")) == (language, heading)
    return doc


def test_home_says_what_sportel_is_and_lists_municipalities_by_county(client, shkoder):
    doc = page(client.get("/en/"))
    assert doc.xpath("string(//h1)") == "Municipal services in one place"
    counties = {
        section.xpath("string(.//h3)"): section.xpath(".//a/text()")
        for section in doc.xpath("//section[@class='sportel-county']")
    }
    assert counties == {"County of Lezhë": ["Lezhë"], "County of Shkodër": ["Shkodër"]}
    assert doc.xpath("//a[@href='/en/shkoder/']")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_municipality_links_to_its_home_without_a_url_lookup_each(
    client, shkoder, prefix, monkeypatch
):
    import django.urls
    from django.urls import reverse

    from sportel.core.models import Municipality
    from sportel.core.tenancy import load_municipalities

    load_municipalities()  # the whole country: 61 municipalities
    lookups = []
    # {% url %} imports django.urls.reverse when it renders: count its calls, still made.
    monkeypatch.setattr(
        django.urls, "reverse", lambda *a, **k: lookups.append(a) or reverse(*a, **k)
    )
    doc = page(client.get(f"{prefix}/"))

    links = {a.text: a.get("href") for a in doc.xpath("//section[@class='sportel-county']//a")}
    language = "en" if prefix else "sq"
    with translation.override(language):
        expected = {
            m.name: reverse("municipality-home", kwargs={"municipality_slug": m.slug})
            for m in Municipality.objects.filter(is_active=True)
        }
    assert len(expected) >= 61 and links == expected
    # The template's own {% url %} tags (header, search form): not one per municipality.
    assert 0 < len(lookups) < 10, lookups


def test_home_is_in_albanian_at_the_root(client, shkoder):
    doc = page(client.get("/"))
    assert doc.xpath("string(//h1)") == "Shërbimet e bashkisë në një vend"
    assert "Qarku Shkodër" in doc.xpath("//section/h3/text()")


@pytest.mark.parametrize(
    "query", ["Shkodër", "shkoder", "SHKODËR", "velipoje", "Velipojë", "guri i zi"]
)
def test_search_finds_a_municipality_by_its_name_or_a_unit_with_or_without_accents(
    client, shkoder, query
):
    doc = page(client.get("/en/", {"q": query}))
    assert doc.xpath("//section[@class='sportel-county']//a/text()") == ["Shkodër"]
    assert "1 municipality matches" in doc.xpath("string(//p[@role='status'])")


def test_search_form_is_a_plain_get_form(client, shkoder):
    doc = page(client.get("/"))
    form = doc.xpath("//form[@role='search']")[0]
    assert form.get("method") == "get"
    assert form.xpath(".//input[@name='q']")[0].get("id") == "q"
    assert form.xpath(".//label[@for='q']")


def test_search_without_a_match_says_so_and_offers_the_full_list(client, shkoder):
    doc = page(client.get("/en/", {"q": "Atlantis"}))
    assert not doc.xpath("//section[@class='sportel-county']")
    assert "No municipality matches your search" in doc.text_content()
    assert doc.xpath("//a[text()='Show all municipalities']")


def test_a_unit_shared_by_name_finds_both_municipalities(client, shkoder):
    # Dajç is an administrative unit of Shkodër and of Lezhë.
    doc = page(client.get("/en/", {"q": "dajc"}))
    assert sorted(doc.xpath("//section[@class='sportel-county']//a/text()")) == ["Lezhë", "Shkodër"]


def test_municipality_home_shows_its_name_units_and_breadcrumb(client, shkoder):
    doc = page(client.get("/en/shkoder/"))
    assert doc.xpath("string(//h1)") == "Municipality of Shkodër"
    units = doc.xpath("//ul[contains(@class, 'govuk-list--bullet')]/li/text()")
    assert "Velipojë" in units and "Guri i Zi" in units and len(units) == 11
    assert doc.xpath("//nav[@class='govuk-breadcrumbs']//a[@href='/en/']")
    header = doc.xpath("string(//span[@class='govuk-service-navigation__service-name'])")
    assert "Municipality of Shkodër" in header
    assert "Shkodër" in doc.xpath("string(//title)")


def test_an_unknown_municipality_is_a_404(client, shkoder):
    assert client.get("/atlantis/").status_code == 404


@pytest.fixture
def registered_links(monkeypatch):
    monkeypatch.setattr(links, "municipal_links", [])
    return links


def test_modules_add_their_links_to_every_municipality_home(client, shkoder, registered_links):
    registered_links.register_municipal_link(
        "municipality-home", _("Services"), _("Apply online"), order=20
    )
    registered_links.register_municipal_link("web:accessibility", _("Accessibility"), order=10)
    registered_links.register_municipal_link("no-such-route", _("Broken"))
    doc = page(client.get("/en/lezhe/"))
    cards = doc.xpath("//ul[@class='sportel-cards']/li")
    assert [card.xpath("string(.//a)") for card in cards] == ["Accessibility", "Services"]
    assert cards[0].xpath(".//a/@href") == ["/en/accessibility/"]
    assert cards[1].xpath(".//a/@href") == ["/en/lezhe/"], "reversed for this municipality"
    assert cards[1].xpath("string(.//p)") == "Apply online"


def test_without_module_links_the_page_says_where_to_go(client, shkoder, registered_links):
    doc = page(client.get("/en/shkoder/"))
    assert "visit the one-stop-shop office" in doc.text_content()


def test_the_accessibility_statement_exists_in_both_languages(client, db):
    assert page(client.get("/en/accessibility/")).xpath("string(//h1)") == "Accessibility statement"
    assert (
        page(client.get("/accessibility/")).xpath("string(//h1)") == "Deklarata e aksesueshmërisë"
    )


# --- Error pages -----------------------------------------------------------------------------


@pytest.fixture
def failing_urls(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.web.urls_errors"


@pytest.mark.parametrize(
    ("path", "language", "heading"),
    [
        ("/nonexistent/page", "sq", "Faqja nuk u gjet"),
        ("/en/nonexistent/page", "en", "Page not found"),
        ("/atlantis/", "sq", "Faqja nuk u gjet"),
        ("/en/atlantis/", "en", "Page not found"),
    ],
)
def test_a_missing_page_is_a_404_in_the_language_of_its_address(
    client, db, failing_urls, path, language, heading
):
    doc = error_page(client.get(path), 404, language, heading)
    assert doc.xpath("//a[@class='govuk-skip-link']"), "the error page uses the site's layout"


@pytest.mark.parametrize(
    ("path", "language", "heading"),
    [("/nonexistent", "sq", "Faqja nuk u gjet"), ("/en/nonexistent", "en", "Page not found")],
)
def test_an_address_without_its_slash_ends_on_the_404_in_its_language(
    client, db, settings, path, language, heading
):
    settings.DEBUG = False
    error_page(client.get(path, follow=True), 404, language, heading)


@pytest.mark.parametrize(
    ("path", "language", "heading"),
    [
        ("/shkoder/staff/", "sq", "Nuk mund ta shihni këtë faqe"),
        ("/en/shkoder/staff/", "en", "You cannot see this page"),
    ],
)
def test_staff_of_another_municipality_get_the_403_page_in_their_language(
    settings, lezhe, shkoder, make_staff, verified_client, path, language, heading
):
    settings.DEBUG = False
    client = verified_client(make_staff(lezhe, "clerk"))
    doc = error_page(client.get(path), 403, language, heading)
    # The way out is the clerk's own work, not the list of municipalities.
    prefix = "/en" if language == "en" else ""
    links = doc.xpath("//main//a/@href")
    assert f"{prefix}/lezhe/staff/" in links
    assert f"{prefix}/" not in links


@pytest.mark.parametrize(
    ("path", "language", "heading"),
    [
        ("/test/forbidden/", "sq", "Nuk mund ta shihni këtë faqe"),
        ("/en/test/forbidden/", "en", "You cannot see this page"),
    ],
)
def test_a_forbidden_page_is_a_403_in_the_language_of_its_address(
    client, db, failing_urls, path, language, heading
):
    error_page(client.get(path), 403, language, heading)


@pytest.mark.parametrize(
    ("path", "language", "heading"),
    [
        ("/test/broken/", "sq", "Na vjen keq, ka një problem me shërbimin"),
        ("/en/test/broken/", "en", "Sorry, there is a problem with the service"),
    ],
)
def test_a_crash_is_a_500_in_the_language_of_its_address(
    client, db, failing_urls, path, language, heading
):
    client.raise_request_exception = False
    doc = error_page(client.get(path), 500, language, heading)
    switch = "/test/broken/" if language == "en" else "/en/test/broken/"
    assert doc.xpath(f"//nav[@class='sportel-language']//a[@href='{switch}']")


def test_the_500_page_renders_without_the_database(db):
    def refuse(execute, sql, params, many, context):
        raise AssertionError(f"the 500 page queried the database: {sql}")

    request = RequestFactory().get("/en/shkoder/")
    with translation.override("en"), connection.execute_wrapper(refuse):
        response = errors.server_error(request)
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content


def test_a_bad_request_is_a_400_with_the_layout(rf, db):
    request = rf.get("/en/")
    with translation.override("en"):
        response = errors.bad_request(request)
    assert response.status_code == 400
    assert b"Something was wrong with the request" in response.content


def test_flash_messages_are_govuk_notification_banners(client, db, failing_urls):
    doc = page(client.get("/en/test/messages/"))
    banners = doc.xpath(
        "//main/div[contains(concat(' ', @class, ' '), ' govuk-notification-banner ')]"
    )
    assert [b.xpath("string(.//h2)") for b in banners] == [
        "Success",
        "Important",
        "There is a problem",
    ]
    assert [b.get("role") for b in banners] == ["alert", "region", "alert"]
    assert "govuk-notification-banner--success" in banners[0].get("class")
    assert "sportel-notification-banner--error" in banners[2].get("class")
    for banner in banners:
        title = banner.get("aria-labelledby")
        assert banner.xpath(f".//h2[@id='{title}']")
    assert banners[0].xpath("string(.//p)") == "Your application was sent."


# --- Dates and numbers in the user's language --------------------------------------------------

NOON = datetime.datetime(2026, 11, 28, 15, 5)


@pytest.mark.parametrize(
    ("language", "long_date", "short_date", "number"),
    [
        ("sq", "28 nëntor 2026", "28.11.2026", "1\xa0234\xa0567,50"),
        ("en", "28 November 2026", "28/11/2026", "1,234,567.50"),
    ],
)
def test_dates_and_numbers_are_written_as_the_language_writes_them(
    language, long_date, short_date, number
):
    with translation.override(language):
        assert formats.date_format(NOON) == long_date
        assert formats.date_format(NOON, "SHORT_DATE_FORMAT") == short_date
        assert formats.time_format(NOON) == "15:05"
        assert formats.number_format(1234567.5, 2, force_grouping=True) == number
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.parametrize(("language", "typed"), [("sq", "28.11.2026"), ("en", "28/11/2026")])
def test_a_date_typed_the_local_way_is_understood(language, typed):
    with translation.override(language):
        field = forms.DateField()
        assert field.clean(typed) == datetime.date(2026, 11, 28)
        assert field.clean("2026-11-28") == datetime.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/account/login/", "Formulari kishte skaduar"),
        ("/en/account/login/", "The form had expired"),
    ],
)
def test_a_form_sent_without_its_csrf_token_explains_itself_in_the_page_language(db, path, heading):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert page(response).xpath("string(//h1)") == heading
