"""Service search: accent- and case-insensitive, by stem, the same on SQLite and PostgreSQL."""

import pytest

from sportel.services import search, selectors
from sportel.services.catalogue import seed_catalogue

from .test_views import url


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("vertetim", "vërtetim"),
        ("vertetim", "vërtetimi"),
        ("vertetim", "vërtetime"),
        ("vertetim", "vërtetimet"),
        ("certifikate", "certifikatë"),
        ("certifikate", "certifikata"),
        ("femije", "fëmijë"),
        ("femije", "fëmijën"),
        ("femije", "fëmijës"),
        ("takse", "taksë"),
        ("takse", "taksa"),
        ("takse", "taksat"),
        ("CERTIFIKATË", "certifikatat"),
        ("cerdhe", "Çerdhe"),
        ("certificate", "certificates"),
    ],
)
def test_a_word_typed_without_accents_finds_its_inflected_forms(typed, written):
    (term,) = search.query_terms(typed)
    assert search.document(written).startswith(" " + term)


def test_taxi_is_not_a_tax():
    (term,) = search.query_terms("takse")
    assert not search.document("taksi").startswith(" " + term)


def test_stopwords_alone_find_nothing():
    assert search.query_terms("e të për") == []


def codes(municipality, text: str) -> set[str]:
    return {s.code for s in selectors.search_services(municipality, text)}


@pytest.fixture
def shkoder_catalogue(shkoder):
    seed_catalogue(shkoder)
    return shkoder


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vertetim", {"residence-certificate", "tax-clearance-certificate"}),
        ("vërtetimi", {"residence-certificate", "tax-clearance-certificate"}),
        ("certifikate", {"family-certificate", "personal-certificate"}),
        ("femije", {"kindergarten-enrolment", "birth-registration-reward"}),
        ("takse", {"tax-clearance-certificate", "business-tax-registration"}),
        ("Taksat vendore", {"tax-clearance-certificate", "business-tax-registration"}),
        ("certificate", {"residence-certificate", "family-certificate"}),
        ("parking", {"resident-parking-permit"}),
        ("tax", {"tax-clearance-certificate", "business-tax-registration"}),
        ("child", {"kindergarten-enrolment", "birth-registration-reward"}),
        ("residence", {"residence-certificate"}),
        ("assistance", {"economic-assistance"}),
    ],
)
def test_search_finds_services_however_the_word_is_written(shkoder_catalogue, query, expected):
    found = codes(shkoder_catalogue, query)
    assert expected <= found, (query, found)


def test_search_needs_every_word(shkoder_catalogue):
    assert codes(shkoder_catalogue, "vertetim banimi") == {
        "residence-certificate",
        "resident-registration",  # "pas regjistrimit merrni vërtetimin e banimit"
    }
    assert codes(shkoder_catalogue, "vertetim xyzzy") == set()


def test_taxi_licence_is_not_found_for_taxes(shkoder_catalogue):
    assert "taxi-licence" not in codes(shkoder_catalogue, "takse")
    assert "taxi-licence" in codes(shkoder_catalogue, "taksi")


@pytest.mark.parametrize(("prefix", "query"), [("", "femije"), ("/en", "certifikate")])
def test_the_catalogue_page_finds_the_hints_own_examples(shkoder_catalogue, client, prefix, query):
    page = client.get(prefix + url("services:catalogue"), {"q": query}).content.decode()
    assert 'id="results"' in page
    assert 'class="govuk-link govuk-!-font-weight-bold"' in page  # at least one result


def test_the_search_hint_examples_all_find_something(shkoder_catalogue, client):
    from django.utils import translation

    for language in ("sq", "en"):
        with translation.override(language):
            hint = str(translation.gettext("For example: residence, parking, tax, assistance."))
        words = hint.split(":", 1)[1].strip(" .").split(", ")
        for word in words:
            assert codes(shkoder_catalogue, word), (language, word)


def test_the_catalogue_page_lists_name_matches_before_passing_mentions(shkoder_catalogue, client):
    page = client.get(url("services:catalogue"), {"q": "vertetim"}).content.decode()
    results = page.split('id="results"', 1)[1]
    # The taxi licence only mentions a clearance certificate among its documents.
    assert results.index("Vërtetim banimi") < results.index("taksi")
