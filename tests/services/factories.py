"""Factories for the services tests: citizens with accounts, and cases in any workflow state."""

import itertools

import factory
from django.utils import timezone

from sportel.accounts.models import User
from sportel.core.identifiers import with_check_letter
from sportel.services import services, workflow

_nids = itertools.count(10_000_001)


def new_nid() -> str:
    return with_check_letter(f"J{next(_nids):08d}")


def new_nipt() -> str:
    return with_check_letter(f"K{next(_nids):08d}")


class CitizenFactory(factory.django.DjangoModelFactory):
    """A confirmed citizen account whose NID the national eID asserted."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"citizen{n}@test.sportel.al")
    email = factory.LazyAttribute(lambda u: u.username)
    full_name = factory.Sequence(lambda n: f"Qytetar Test{n}")
    nid = factory.LazyFunction(new_nid)
    nid_verified = True
    nid_verified_via = "eid"
    language = "sq"
    confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def on_the_register(user, create, extracted, **kwargs):
        """The citizen is in Shkodër's civil register with an address (what a residence
        certificate states); pass ``on_the_register=False`` for someone who is not."""
        from sportel.core.models import Municipality
        from sportel.core.services import register_person

        shkoder = Municipality.objects.filter(slug="shkoder").first()
        if not create or extracted is False or shkoder is None or not user.nid:
            return
        first, _, last = user.full_name.partition(" ")
        register_person(
            shkoder,
            nid=user.nid,
            first_name=first,
            last_name=last or first,
            address="Rruga Kolë Idromeno 12",
            unit=shkoder.units.order_by("pk").first(),
            user=user,
            preferred_language=user.language,
            email=user.email,
            override_check=True,
        )


INFO = {
    "information_description": "Buxheti i vitit 2026 për ndriçimin publik.",
    "preferred_format": "email",
}
TAX = {"purpose": "Për tenderin"}
KINDERGARTEN = {"child_name": "Ema Test", "child_birth_date": "2023-05-14"}

# service code → answers that pass its form
ANSWERS = {
    "public-information-request": INFO,
    "tax-clearance-certificate": TAX,
    "kindergarten-enrolment": KINDERGARTEN,
    "residence-certificate": {"purpose": "Për bankën"},
    "family-certificate": {"purpose": "Për shkollën"},
    "economic-assistance": {"household_size": 3, "monthly_income": 20000, "address": "Rruga 1"},
}


def submit(municipality, citizen, code="public-information-request", **kwargs):
    data = kwargs.pop("data") if "data" in kwargs else ANSWERS[code]
    return services.submit_application(
        municipality, service=code, data=data, actor=citizen, **kwargs
    )


def case_in_state(state, *, municipality, citizen, specialist, code="public-information-request"):
    """A case of ``code`` driven through the real services into ``state``."""
    case = submit(municipality, citizen, code)
    if state == workflow.SUBMITTED:
        return case
    if state == workflow.WITHDRAWN:
        return services.withdraw(case, actor=citizen, reason="test")
    services.assign(case, actor=specialist, assignee=specialist)
    if state == workflow.ASSIGNED:
        return case
    services.start_work(case, actor=specialist)
    if state == workflow.IN_PROGRESS:
        return case
    if state == workflow.AWAITING_APPLICANT:
        return services.request_info(case, actor=specialist, message="Më shumë të dhëna.")
    if state == workflow.REJECTED:
        return services.decide(
            case, actor=specialist, approve=False, reason="Nuk plotëson kushtet.", legal_basis="L"
        )
    services.decide(case, actor=specialist, approve=True)
    if state == workflow.APPROVED:
        return case
    if state == workflow.DOCUMENT_ISSUED:
        return services.issue_document(case, actor=specialist)
    if state == workflow.CLOSED:
        if case.service_version.output_document_type:
            services.issue_document(case, actor=specialist)
        return services.close(case, actor=specialist)
    raise AssertionError(state)
