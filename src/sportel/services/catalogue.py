"""The service catalogue: building service versions from data, publishing them, and demo data.

``data/catalogue.json`` holds real Albanian municipal services (from shared/data/services.md):
life events, a library of form fields (JSON Schema properties with Albanian and English labels),
status lists, and the services. Each service's ``description_sq``/``description_en`` is written
for residents; what the sources do and do not say goes in ``sources_note``, which only
administrators see. :func:`seed_catalogue` loads it into a municipality;
re-running it publishes a new version only for a service whose definition changed, so open cases
keep the version they were filed under. ``sportel demo`` runs :func:`seed_demo` (registered with
``@sportel.core.demo.register_demo``), which also files a few demo cases in different states.
"""

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from django.db import transaction

from sportel.core import audit
from sportel.core.demo import register_demo

from .models import LifeEvent, ServiceType, ServiceTypeVersion

VERSION_FIELDS = (
    "name_sq",
    "name_en",
    "description_sq",
    "description_en",
    "sources_note",
    "apply_elsewhere_url",
    "legal_basis",
    "applicant_kind",
    "assurance_level",
    "channels",
    "required_documents",
    "fee",
    "legal_deadline_days",
    "service_norm_days",
    "suspension_allowed",
    "extension_allowed",
    "max_extension_days",
    "statuses",
    "form_schema",
    "output_document_type",
    "output_title_sq",
    "output_title_en",
    "instant",
    "instant_check",
    "allows_relationship",
)


@lru_cache(maxsize=1)
def catalogue_data() -> dict[str, Any]:
    """The shipped catalogue (data/catalogue.json), parsed once."""
    text = resources.files("sportel.services").joinpath("data/catalogue.json").read_text("utf-8")
    return json.loads(text)


def build_schema(form: dict, fields: dict[str, dict]) -> dict:
    """A JSON Schema (Draft 2020-12) for jsonforms from a list of field names in the library."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {name: dict(fields[name]) for name in form["fields"]},
        "required": list(form.get("required", [])),
        "x-order": list(form["fields"]),
    }


def version_values(spec: dict, data: dict | None = None) -> dict[str, Any]:
    """The ServiceTypeVersion field values one catalogue entry describes."""
    data = data or catalogue_data()
    output = spec.get("output") or {}
    return {
        "name_sq": spec["sq"],
        "name_en": spec["en"],
        "description_sq": spec.get("description_sq", ""),
        "description_en": spec.get("description_en", ""),
        "sources_note": spec.get("sources_note", ""),
        "apply_elsewhere_url": spec.get("apply_elsewhere", ""),
        "legal_basis": spec.get("legal_basis", ""),
        "applicant_kind": spec["applicant"],
        "assurance_level": spec["assurance"],
        "channels": list(spec["channels"]),
        "required_documents": list(spec.get("documents", [])),
        "fee": Decimal(spec["fee"]).quantize(Decimal("0.01")) if spec.get("fee") else None,
        "legal_deadline_days": spec.get("legal_deadline"),
        "service_norm_days": spec.get("service_norm"),
        "suspension_allowed": spec.get("suspension", True),
        "extension_allowed": spec.get("extension", False),
        "max_extension_days": spec.get("max_extension", 0),
        "statuses": list(data["statuses"][spec.get("statuses", "standard")]),
        "form_schema": build_schema(spec["form"], data["fields"]),
        "output_document_type": output.get("type", ""),
        "output_title_sq": output.get("sq", ""),
        "output_title_en": output.get("en", ""),
        "instant": spec.get("instant", False),
        "instant_check": spec.get("instant_check", ""),
        "allows_relationship": spec.get("relationship", False),
    }


def _same(version: ServiceTypeVersion, values: dict) -> bool:
    def norm(value):
        return json.loads(json.dumps(value, default=str, sort_keys=True))

    return all(norm(getattr(version, k)) == norm(v) for k, v in values.items())


@transaction.atomic
def publish_version(service_type: ServiceType, values: dict, *, actor=None) -> ServiceTypeVersion:
    """Publish a new version of a service; new applications use it, open cases keep theirs."""
    last = service_type.versions.order_by("-number").first()
    version = ServiceTypeVersion(
        municipality_id=service_type.municipality_id,
        service_type=service_type,
        number=(last.number + 1) if last else 1,
        **values,
    )
    version.full_clean(exclude=["service_type", "municipality"])
    version.save()
    service_type.current_version = version
    service_type.save(update_fields=["current_version"])
    audit.record(
        "service.publish",
        actor=actor,
        municipality=service_type.municipality,
        obj=version,
        data={"service": service_type.code, "version": version.number},
    )
    return version


@transaction.atomic
def seed_catalogue(municipality, *, actor=None) -> int:
    """Load the shipped catalogue into ``municipality``; returns how many versions it published."""
    data = catalogue_data()
    events = {}
    for item in data["life_events"]:
        events[item["code"]], _ = LifeEvent.objects.update_or_create(
            municipality=municipality,
            code=item["code"],
            defaults={"name_sq": item["sq"], "name_en": item["en"], "order": item["order"]},
        )
    published = 0
    for spec in data["services"]:
        service_type, _ = ServiceType.objects.get_or_create(
            municipality=municipality,
            code=spec["code"],
            defaults={"order": spec.get("order", 100)},
        )
        service_type.life_events.set([events[code] for code in spec["life_events"]])
        values = version_values(spec, data)
        current = service_type.current_version
        if current is None or not _same(current, values):
            publish_version(service_type, values, actor=actor)
            published += 1
    return published


# --- demo -----------------------------------------------------------------------------------------

DEMO_WALK_IN = {
    "nid": "H85412037N",
    "first_name": "Gjon",
    "last_name": "Leka",
    "identity_document": "id_card",
}


@register_demo
def seed_demo() -> None:
    """Catalogue for every demo municipality, assignment rules, and demo cases in Shkodër."""
    from sportel.accounts.models import User
    from sportel.core.demo import DEMO_MUNICIPALITIES
    from sportel.core.models import Municipality

    from .models import AssignmentRule, Case

    for slug in sorted(DEMO_MUNICIPALITIES):
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is not None:
            seed_catalogue(municipality)
    shkoder = Municipality.objects.filter(slug="shkoder").first()
    specialist = User.objects.filter(username="specialist.shkoder@demo.sportel.al").first()
    if shkoder is None or specialist is None:
        return
    for code in (
        "public-information-request",
        "tax-clearance-certificate",
        "social-housing",
        "resident-registration",
    ):
        AssignmentRule.objects.get_or_create(
            municipality=shkoder,
            service_type=ServiceType.objects.get(municipality=shkoder, code=code),
            unit=None,
            defaults={"assignee": specialist},
        )
    if not Case.objects.filter(municipality=shkoder).exists():
        seed_demo_cases(shkoder)


@transaction.atomic
def seed_demo_cases(shkoder) -> None:
    """A handful of cases in different states, so the queue and 'my applications' are not empty."""
    from sportel.accounts.models import User

    from . import services

    citizen = User.objects.get(username="qytetar@demo.sportel.al")
    clerk = User.objects.get(username="sportel.shkoder@demo.sportel.al")
    specialist = User.objects.get(username="specialist.shkoder@demo.sportel.al")
    unit = shkoder.units.filter(slug="shkoder").first()

    def submit(code: str, data: dict, **kwargs):
        return services.submit_application(
            shkoder, service=code, data=data, actor=kwargs.pop("actor", citizen), **kwargs
        )

    # Instant: certificate of residence, issued and closed in the same call. It states the
    # address the civil register holds, so the demo citizen is on the register with one.
    from sportel.core.services import register_person

    first, _, last = citizen.full_name.partition(" ")
    register_person(
        shkoder,
        nid=citizen.nid,
        first_name=first or "Qytetar",
        last_name=last or "Demo",
        address="Rruga Kolë Idromeno 12",
        unit=unit,
        user=citizen,
        preferred_language=citizen.language,
        email=citizen.email,
        override_check=True,
    )
    submit("residence-certificate", {"purpose": "Për bankën"}, unit=unit)
    # Public information: assigned by rule, then waiting for the applicant.
    info = submit(
        "public-information-request",
        {
            "information_description": "Buxheti i vitit 2026 për ndriçimin publik në Shkodër.",
            "preferred_format": "email",
        },
        unit=unit,
    )
    services.start_work(info, actor=specialist)
    services.request_info(
        info,
        actor=specialist,
        message="Ju lutem saktësoni: për të gjithë bashkinë apo vetëm për qytetin?",
    )
    # Economic assistance: new, not yet assigned.
    submit(
        "economic-assistance",
        {"household_size": 4, "monthly_income": 18000, "address": "Rruga Gjuhadol, nr. 12"},
        unit=unit,
    )
    # Counter: a walk-in's tax clearance certificate, being worked on.
    tax = submit(
        "tax-clearance-certificate",
        {"purpose": "Për tenderin e bashkisë"},
        actor=clerk,
        channel="counter",
        walk_in=DEMO_WALK_IN,
        unit=unit,
    )
    services.start_work(tax, actor=specialist)
    # Counter: a family certificate paid in cash, instant.
    submit(
        "family-certificate",
        {"purpose": "Për shkollën"},
        actor=clerk,
        channel="counter",
        walk_in=DEMO_WALK_IN,
        fee_paid=True,
    )
    # Social housing: rejected with its legal reason, closed.
    housing = submit(
        "social-housing",
        {"household_size": 3, "monthly_income": 95000, "current_housing": "renting"},
    )
    services.start_work(housing, actor=specialist)
    services.decide(
        housing,
        actor=specialist,
        approve=False,
        reason="Të ardhurat e familjes janë mbi kufirin e programit.",
        legal_basis="Ligji 22/2018, neni 24; VKM 384/2019",
    )
    services.close(housing, actor=specialist)
    # Kindergarten: approved and closed (a service without an output document).
    kindergarten = submit(
        "kindergarten-enrolment",
        {"child_name": "Ema Krasniqi", "child_birth_date": "2023-05-14"},
    )
    services.assign(kindergarten, actor=specialist, assignee=specialist)
    services.start_work(kindergarten, actor=specialist)
    services.decide(kindergarten, actor=specialist, approve=True)
    services.close(kindergarten, actor=specialist)
    # Moving home: one consent, three cases.
    services.open_moving_home_bundle(
        shkoder,
        actor=citizen,
        new_address="Rruga Kolë Idromeno, nr. 7, Shkodër",
        previous_address="Rruga Gjuhadol, nr. 12, Shkodër",
        has_car=True,
        vehicle_plate="SH123AB",
        consent=True,
        unit=unit,
    )
