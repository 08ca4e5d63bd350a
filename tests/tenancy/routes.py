"""Every module's tenant-scoped routes. Add yours here: one function per route, one object each.

``ctx`` gives: ``ctx.make_staff(municipality, role)``, ``ctx.person(municipality)`` (a Person
with a NID), and the ``shkoder`` / ``lezhe`` municipalities.
"""

from django.urls import reverse

from sportel.accounts.roles import Role

from .harness import Probe, tenant_route


@tenant_route(
    "web: municipality home (public)",
    url_names=("municipality-home",),
    owner_role=Role.CLERK,
    public=True,
)
def municipality_home(municipality, ctx):
    # Public page: included so the harness itself is exercised from the first module on.
    return Probe(url=reverse("municipality-home", kwargs={"municipality_slug": municipality.slug}))


@tenant_route("accounts: staff home", url_names=("staff:home",), owner_role=Role.CLERK)
def staff_home(municipality, ctx):
    # The page names the municipality; an outsider's 403 must not.
    return Probe(
        url=reverse("staff:home", kwargs={"municipality_slug": municipality.slug}),
        marker="staff-municipality",
    )


@tenant_route(
    "accounts: a clerk verifies a resident's identity",
    url_names=("staff:verify-identity",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def accounts_verify_identity(municipality, ctx):
    from sportel.accounts import identity
    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter

    user = User.objects.create_user(
        f"resident.{User.objects.count()}@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z"
    )
    code = identity.new_counter_code(user)
    return Probe(
        url=reverse("staff:verify-identity", kwargs={"municipality_slug": municipality.slug}),
        method="POST",
        data={
            "code": code,
            "nid": with_check_letter("I05101996"),
            "document": "id_card",
            "document_seen": "on",
        },
        state=lambda: User.objects.get(pk=user.pk).nid_verified,
    )


# --- documents: staff monitoring, a document's page, revoke and re-issue ------------------------
def _document(municipality):
    from tests.documents.factories import registered_document

    return registered_document(municipality)


def _status(document):
    from sportel.documents.models import IssuedDocument

    return lambda: IssuedDocument.objects.get(pk=document.pk).status


@tenant_route(
    "documents: monitoring", url_names=("documents-staff:monitor",), owner_role=Role.MANAGER
)
def documents_monitor(municipality, ctx):
    document = _document(municipality)
    return Probe(
        url=reverse("documents-staff:monitor", kwargs={"municipality_slug": municipality.slug}),
        marker=document.display_code,
    )


@tenant_route(
    "documents: document", url_names=("documents-staff:document",), owner_role=Role.SPECIALIST
)
def documents_document(municipality, ctx):
    document = _document(municipality)
    return Probe(
        url=reverse(
            "documents-staff:document",
            kwargs={"municipality_slug": municipality.slug, "code": document.code},
        ),
        marker=document.display_code,
    )


@tenant_route(
    "documents: revoke",
    url_names=("documents-staff:revoke",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def documents_revoke(municipality, ctx):
    document = _document(municipality)
    return Probe(
        url=reverse(
            "documents-staff:revoke",
            kwargs={"municipality_slug": municipality.slug, "code": document.code},
        ),
        method="POST",
        data={"reason": "test"},
        state=_status(document),
    )


@tenant_route(
    "documents: re-issue",
    url_names=("documents-staff:reissue",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def documents_reissue(municipality, ctx):
    document = _document(municipality)
    return Probe(
        url=reverse(
            "documents-staff:reissue",
            kwargs={"municipality_slug": municipality.slug, "code": document.code},
        ),
        method="POST",
        data={"reason": "test"},
        state=_status(document),
    )


# --- services: counter, queue, case file, case actions, files -----------------------------------
def _services_case(municipality, code="public-information-request", **kwargs):
    """A case filed online by a citizen of ``municipality`` (catalogue seeded there first)."""
    from sportel.services.catalogue import seed_catalogue
    from tests.services.factories import CitizenFactory, submit

    seed_catalogue(municipality)
    return submit(municipality, CitizenFactory(), code, **kwargs)


def _case_url(name, case, **kwargs):
    return reverse(
        name,
        kwargs={"municipality_slug": case.municipality.slug, "number": case.number, **kwargs},
    )


def _case_state(case):
    from sportel.services.models import Case, CaseEvent

    def state():
        row = Case.objects.get(pk=case.pk)
        events = CaseEvent.objects.filter(case=row).count()
        return (row.status, row.assignee_id, row.fee_paid, row.legal_end, events)

    return state


@tenant_route(
    "services: counter (identify a walk-in)",
    url_names=("services-staff:counter",),
    owner_role=Role.CLERK,
)
def services_counter(municipality, ctx):
    return Probe(
        url=reverse("services-staff:counter", kwargs={"municipality_slug": municipality.slug})
    )


@tenant_route(
    "services: counter registers a walk-in",
    url_names=("services-staff:counter",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_counter_register(municipality, ctx):
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Person

    nid = with_check_letter("I05101997")
    return Probe(
        url=reverse("services-staff:counter", kwargs={"municipality_slug": municipality.slug}),
        method="POST",
        data={
            "nid": nid,
            "first_name": "Gjon",
            "last_name": "Leka",
            "language": "sq",
            "identity_document": "id_card",
        },
        state=lambda: Person.objects.filter(municipality=municipality, nid=nid).count(),
    )


@tenant_route(
    "services: counter service list and form (walk-in first)",
    url_names=("services-staff:counter-services", "services-staff:counter-apply"),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_counter_services(municipality, ctx):
    # Without a walk-in in the session the owner's clerk is sent to identify one first (302);
    # outsiders are refused before that.
    return Probe(
        url=reverse(
            "services-staff:counter-apply",
            kwargs={"municipality_slug": municipality.slug, "code": "family-certificate"},
        )
    )


@tenant_route(
    "services: counter service list",
    url_names=("services-staff:counter-services",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_counter_service_list(municipality, ctx):
    return Probe(
        url=reverse(
            "services-staff:counter-services", kwargs={"municipality_slug": municipality.slug}
        )
    )


@tenant_route(
    "services: counter receipt",
    url_names=("services-staff:counter-receipt",),
    owner_role=Role.CLERK,
)
def services_counter_receipt(municipality, ctx):
    case = _services_case(municipality)
    # Not the number: it is in the URL, which the refusal's language switch repeats.
    return Probe(
        url=_case_url("services-staff:counter-receipt", case), marker=case.tracking_code_display
    )


@tenant_route(
    "services: case queue", url_names=("services-staff:queue",), owner_role=Role.SPECIALIST
)
def services_queue(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=reverse("services-staff:queue", kwargs={"municipality_slug": municipality.slug}),
        marker=case.number,
    )


@tenant_route("services: case file", url_names=("services-staff:case",), owner_role=Role.MANAGER)
def services_case_file(municipality, ctx):
    case = _services_case(municipality)
    return Probe(url=_case_url("services-staff:case", case), marker=case.applicant_person.nid)


@tenant_route(
    "services: case attachment",
    url_names=("services-staff:case-attachment",),
    owner_role=Role.SPECIALIST,
)
def services_case_attachment(municipality, ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.core.files import pdf

    case = _services_case(municipality, uploads=[SimpleUploadedFile("kontrata.pdf", pdf())])
    attachment = case.application.attachments.get()
    return Probe(
        url=_case_url("services-staff:case-attachment", case, pk=attachment.pk),
        marker="vertetim-i-pages",
    )


@tenant_route(
    "services: sealed document of a case",
    url_names=("services-staff:case-document",),
    owner_role=Role.SPECIALIST,
)
def services_case_document(municipality, ctx):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from sportel.services.models import Case
    from tests.documents.factories import registered_document

    case = _services_case(municipality)
    document = registered_document(municipality)
    default_storage.delete(document.pdf.name)
    default_storage.save(document.pdf.name, ContentFile(b"%PDF-1.7\nsealed-doc-body\n%%EOF\n"))
    # Test set-up only: point the case at the document as issue_document would.
    Case.objects.filter(pk=case.pk).update(document_code=document.code)
    return Probe(url=_case_url("services-staff:case-document", case), marker="sealed-doc-body")


@tenant_route(
    "services: assign a case",
    url_names=("services-staff:case-action",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def services_case_assign(municipality, ctx):
    case = _services_case(municipality)
    assignee = ctx.make_staff(municipality, Role.SPECIALIST)
    return Probe(
        url=_case_url("services-staff:case-action", case, action="assign"),
        method="POST",
        data={"assignee": str(assignee.pk)},
        state=_case_state(case),
    )


@tenant_route(
    "services: start, then approve a case",
    url_names=("services-staff:case-action",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def services_case_start(municipality, ctx):
    from sportel.services import services

    case = _services_case(municipality)
    specialist = ctx.make_staff(municipality, Role.SPECIALIST)
    services.assign(case, actor=specialist, assignee=specialist)
    return Probe(
        url=_case_url("services-staff:case-action", case, action="start"),
        method="POST",
        state=_case_state(case),
    )


@tenant_route(
    "services: a note on a case",
    url_names=("services-staff:case-action",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_case_note(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_case_url("services-staff:case-action", case, action="note"),
        method="POST",
        data={"text": "shenim", "public": "on"},
        state=_case_state(case),
    )


@tenant_route(
    "services: mark a fee paid",
    url_names=("services-staff:case-action",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_case_fee_paid(municipality, ctx):
    from sportel.services.models import ServiceType

    case = _services_case(municipality, "tax-clearance-certificate")
    # Test set-up only: a fee on the case, as a priced service version would give.
    type(case).objects.filter(pk=case.pk).update(fee_due="100.00")
    assert ServiceType.objects.filter(municipality=municipality).exists()
    return Probe(
        url=_case_url("services-staff:case-action", case, action="mark_fee_paid"),
        method="POST",
        data={"receipt": "A-1"},
        state=_case_state(case),
    )


# --- services API (services/api.py): staff queue, case file, transitions, counter filing -------
def _api(municipality, rest=""):
    return f"/api/v1/municipalities/{municipality.slug}/{rest}"


@tenant_route(
    "services API: staff queue",
    operations=("GET /api/v1/municipalities/{slug}/cases",),
    owner_role=Role.SPECIALIST,
)
def services_api_queue(municipality, ctx):
    case = _services_case(municipality)
    return Probe(url=_api(municipality, "cases"), marker=case.number)


@tenant_route(
    "services API: case file",
    operations=("GET /api/v1/municipalities/{slug}/cases/{number}",),
    owner_role=Role.SPECIALIST,
)
def services_api_case(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_api(municipality, f"cases/{case.number}"),
        marker=case.applicant_person.nid,
    )


@tenant_route(
    "services API: case transition",
    operations=("POST /api/v1/municipalities/{slug}/cases/{number}/transitions",),
    owner_role=Role.SPECIALIST,
)
def services_api_transition(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_api(municipality, f"cases/{case.number}/transitions"),
        method="POST",
        json=True,
        data={"action": "note", "text": "shenim"},
        marker=case.applicant_person.nid,
        state=_case_state(case),
    )


@tenant_route(
    "services API: counter files for a walk-in",
    operations=("POST /api/v1/municipalities/{slug}/applications",),
    owner_role=Role.CLERK,
    ok_status=(201,),
)
def services_api_counter(municipality, ctx):
    from sportel.services.models import Case

    _services_case(municipality)
    return Probe(
        url=_api(municipality, "applications"),
        method="POST",
        json=True,
        data={
            "service": "tax-clearance-certificate",
            "data": {"purpose": "Tender"},
            "channel": "counter",
            "walk_in": {
                "nid": "H85412037N",
                "first_name": "Gjon",
                "last_name": "Leka",
                "identity_document": "id_card",
            },
        },
        state=lambda: Case.objects.filter(municipality=municipality).count(),
    )


# --- a citizen's own objects: the citizen reaches them, staff of another municipality never ----
def _citizen(case):
    return case.application.created_by


def _waiting_for_answer(municipality, ctx):
    """A case whose specialist asked the applicant for more information."""
    from sportel.services import services

    case = _services_case(municipality)
    specialist = ctx.make_staff(municipality, Role.SPECIALIST)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.request_info(case, actor=specialist, message="Na dërgoni kontratën.")
    return case


def _draft(municipality):
    from sportel.services import services
    from sportel.services.catalogue import seed_catalogue
    from tests.services.factories import CitizenFactory

    seed_catalogue(municipality)
    citizen = CitizenFactory()
    return services.save_draft(
        municipality,
        service="public-information-request",
        actor=citizen,
        data={"information_description": "Buxheti i ndriçimit publik të lagjes"},
    )


def _draft_state(draft):
    from sportel.services.models import Application

    def state():
        row = Application.objects.get(pk=draft.pk)
        return (row.data, row.status, row.attachments.count())

    return state


@tenant_route(
    "services: the applicant's case page",
    url_names=("services:case",),
    owner_role=Role.CLERK,
)
def services_citizen_case(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_case_url("services:case", case),
        marker=case.tracking_code_display,
        owner=_citizen(case),
    )


@tenant_route(
    "services API: the applicant's case",
    operations=("GET /api/v1/municipalities/{slug}/applications/{number}",),
    owner_role=Role.CLERK,
)
def services_api_citizen_case(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_api(municipality, f"applications/{case.number}"),
        marker=case.tracking_code,
        owner=_citizen(case),
    )


@tenant_route(
    "services API: who accessed the applicant's case",
    operations=("GET /api/v1/municipalities/{slug}/applications/{number}/accesses",),
    owner_role=Role.CLERK,
)
def services_api_accesses(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_api(municipality, f"applications/{case.number}/accesses"), owner=_citizen(case)
    )


@tenant_route(
    "services: the applicant answers a request",
    url_names=("services:case-answer",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_citizen_answer(municipality, ctx):
    case = _waiting_for_answer(municipality, ctx)
    return Probe(
        url=_case_url("services:case-answer", case),
        method="POST",
        data={"message": "Ja kontrata."},
        state=_case_state(case),
        owner=_citizen(case),
    )


@tenant_route(
    "services API: the applicant answers a request",
    operations=("POST /api/v1/municipalities/{slug}/applications/{number}/answer",),
    owner_role=Role.CLERK,
)
def services_api_answer(municipality, ctx):
    case = _waiting_for_answer(municipality, ctx)
    return Probe(
        url=_api(municipality, f"applications/{case.number}/answer"),
        method="POST",
        json=True,
        data={"message": "Ja kontrata."},
        state=_case_state(case),
        owner=_citizen(case),
    )


@tenant_route(
    "services: the applicant withdraws",
    url_names=("services:case-withdraw",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def services_citizen_withdraw(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_case_url("services:case-withdraw", case),
        method="POST",
        data={"reason": "Nuk më duhet."},
        state=_case_state(case),
        owner=_citizen(case),
    )


@tenant_route(
    "services API: the applicant withdraws",
    operations=("POST /api/v1/municipalities/{slug}/applications/{number}/withdraw",),
    owner_role=Role.CLERK,
)
def services_api_withdraw(municipality, ctx):
    case = _services_case(municipality)
    return Probe(
        url=_api(municipality, f"applications/{case.number}/withdraw"),
        method="POST",
        json=True,
        data={"reason": "Nuk më duhet."},
        state=_case_state(case),
        owner=_citizen(case),
    )


@tenant_route(
    "services: the applicant's sealed document",
    url_names=("services:case-document",),
    owner_role=Role.CLERK,
)
def services_citizen_document(municipality, ctx):
    probe = services_case_document(municipality, ctx)
    from sportel.services.models import Case

    case = Case.objects.get(municipality=municipality, document_code__gt="")
    return Probe(
        url=_case_url("services:case-document", case), marker=probe.marker, owner=_citizen(case)
    )


@tenant_route(
    "kiosk: the applicant's sealed document, shown to print",
    url_names=("kiosk:document",),
    owner_role=Role.CLERK,
)
def kiosk_citizen_document(municipality, ctx):
    probe = services_case_document(municipality, ctx)
    from sportel.services.models import Case

    case = Case.objects.get(municipality=municipality, document_code__gt="")
    return Probe(url=_case_url("kiosk:document", case), marker=probe.marker, owner=_citizen(case))


@tenant_route(
    "kiosk: send the applicant's document to their email or phone",
    url_names=("kiosk:send-document",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def kiosk_send_document(municipality, ctx):
    services_case_document(municipality, ctx)
    from sportel.core.models import Notification
    from sportel.services.models import Case

    case = Case.objects.get(municipality=municipality, document_code__gt="")
    return Probe(
        url=_case_url("kiosk:send-document", case),
        method="POST",
        owner=_citizen(case),
        state=lambda: Notification.objects.count(),
    )


def _receipt(url_name):
    def make(municipality, ctx):
        case = _services_case(municipality)
        return Probe(
            url=_case_url(url_name, case),
            marker=case.tracking_code_display,
            owner=_citizen(case),
        )

    return make


for _flow in ("services", "kiosk"):
    tenant_route(f"{_flow}: the receipt", url_names=(f"{_flow}:receipt",), owner_role=Role.CLERK)(
        _receipt(f"{_flow}:receipt")
    )


def _draft_step(url_name):
    def make(municipality, ctx):
        draft = _draft(municipality)
        return Probe(
            url=reverse(url_name, kwargs={"municipality_slug": municipality.slug, "pk": draft.pk}),
            marker="Buxheti i ndriçimit publik të lagjes",
            owner=draft.created_by,
        )

    return make


for _name in ("draft-details", "draft-attachments", "draft-review"):
    for _flow in ("services", "kiosk"):
        tenant_route(
            f"{_flow}: a draft's step {_name}",
            url_names=(f"{_flow}:{_name}",),
            owner_role=Role.CLERK,
            # An incomplete draft's review sends its owner back to the missing answers.
            ok_status=(302,) if _name == "draft-review" else (200,),
        )(_draft_step(f"{_flow}:{_name}"))


@tenant_route(
    "services API: save a draft again",
    operations=("PUT /api/v1/municipalities/{slug}/drafts/{draft_id}",),
    owner_role=Role.CLERK,
)
def services_api_draft(municipality, ctx):
    draft = _draft(municipality)
    return Probe(
        url=_api(municipality, f"drafts/{draft.pk}"),
        method="PUT",
        json=True,
        data={"service": "public-information-request", "data": {"preferred_format": "email"}},
        marker="Buxheti i ndriçimit publik të lagjes",
        state=_draft_state(draft),
        owner=draft.created_by,
    )


@tenant_route(
    "services API: attach a file to a draft",
    operations=("POST /api/v1/municipalities/{slug}/drafts/{draft_id}/attachments",),
    owner_role=Role.CLERK,
    ok_status=(201,),
)
def services_api_attach(municipality, ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.core.files import pdf

    draft = _draft(municipality)
    return Probe(
        url=_api(municipality, f"drafts/{draft.pk}/attachments"),
        method="POST",
        multipart=True,
        data={"file": SimpleUploadedFile("a.pdf", pdf())},
        marker="Buxheti i ndriçimit publik të lagjes",
        state=_draft_state(draft),
        owner=draft.created_by,
    )


@tenant_route(
    "services: a moving-home bundle", url_names=("services:bundle",), owner_role=Role.CLERK
)
def services_citizen_bundle(municipality, ctx):
    from sportel.services import services
    from sportel.services.catalogue import seed_catalogue
    from tests.services.factories import CitizenFactory

    seed_catalogue(municipality)
    citizen = CitizenFactory()
    bundle = services.open_moving_home_bundle(
        municipality, actor=citizen, new_address="Rruga Kiri 7", consent=True
    )
    return Probe(
        url=reverse(
            "services:bundle", kwargs={"municipality_slug": municipality.slug, "pk": bundle.pk}
        ),
        marker="Rruga Kiri 7",
        owner=citizen,
    )


# --- the allow-lists: routes with no municipality's private object in them ---------------------
PUBLIC = {
    # Operations and the public site.
    "healthz": "the database answers or not",
    "metrics": "counters by route, no ids or personal data",
    "admin:": "Django's admin, for platform operators (superusers) only",
    "oidc_authentication_init": "the national eID login",
    "oidc_authentication_callback": "the national eID login",
    "oidc_logout": "the national eID logout",
    "web:home": "the list of municipalities",
    "web:accessibility": "the accessibility statement",
    # Anyone may check a document or follow a case with its unguessable code.
    "documents:verify": "public verification by upload",
    "documents:verify-code": "public verification by code",
    "documents:transparency": "the public transparency log",
    "documents:proof-inclusion": "the public transparency log",
    "documents:proof-consistency": "the public transparency log",
    "track-code": "tracking by the code on the receipt: status and dates, no personal data",
    "tracking:track": "the tracking form",
    "services:catalogue": "the public service catalogue",
    "services:service": "a public service page",
    "kiosk:catalogue": "the public service catalogue, at a kiosk",
    "kiosk:service": "a public service page, at a kiosk",
    # The account's own pages: above municipalities, only ever the logged-in account.
    "accounts:account": "the account's own page",
    "accounts:login": "logging in",
    "accounts:logout": "logging out",
    "accounts:after-login": "where logging in lands",
    "accounts:otp": "the second factor",
    "accounts:signup": "creating an account",
    "accounts:signup-sent": "creating an account",
    "accounts:confirm-email": "confirming an email address by its token",
    "accounts:confirm-phone": "confirming a phone number",
    "accounts:resend": "sending a confirmation again",
    "accounts:profile": "the account's own profile",
    "accounts:nid": "the account's own personal number",
    "accounts:password": "the account's own password",
    "accounts:accesses": "who read the account's own data",
    "accounts:unlock": "asking for a code to unlock a locked account (sent to its owner only)",
    "accounts:unlock-code": "typing the unlock code sent to the account's owner",
    "kiosk-accounts:login": "logging in at a kiosk",
    # The JSON API's public operations and its description.
    "GET /api/v1/municipalities": "the list of municipalities",
    "GET /api/v1/municipalities/{slug}": "a municipality and its units",
    "GET /api/v1/municipalities/{slug}/services": "the public service catalogue",
    "GET /api/v1/municipalities/{slug}/services/{code}": "a public service",
    "GET /api/v1/municipalities/{slug}/life-events": "the public life events",
    "GET /api/v1/track/{code}": "tracking by code: status and dates, no personal data",
    "GET /api/v1/documents/{code}": "public verification by code",
    "POST /api/v1/documents/verify": "public verification by upload",
}

# No object in the path: the page or operation lists or creates the logged-in account's own rows
# (selectors.cases_of, drafts_of...), so there is no other municipality's object to reach.
OWN_ACCOUNT = {
    "accounts:identity": "how the account's own identity stands",
    "accounts:identity-code": "a counter code for the account itself",
    "services:mine": "the account's own applications",
    "services:moving-home": "opens a bundle for the account itself",
    "services:apply": "starts a draft of the account's own",
    "kiosk:apply": "starts a draft of the account's own, at a kiosk",
    "kiosk:finish": "ends the kiosk session",
    "GET /api/v1/me/applications": "the account's own applications",
    "POST /api/v1/municipalities/{slug}/drafts": "starts a draft of the account's own",
    "POST /api/v1/municipalities/{slug}/life-events/moving-home": "opens a bundle for the account",
}


# --- participation (issue 13) ------------------------------------------------------------------


def _participation_budget(municipality, *, closed=False):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from sportel.participation.models import Budget, Project

    now = timezone.now()
    start = now - timedelta(days=20 if closed else 1)
    n = Budget.objects.count() + 1
    budget = Budget.objects.create(
        municipality=municipality,
        slug=f"tenancy-budget-{n}",
        title=f"Tenancy budget {n}",
        amount=Decimal(5_000_000),
        information_starts=start - timedelta(days=30),
        proposals_start=start - timedelta(days=20),
        review_starts=start - timedelta(days=10),
        voting_starts=start,
        voting_ends=start + timedelta(days=14),
        implementation_starts=start + timedelta(days=60),
    )
    for number, cost in enumerate((2_000_000, 3_000_000), start=1):
        Project.objects.create(
            budget=budget,
            number=number,
            title=f"Tenancy project {n}.{number}",
            cost=Decimal(cost),
            review=Project.Review.FEASIBLE,
        )
    return budget


def _participation_resident(municipality):
    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Person

    n = User.objects.count() + 1
    nid = with_check_letter(f"H{n:06d}77")
    user = User.objects.create_user(
        f"voter{n}.{municipality.slug}@test.sportel.al",
        "x",
        confirmed_at="2026-01-01T00:00Z",
        nid=nid,
        nid_verified=True,
        nid_verified_via="counter",
    )
    Person.objects.create(
        municipality=municipality, nid=nid, first_name="V", last_name=str(n), user=user
    )
    return user


def _participation_closed(municipality):
    from datetime import timedelta

    from sportel.participation import services

    budget = _participation_budget(municipality, closed=True)
    voter = _participation_resident(municipality)
    project = budget.projects.order_by("number").first()
    services.cast_ballot(
        budget, voter=voter, projects=[project.pk], now=budget.voting_starts + timedelta(days=1)
    )
    services.publish_result(budget, actor="test")
    return budget


def _participation_url(name, budget):
    return reverse(
        f"participation:{name}",
        kwargs={"municipality_slug": budget.municipality.slug, "slug": budget.slug},
    )


@tenant_route(
    "participation: budgets, a budget, its results and ballots (public reading)",
    url_names=(
        "participation:budgets",
        "participation:budget",
        "participation:results",
        "participation:ballots",
    ),
    operations=("GET /api/v1/municipalities/{slug}/budgets",),
    owner_role=Role.MANAGER,
    public=True,
)
def participation_public(municipality, ctx):
    # Reading is public (the issue): anyone sees budgets, results and the anonymised ballots.
    return Probe(url=_participation_url("results", _participation_closed(municipality)))


@tenant_route(
    "participation: a resident votes",
    url_names=("participation:vote",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def participation_vote(municipality, ctx):
    from sportel.participation.models import Ballot

    budget = _participation_budget(municipality)
    project = budget.projects.order_by("number").first()
    return Probe(
        url=_participation_url("vote", budget),
        method="POST",
        data={"projects": project.pk},
        owner=_participation_resident(municipality),
        state=lambda: Ballot.objects.filter(budget=budget).count(),
    )


def _participation_proposal(municipality):
    from sportel.participation import proposals

    return proposals.create_proposal(
        municipality,
        author=_participation_resident(municipality),
        title="Tenancy proposal",
        body="A bench in the park.",
    )


@tenant_route(
    "participation: proposals, a proposal and its photo (public reading)",
    url_names=(
        "participation:proposals",
        "participation:proposal",
        "participation:proposal-image",
    ),
    owner_role=Role.MANAGER,
    public=True,
)
def participation_proposal(municipality, ctx):
    proposal = _participation_proposal(municipality)
    return Probe(
        url=reverse(
            "participation:proposal",
            kwargs={"municipality_slug": municipality.slug, "pk": proposal.pk},
        )
    )


@tenant_route(
    "participation: a resident supports a proposal",
    url_names=("participation:proposal-support",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def participation_support(municipality, ctx):
    proposal = _participation_proposal(municipality)
    return Probe(
        url=reverse(
            "participation:proposal-support",
            kwargs={"municipality_slug": municipality.slug, "pk": proposal.pk},
        ),
        method="POST",
        owner=_participation_resident(municipality),
        state=lambda: proposal.supports.count(),
    )


# Writing a proposal creates the account's own row; the form is refused (403) to anyone who is
# not a verified resident of the municipality in the path.
OWN_ACCOUNT["participation:proposal-new"] = "writes a proposal of the account's own"


@tenant_route(
    "participation: follow a proposal",
    url_names=("participation:proposal-follow",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_follow_proposal(municipality, ctx):
    from sportel.participation.models import Follow

    proposal = _participation_proposal(municipality)
    return Probe(
        url=reverse(
            "participation:proposal-follow",
            kwargs={"municipality_slug": municipality.slug, "pk": proposal.pk},
        ),
        method="POST",
        state=lambda: Follow.objects.filter(proposal=proposal).count(),
    )


@tenant_route(
    "participation: follow a budget",
    url_names=("participation:budget-follow",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_follow_budget(municipality, ctx):
    from sportel.participation.models import Follow

    budget = _participation_budget(municipality)
    return Probe(
        url=reverse(
            "participation:budget-follow",
            kwargs={"municipality_slug": municipality.slug, "slug": budget.slug},
        ),
        method="POST",
        state=lambda: Follow.objects.filter(budget=budget).count(),
    )


@tenant_route(
    "participation: comment on a proposal",
    url_names=("participation:proposal-comment",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def participation_comment(municipality, ctx):
    from sportel.participation.models import Comment

    proposal = _participation_proposal(municipality)
    return Probe(
        url=reverse(
            "participation:proposal-comment",
            kwargs={"municipality_slug": municipality.slug, "pk": proposal.pk},
        ),
        method="POST",
        data={"body": "Dakord"},
        owner=_participation_resident(municipality),
        state=lambda: Comment.objects.filter(proposal=proposal).count(),
    )


@tenant_route(
    "participation: report a comment",
    url_names=("participation:comment-report",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def participation_report(municipality, ctx):
    from sportel.participation import comments
    from sportel.participation.models import AbuseReport

    proposal = _participation_proposal(municipality)
    comment = comments.add_comment(
        proposal, author=_participation_resident(municipality), body="Reklamë"
    )
    return Probe(
        url=reverse(
            "participation:comment-report",
            kwargs={
                "municipality_slug": municipality.slug,
                "pk": proposal.pk,
                "comment": comment.pk,
            },
        ),
        method="POST",
        data={"reason": "spam"},
        owner=_participation_resident(municipality),
        state=lambda: AbuseReport.objects.filter(comment=comment).count(),
    )


@tenant_route(
    "participation: a clerk records a ballot at the counter",
    url_names=("participation-staff:counter-vote",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def participation_counter_vote(municipality, ctx):
    from sportel.participation.models import Ballot

    budget = _participation_budget(municipality)
    person = ctx.person(municipality)
    return Probe(
        url=reverse(
            "participation-staff:counter-vote",
            kwargs={"municipality_slug": municipality.slug, "slug": budget.slug},
        ),
        method="POST",
        data={
            "nid": person.nid,
            "document_seen": "on",
            "projects": budget.projects.order_by("number").first().pk,
        },
        marker=budget.title,
        state=lambda: Ballot.objects.filter(budget=budget).count(),
    )


@tenant_route(
    "participation: a consultation (public reading; residents comment)",
    url_names=("participation:consultation",),
    owner_role=Role.MANAGER,
    public=True,
)
def participation_consultation(municipality, ctx):
    from datetime import timedelta

    from django.utils import timezone

    from sportel.participation.models import Consultation, Paragraph

    now = timezone.now()
    consultation = Consultation.objects.create(
        municipality=municipality,
        slug=f"tenancy-{Consultation.objects.count() + 1}",
        title="Tenancy consultation",
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=1),
    )
    Paragraph.objects.create(consultation=consultation, number=1, text="Paragraph one.")
    return Probe(
        url=reverse(
            "participation:consultation",
            kwargs={"municipality_slug": municipality.slug, "slug": consultation.slug},
        )
    )


# --- participation: organisers' and moderators' pages ------------------------------------------


def _participation_staff_url(name, municipality, **kwargs):
    return reverse(
        f"participation-staff:{name}", kwargs={"municipality_slug": municipality.slug, **kwargs}
    )


def _participation_hidden_comment(municipality):
    from sportel.participation.models import Comment

    proposal = _participation_proposal(municipality)
    return Comment.objects.create(
        proposal=proposal,
        author=_participation_resident(municipality),
        body="Tenancy hidden comment",
        hidden=True,
    )


@tenant_route(
    "participation: the organiser's desk",
    url_names=("participation-staff:index",),
    owner_role=Role.MANAGER,
)
def participation_staff_index(municipality, ctx):
    budget = _participation_budget(municipality)
    return Probe(url=_participation_staff_url("index", municipality), marker=budget.title)


@tenant_route(
    "participation: an organiser publishes a closed vote's result",
    url_names=("participation-staff:publish",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_publish(municipality, ctx):
    from datetime import timedelta

    from sportel.participation import services
    from sportel.participation.models import BudgetResult

    budget = _participation_budget(municipality, closed=True)
    project = budget.projects.order_by("number").first()
    services.cast_ballot(
        budget,
        voter=_participation_resident(municipality),
        projects=[project.pk],
        now=budget.voting_starts + timedelta(days=1),
    )
    return Probe(
        url=_participation_staff_url("publish", municipality, slug=budget.slug),
        method="POST",
        state=lambda: BudgetResult.objects.filter(budget=budget).count(),
    )


@tenant_route(
    "participation: an organiser answers a proposal",
    url_names=("participation-staff:answer",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_answer(municipality, ctx):
    from sportel.participation.models import Answer

    proposal = _participation_proposal(municipality)
    return Probe(
        url=_participation_staff_url("answer", municipality, pk=proposal.pk),
        method="POST",
        data={"status": "accepted", "reasons": "Tenancy reasons"},
        state=lambda: Answer.objects.filter(proposal=proposal).count(),
    )


@tenant_route(
    "participation: the moderation queue",
    url_names=("participation-staff:moderation",),
    owner_role=Role.SPECIALIST,
)
def participation_staff_moderation(municipality, ctx):
    comment = _participation_hidden_comment(municipality)
    return Probe(url=_participation_staff_url("moderation", municipality), marker=comment.body)


@tenant_route(
    "participation: a moderator restores or removes a hidden comment",
    url_names=("participation-staff:decide",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def participation_staff_decide(municipality, ctx):
    comment = _participation_hidden_comment(municipality)
    return Probe(
        url=_participation_staff_url("decide", municipality, comment=comment.pk),
        method="POST",
        data={"decision": "remove", "reason": "Tenancy"},
        state=lambda: comment.decisions.count(),
    )


@tenant_route(
    "participation: a moderator merges two proposals",
    url_names=("participation-staff:merge",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def participation_staff_merge(municipality, ctx):
    from sportel.participation.models import Proposal

    one, two = _participation_proposal(municipality), _participation_proposal(municipality)
    return Probe(
        url=_participation_staff_url("merge", municipality),
        method="POST",
        data={"proposal": two.pk, "into": one.pk},
        state=lambda: Proposal.objects.get(pk=two.pk).status,
    )


@tenant_route(
    "participation: an organiser creates a budget (in the path's municipality only)",
    url_names=("participation-staff:budget-new",),
    owner_role=Role.MANAGER,
)
def participation_staff_budget_new(municipality, ctx):
    return Probe(url=_participation_staff_url("budget-new", municipality))


@tenant_route(
    "participation: an organiser changes a budget",
    url_names=("participation-staff:budget-edit",),
    owner_role=Role.MANAGER,
)
def participation_staff_budget_edit(municipality, ctx):
    budget = _participation_budget(municipality)
    return Probe(
        url=_participation_staff_url("budget-edit", municipality, slug=budget.slug),
        marker=budget.title,
    )


@tenant_route(
    "participation: an organiser adds projects to a budget",
    url_names=("participation-staff:projects",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_projects(municipality, ctx):
    from datetime import timedelta

    budget = _participation_budget(municipality)
    budget.review_starts = budget.voting_starts + timedelta(days=1)
    budget.voting_starts = budget.review_starts + timedelta(days=1)
    budget.save()
    return Probe(
        url=_participation_staff_url("projects", municipality, slug=budget.slug),
        method="POST",
        data={"new-title": "Tenancy project", "new-cost": "1000"},
        state=lambda: budget.projects.count(),
    )


@tenant_route(
    "participation: an organiser reviews and costs a project",
    url_names=("participation-staff:project-review",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_project_review(municipality, ctx):
    from sportel.participation.models import Project

    budget = _participation_budget(municipality)
    project = budget.projects.order_by("number").first()
    return Probe(
        url=_participation_staff_url(
            "project-review", municipality, slug=budget.slug, pk=project.pk
        ),
        method="POST",
        data={f"p{project.pk}-review": "unfeasible", f"p{project.pk}-cost": "5"},
        state=lambda: Project.objects.get(pk=project.pk).cost,
    )


@tenant_route(
    "participation: an organiser opens a consultation (in the path's municipality only)",
    url_names=("participation-staff:consultation-new",),
    owner_role=Role.MANAGER,
)
def participation_staff_consultation_new(municipality, ctx):
    return Probe(url=_participation_staff_url("consultation-new", municipality))


@tenant_route(
    "participation: an organiser publishes a consultation's summary",
    url_names=("participation-staff:consultation-summary",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_consultation_summary(municipality, ctx):
    from datetime import timedelta

    from django.utils import timezone

    from sportel.participation.models import Consultation

    now = timezone.now()
    consultation = Consultation.objects.create(
        municipality=municipality,
        slug=f"tenancy-closed-{Consultation.objects.count() + 1}",
        title="Tenancy closed consultation",
        opens=now - timedelta(days=3),
        closes=now - timedelta(days=1),
    )
    return Probe(
        url=_participation_staff_url("consultation-summary", municipality, slug=consultation.slug),
        method="POST",
        data={"summary": "Tenancy summary", "decision": "Tenancy decision"},
        state=lambda: Consultation.objects.get(pk=consultation.pk).summary,
    )
