"""The shipped catalogue: real services, sensible forms in both languages, versioned re-seeding."""

import jsonschema
import pytest
from django.utils import translation

from sportel.services.catalogue import catalogue_data, seed_catalogue
from sportel.services.models import LifeEvent, ServiceType, ServiceTypeVersion
from sportel.web import jsonforms

REQUIRED = {
    "residence-certificate",
    "tax-clearance-certificate",
    "public-information-request",
    "public-space-permit",
    "sign-permit",
    "resident-parking-permit",
    "economic-assistance",
    "social-housing",
    "family-certificate",
}
LIFE_EVENTS = {
    "birth",
    "marriage",
    "moving-home",
    "starting-business",
    "closing-business",
    "building",
    "buying-property",
    "death",
    "social-support",
}


def test_at_least_twenty_real_services_with_the_required_ones(catalogue, lezhe_catalogue):
    for municipality in (catalogue, lezhe_catalogue):
        codes = set(
            ServiceType.objects.filter(municipality=municipality).values_list("code", flat=True)
        )
        assert len(codes) >= 20
        assert codes >= REQUIRED
        events = set(
            LifeEvent.objects.filter(municipality=municipality).values_list("code", flat=True)
        )
        assert events >= LIFE_EVENTS


def test_every_life_event_has_services(catalogue):
    for event in LifeEvent.objects.filter(municipality=catalogue):
        assert event.service_types.exists(), event.code


def test_the_facts_the_issue_names(catalogue):
    def version(code):
        return ServiceType.objects.get(municipality=catalogue, code=code).current_version

    info = version("public-information-request")
    assert (info.legal_deadline_days, info.extension_allowed, info.max_extension_days) == (
        10,
        True,
        5,
    )
    assert "119/2014" in info.legal_basis
    assert version("residence-certificate").instant
    assert version("family-certificate").instant
    assert version("family-certificate").fee == 50
    # A value no source gives is left empty; the administrators' note says so, not the page.
    parking = version("resident-parking-permit")
    assert parking.fee is None and parking.legal_deadline_days is None
    assert "not found in the sources" in parking.sources_note
    assert "nuk u gjet" in parking.sources_note


@pytest.mark.parametrize("spec", catalogue_data()["services"], ids=lambda s: s["code"])
def test_every_form_is_valid_json_schema_and_renders_in_both_languages(spec, catalogue):
    version = ServiceType.objects.get(municipality=catalogue, code=spec["code"]).current_version
    jsonschema.Draft202012Validator.check_schema(version.form_schema)
    for language in ("sq", "en"):
        form = jsonforms.form_class_for(version.form_schema, language=language)()
        html = form.as_div() if hasattr(form, "as_div") else str(form)
        for name in version.form_schema["properties"]:
            assert name in form.fields
            label = version.form_schema["properties"][name]["x-title"][language]
            assert form.fields[name].label == label
        assert html
    assert version.name_en and version.name_sq and version.description_en
    assert version.channels and version.statuses
    with translation.override("en"):
        assert version.status_text("submitted") == "Request received"


def test_reseeding_changes_nothing_unless_a_definition_changed(catalogue):
    before = ServiceTypeVersion.objects.count()
    assert seed_catalogue(catalogue) == 0
    assert ServiceTypeVersion.objects.count() == before


def test_demo_seeder_files_cases_in_several_states(shkoder, seal_keys):
    from sportel import demo
    from sportel.services.models import Case

    demo.seed_all()
    statuses = set(Case.objects.filter(municipality=shkoder).values_list("status", flat=True))
    assert {"submitted", "assigned", "in_progress", "awaiting_applicant", "closed"} <= statuses
    count = Case.objects.count()
    demo.seed_all()  # idempotent
    assert Case.objects.count() == count


# Research notes are for administrators: none of these may reach a resident's page.
RESEARCH_PHRASES = (
    "nuk u gjet",
    "nuk u gjetën",
    "burim",  # burimi, burimet, në burime
    "not found",
    "source",
    "vlorë",
    "vlore",
    "tiranë",
    "tirana",
    "kolonjë",
    "gjirokastër",
    "sarandë",
    "dpttv",
    "akshi",
    "[s",
    "vkb ",
)


@pytest.mark.parametrize("spec", catalogue_data()["services"], ids=lambda s: s["code"])
def test_every_service_has_a_residents_description_in_both_languages(spec):
    for language in ("sq", "en"):
        text = spec[f"description_{language}"]
        assert len(text) > 60, (spec["code"], language)
        lowered = text.casefold()
        said = [phrase for phrase in RESEARCH_PHRASES if phrase in lowered]
        assert not said, (spec["code"], language, said)
    assert spec["sources_note"], spec["code"]


def test_an_instant_service_has_a_published_fee():
    # Issued on the spot, an unpublished fee would silently become "free".
    for spec in catalogue_data()["services"]:
        if spec.get("instant"):
            assert spec.get("fee") is not None, spec["code"]


def test_publishing_an_instant_service_without_a_fee_is_refused(catalogue):
    from django.core.exceptions import ValidationError

    from sportel.services.catalogue import publish_version, version_values

    spec = next(s for s in catalogue_data()["services"] if s["code"] == "residence-certificate")
    values = {**version_values(spec), "fee": None}
    service = ServiceType.objects.get(municipality=catalogue, code="residence-certificate")
    with pytest.raises(ValidationError) as refused:
        publish_version(service, values)
    assert "fee" in refused.value.error_dict
