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


# --- accounts (kin): a clerk records a parent's or guardian's relationship to a minor ----------
@tenant_route(
    "accounts: a clerk records a verified relationship",
    url_names=("staff:record-kin",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def accounts_record_kin(municipality, ctx):
    from sportel.accounts.models import KinRelationship, User
    from sportel.core.identifiers import with_check_letter

    n = User.objects.count()
    parent_nid = with_check_letter(f"I{5101996 + n:08d}")
    User.objects.create_user(
        f"parent.{n}@test.sportel.al",
        "x",
        confirmed_at="2026-01-01T00:00Z",
        nid=parent_nid,
        nid_verified=True,
        nid_verified_via="eid",
    )
    child = ctx.person(municipality, nid=with_check_letter(f"M{50327000 + n:08d}"))
    return Probe(
        url=reverse("staff:record-kin", kwargs={"municipality_slug": municipality.slug}),
        method="POST",
        data={
            "parent_nid": parent_nid,
            "kind": "parent",
            "child_nid": child.nid,
            "child_birth_date": "27.03.2015",
            "document": "birth_cert",
            "document_number": "AL-2015-00412",
            "document_seen": "on",
        },
        state=lambda: KinRelationship.objects.filter(child=child).exists(),
    )


# --- reports (issue 9) ------------------------------------------------------------------------


def _reports_probe_data(municipality):
    """A category and one public report in it, in ``municipality`` (cheap: no full catalogue)."""
    from decimal import Decimal

    from sportel.reports import geo, services
    from sportel.reports.models import Category

    group, _ = Category.objects.get_or_create(
        municipality=municipality, code="probe-group", defaults={"name_sq": "Grup prove"}
    )
    category, _ = Category.objects.get_or_create(
        municipality=municipality,
        code="probe-channel",
        defaults={"name_sq": f"Kanal prove {municipality.slug}", "parent": group},
    )
    lat, long = geo.centre(municipality.slug)
    report = services.file_report(
        municipality,
        category=category,
        place=services.Place(lat=Decimal(f"{lat:.6f}"), long=Decimal(f"{long:.6f}")),
        description=f"Marker report of {municipality.slug} R7Q",
        email="probe@test.al",
        confirmed=True,
    ).report
    report.team = f"Team-{municipality.slug}-T9X"
    report.save(update_fields=["team"])
    return category, report


def _reports_url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@tenant_route(
    "reports: staff queue", url_names=("staff-reports:queue",), owner_role=Role.SPECIALIST
)
def reports_queue(municipality, ctx):
    _category, report = _reports_probe_data(municipality)
    return Probe(url=_reports_url("staff-reports:queue", municipality), marker=report.team)


@tenant_route(
    "reports: staff report page", url_names=("staff-reports:report",), owner_role=Role.SPECIALIST
)
def reports_report(municipality, ctx):
    _category, report = _reports_probe_data(municipality)
    return Probe(url=_reports_url("staff-reports:report", municipality, pk=report.pk), marker="R7Q")


@tenant_route(
    "reports: staff action on a report",
    url_names=("staff-reports:action",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def reports_action(municipality, ctx):
    from sportel.reports.models import Report

    _category, report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:action", municipality, pk=report.pk, action="start"),
        method="POST",
        data={"text": "x"},
        state=lambda: (Report.objects.get(pk=report.pk).status, report.events.count()),
    )


@tenant_route(
    "reports: staff cluster page", url_names=("staff-reports:cluster",), owner_role=Role.SPECIALIST
)
def reports_cluster(municipality, ctx):
    _category, report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:cluster", municipality, pk=report.cluster_id),
        marker="Kanal prove",
    )


@tenant_route(
    "reports: a manager records funding",
    url_names=("staff-reports:fund",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def reports_fund(municipality, ctx):
    from sportel.reports.models import FundingDecision

    _category, report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:fund", municipality, pk=report.cluster_id),
        method="POST",
        data={
            "amount": "1500000",
            "budget_line": "2.3.1",
            "decision_number": "45",
            "decision_date": "2026-03-01",
        },
        state=lambda: FundingDecision.objects.count(),
    )


@tenant_route(
    "reports: fix a whole cluster",
    url_names=("staff-reports:fix-cluster",),
    owner_role=Role.SPECIALIST,
    ok_status=(302,),
)
def reports_fix_cluster(municipality, ctx):
    from sportel.reports.models import Report

    _category, report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:fix-cluster", municipality, pk=report.cluster_id),
        method="POST",
        data={"text": "Cleared"},
        state=lambda: Report.objects.get(pk=report.pk).status,
    )


@tenant_route(
    "reports: the counter files a report",
    url_names=("staff-reports:counter",),
    owner_role=Role.CLERK,
)
def reports_counter(municipality, ctx):
    category, _report = _reports_probe_data(municipality)
    return Probe(url=_reports_url("staff-reports:counter", municipality), marker=category.name_sq)


@tenant_route(
    "reports: Open311 keys", url_names=("staff-reports:keys",), owner_role=Role.ADMINISTRATOR
)
def reports_keys(municipality, ctx):
    from sportel.reports.services import add_api_key

    add_api_key(municipality, f"App of {municipality.slug} K4Z")
    return Probe(url=_reports_url("staff-reports:keys", municipality), marker="K4Z")


@tenant_route(
    "reports: settings (the categories)",
    url_names=("staff-reports:configure",),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure(municipality, ctx):
    category, _report = _reports_probe_data(municipality)
    return Probe(url=_reports_url("staff-reports:configure", municipality), marker=category.name_sq)


@tenant_route(
    "reports: settings, a category (new and existing)",
    url_names=("staff-reports:configure-category", "staff-reports:configure-new-category"),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure_category(municipality, ctx):
    category, _report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-category", municipality, pk=category.pk),
        marker=category.name_sq,
    )


@tenant_route(
    "reports: settings, a category changed",
    url_names=(),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_category_post(municipality, ctx):
    from sportel.reports.models import Category

    category, _report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-category", municipality, pk=category.pk),
        method="POST",
        data={
            "name_sq": "Emër i ri",
            "deadline_working_days": "5",
            "severity": "3",
            "duplicate_radius_m": "100",
            "cluster_window_days": "90",
            "order": "1",
            "parent": str(category.parent_id),
        },
        state=lambda: Category.objects.get(pk=category.pk).name_sq,
    )


@tenant_route(
    "reports: settings, retire a category",
    url_names=("staff-reports:configure-category-active",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_category_active(municipality, ctx):
    from sportel.reports.models import Category

    category, _report = _reports_probe_data(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-category-active", municipality, pk=category.pk),
        method="POST",
        data={"active": "0"},
        state=lambda: Category.objects.get(pk=category.pk).is_active,
    )


def _reports_questions(municipality):
    """The probe category with two questions (a list and a number); the list's text is the
    marker."""
    from sportel.reports.models import CategoryAttribute

    category, _report = _reports_probe_data(municipality)
    depth, _ = CategoryAttribute.objects.get_or_create(
        category=category,
        code="probe_depth",
        defaults={
            "datatype": "singlevaluelist",
            "order": 1,
            "description_sq": f"Sa thellë Q6D {municipality.slug}?",
            "values": [{"key": "knee", "name_sq": "Gjuri"}],
        },
    )
    CategoryAttribute.objects.get_or_create(
        category=category,
        code="probe_length",
        defaults={"datatype": "number", "order": 2, "description_sq": "Sa metra?"},
    )
    return category, depth


@tenant_route(
    "reports: settings, a category's question (new and existing)",
    url_names=("staff-reports:configure-question", "staff-reports:configure-new-question"),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure_question(municipality, ctx):
    category, question = _reports_questions(municipality)
    return Probe(
        url=_reports_url(
            "staff-reports:configure-question", municipality, pk=category.pk, qpk=question.pk
        ),
        marker="Q6D",
    )


@tenant_route(
    "reports: settings, a question changed",
    url_names=(),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_question_post(municipality, ctx):
    from sportel.reports.models import CategoryAttribute

    category, question = _reports_questions(municipality)
    return Probe(
        url=_reports_url(
            "staff-reports:configure-question", municipality, pk=category.pk, qpk=question.pk
        ),
        method="POST",
        data={
            "datatype": "singlevaluelist",
            "variable": "on",
            "description_sq": "Pyetje e ndryshuar",
            "value-knee-name_sq": "Gjuri",
        },
        state=lambda: CategoryAttribute.objects.get(pk=question.pk).description_sq,
    )


@tenant_route(
    "reports: settings, add a question",
    url_names=(),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_question_add(municipality, ctx):
    from sportel.reports.models import CategoryAttribute

    category, _question = _reports_questions(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-new-question", municipality, pk=category.pk),
        method="POST",
        data={"code": "probe_new", "datatype": "text", "variable": "on", "description_sq": "E re?"},
        state=lambda: CategoryAttribute.objects.filter(category=category).count(),
    )


@tenant_route(
    "reports: settings, move a question",
    url_names=("staff-reports:configure-question-move",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_question_move(municipality, ctx):
    from sportel.reports.models import CategoryAttribute

    category, question = _reports_questions(municipality)
    return Probe(
        url=_reports_url(
            "staff-reports:configure-question-move", municipality, pk=category.pk, qpk=question.pk
        ),
        method="POST",
        data={"direction": "down"},
        state=lambda: CategoryAttribute.objects.get(pk=question.pk).order,
    )


@tenant_route(
    "reports: settings, retire a question",
    url_names=("staff-reports:configure-question-active",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_question_active(municipality, ctx):
    from sportel.reports.models import CategoryAttribute

    category, question = _reports_questions(municipality)
    return Probe(
        url=_reports_url(
            "staff-reports:configure-question-active",
            municipality,
            pk=category.pk,
            qpk=question.pk,
        ),
        method="POST",
        data={"active": "0"},
        state=lambda: CategoryAttribute.objects.filter(pk=question.pk, is_active=True).exists(),
    )


def _reports_route(municipality):
    from sportel.reports.models import RoutingRule

    category, _report = _reports_probe_data(municipality)
    unit = municipality.units.order_by("pk").first()
    rule = RoutingRule.objects.create(
        municipality=municipality, category=category, unit=unit, team=f"Route team W8R {unit}"
    )
    return rule


@tenant_route(
    "reports: settings, routing",
    url_names=("staff-reports:configure-routing",),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure_routing(municipality, ctx):
    _reports_route(municipality)
    return Probe(url=_reports_url("staff-reports:configure-routing", municipality), marker="W8R")


@tenant_route(
    "reports: settings, remove a routing rule",
    url_names=("staff-reports:configure-routing-remove",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_routing_remove(municipality, ctx):
    from sportel.reports.models import RoutingRule

    rule = _reports_route(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-routing-remove", municipality, pk=rule.pk),
        method="POST",
        state=lambda: RoutingRule.objects.filter(pk=rule.pk).exists(),
    )


def _reports_weight(municipality):
    from sportel.reports.models import AreaWeight

    unit = municipality.units.order_by("pk").first()
    return AreaWeight.objects.create(
        municipality=municipality, unit=unit, weight="1.50", reason=f"Flooded V5W {unit.slug}"
    )


@tenant_route(
    "reports: settings, area weights",
    url_names=("staff-reports:configure-weights",),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure_weights(municipality, ctx):
    _reports_weight(municipality)
    return Probe(url=_reports_url("staff-reports:configure-weights", municipality), marker="V5W")


@tenant_route(
    "reports: settings, remove an area weight",
    url_names=("staff-reports:configure-weight-remove",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_weight_remove(municipality, ctx):
    from sportel.reports.models import AreaWeight

    row = _reports_weight(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-weight-remove", municipality, pk=row.pk),
        method="POST",
        state=lambda: AreaWeight.objects.filter(pk=row.pk).exists(),
    )


def _reports_ban(municipality):
    from sportel.reports import services
    from sportel.reports.models import BannedReporter

    return BannedReporter.objects.create(
        municipality=municipality,
        value_hash=services.reporter_key(email=f"spam@{municipality.slug}.al"),
        kind="email",
        label=f"s***@{municipality.slug}.al",
        reason=f"Spam B3N {municipality.slug}",
    )


@tenant_route(
    "reports: settings, the ban list",
    url_names=("staff-reports:configure-bans",),
    owner_role=Role.ADMINISTRATOR,
)
def reports_configure_bans(municipality, ctx):
    _reports_ban(municipality)
    return Probe(url=_reports_url("staff-reports:configure-bans", municipality), marker="B3N")


@tenant_route(
    "reports: settings, lift a ban",
    url_names=("staff-reports:configure-ban-lift",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def reports_configure_ban_lift(municipality, ctx):
    from sportel.reports.models import BannedReporter

    row = _reports_ban(municipality)
    return Probe(
        url=_reports_url("staff-reports:configure-ban-lift", municipality, pk=row.pk),
        method="POST",
        state=lambda: BannedReporter.objects.get(pk=row.pk).lifted_at,
    )


@tenant_route(
    "reports: public pages (report a problem, a report, the priority list)",
    url_names=(
        "reports:new",
        "reports:form",
        "reports:detail",
        "reports:reporter",
        "reports:priorities",
        "reports:priorities-screen",
    ),
    owner_role=Role.CLERK,
    public=True,
)
def reports_public(municipality, ctx):
    # Public pages; each object is looked up within the path's municipality (a Shkodër report
    # under /lezhe/ is a 404: tests/reports/test_views.py).
    _category, report = _reports_probe_data(municipality)
    return Probe(url=_reports_url("reports:detail", municipality, pk=report.pk))


PUBLIC.update(
    {
        "reports:confirm": "the anonymous reporter types the code sent to them (their session)",
        "reports:voice": "anyone may add their voice to an open group of reports",
        "reports:subscribe": "anyone may ask for alerts (confirmed from the emailed link)",
        "reports:subscription": "acts only on the subscription whose secret the link carries",
        # Open311 GeoReport v2: public reads; writes need an api_key of the jurisdiction (the
        # key's municipality is checked: tests/reports/test_open311.py).
        "open311:root": "Open311: nothing (404)",
        "open311:discovery": "Open311 service discovery",
        "open311:services": "Open311 public service list of a jurisdiction",
        "open311:service": "Open311 public service definition",
        "open311:requests": "Open311 public requests (no personal data); POST needs the key",
        "open311:request": "Open311 one public request (no personal data)",
        "open311:token": "Open311 token lookup within the jurisdiction",
        "open311:updates": "mySociety updates: public; POST needs the jurisdiction's key",
        "open311:media": "photos of public reports, re-encoded without metadata",
    }
)


# --- floor: counters, tickets, office status, devices (issue 10) --------------------------------
def _floor(municipality, ctx, *, signed_in=False):
    """An office with its queues; optionally a clerk signed in at counter 1 (the probe's owner)."""
    from sportel.floor import services as floor_services
    from tests.floor.factories import category, counter, make_office

    office = make_office(municipality)
    clerk = ctx.make_staff(municipality, Role.CLERK)
    floor_services.open_session(counter(office, 1), actor=clerk)
    ticket = floor_services.issue_ticket(office, category=category(office, "A"), channel="kiosk")
    return office, (clerk if signed_in else None), ticket


def _ticket_state(ticket):
    from sportel.floor.models import Ticket

    return lambda: Ticket.objects.filter(pk=ticket.pk).values_list("state", "counter_id").get()


def _floor_url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@tenant_route(
    "floor: the counter screen", url_names=("floor-staff:counter",), owner_role=Role.CLERK
)
def floor_counter(municipality, ctx):
    _office, clerk, ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_url("floor-staff:counter", municipality), marker=ticket.number, owner=clerk
    )


@tenant_route(
    "floor: sign in at a counter",
    url_names=("floor-staff:sign-in",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_sign_in(municipality, ctx):
    from sportel.floor.models import ClerkSession

    office, _clerk, _ticket = _floor(municipality, ctx)
    desk = office.counters.get(number=2)
    return Probe(
        url=_floor_url("floor-staff:sign-in", municipality),
        method="POST",
        data={"counter": desk.pk},
        state=lambda: ClerkSession.objects.filter(counter=desk).count(),
    )


@tenant_route(
    "floor: leave the counter",
    url_names=("floor-staff:sign-out",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_sign_out(municipality, ctx):
    from sportel.floor.models import ClerkSession

    _office, clerk, _ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_url("floor-staff:sign-out", municipality),
        method="POST",
        state=lambda: ClerkSession.objects.filter(ended_at__isnull=True).count(),
        owner=clerk,
    )


@tenant_route(
    "floor: call next",
    url_names=("floor-staff:call-next",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_call_next(municipality, ctx):
    _office, clerk, ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_url("floor-staff:call-next", municipality),
        method="POST",
        state=_ticket_state(ticket),
        owner=clerk,
    )


@tenant_route(
    "floor: hand out a ticket at reception",
    url_names=("floor-staff:reception",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_reception(municipality, ctx):
    from sportel.floor.models import Ticket

    office, clerk, _ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_url("floor-staff:reception", municipality),
        method="POST",
        data={"reception-category": office.categories.get(letter="A").pk},
        state=lambda: Ticket.objects.count(),
        owner=clerk,
    )


@tenant_route(
    "floor: an action on a ticket (a Lezhë clerk cannot call a Shkodër ticket)",
    url_names=("floor-staff:ticket-action",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_ticket_action(municipality, ctx):
    _office, clerk, ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_url("floor-staff:ticket-action", municipality, pk=ticket.pk, action="call"),
        method="POST",
        state=_ticket_state(ticket),
        owner=clerk,
    )


@tenant_route("floor: the offices", url_names=("floor-staff:offices",), owner_role=Role.MANAGER)
def floor_offices(municipality, ctx):
    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(url=_floor_url("floor-staff:offices", municipality), marker=office.name_sq)


@tenant_route(
    "floor: an office's status", url_names=("floor-staff:office-status",), owner_role=Role.MANAGER
)
def floor_office_status(municipality, ctx):
    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(
        url=_floor_url("floor-staff:office-status", municipality, office=office.slug),
        marker=office.name_sq,
    )


@tenant_route("floor: the report", url_names=("floor-staff:report",), owner_role=Role.MANAGER)
def floor_report(municipality, ctx):
    _office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(url=_floor_url("floor-staff:report", municipality, fmt="csv"), marker="zyra-")


@tenant_route(
    "floor: kiosks and screens", url_names=("floor-staff:devices",), owner_role=Role.ADMINISTRATOR
)
def floor_devices(municipality, ctx):
    from sportel.floor import services as floor_services

    office, _clerk, _ticket = _floor(municipality, ctx)
    admin = ctx.make_staff(municipality, Role.ADMINISTRATOR)
    floor_services.register_device(office, kind="screen", name="Ekrani Probe", actor=admin)
    return Probe(url=_floor_url("floor-staff:devices", municipality), marker="Ekrani Probe")


@tenant_route(
    "floor: revoke a device",
    url_names=("floor-staff:revoke-device",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def floor_revoke_device(municipality, ctx):
    from sportel.floor import services as floor_services
    from sportel.floor.models import Device

    office, _clerk, _ticket = _floor(municipality, ctx)
    admin = ctx.make_staff(municipality, Role.ADMINISTRATOR)
    device, _token = floor_services.register_device(office, kind="kiosk", name="K", actor=admin)
    return Probe(
        url=_floor_url("floor-staff:revoke-device", municipality, pk=device.pk),
        method="POST",
        state=lambda: Device.objects.get(pk=device.pk).revoked_at,
    )


@tenant_route(
    "floor: cancel an appointment",
    url_names=("floor:cancel-appointment",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def floor_cancel_appointment(municipality, ctx):
    import datetime as dt

    from django.utils import timezone

    from sportel.accounts.models import User
    from sportel.floor import selectors as floor_selectors
    from sportel.floor import services as floor_services
    from sportel.floor.models import Appointment

    office, _clerk, _ticket = _floor(municipality, ctx)
    citizen = User.objects.create_user(
        f"resident.{User.objects.count()}@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z"
    )
    category = office.categories.get(letter="A")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    slot = floor_selectors.slots(category, tomorrow)[40]
    booked = floor_services.book_appointment(category, slot_start=slot, user=citizen)
    return Probe(
        url=_floor_url("floor:cancel-appointment", municipality, code=booked.code),
        method="POST",
        state=lambda: Appointment.objects.get(pk=booked.pk).state,
        owner=citizen,
    )


def _floor_api(municipality, path):
    return f"/api/v1/municipalities/{municipality.slug}/{path}"


@tenant_route(
    "floor API: a clerk issues a ticket",
    operations=("POST /api/v1/municipalities/{slug}/offices/{office}/tickets",),
    owner_role=Role.CLERK,
    ok_status=(201,),
)
def floor_api_issue(municipality, ctx):
    from sportel.floor.models import Ticket

    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(
        url=_floor_api(municipality, f"offices/{office.slug}/tickets"),
        method="POST",
        json=True,
        data={"category": "A"},
        state=lambda: Ticket.objects.count(),
    )


@tenant_route(
    "floor API: call next",
    operations=("POST /api/v1/municipalities/{slug}/counters/{counter_id}/call-next",),
    owner_role=Role.CLERK,
)
def floor_api_call_next(municipality, ctx):
    office, clerk, ticket = _floor(municipality, ctx, signed_in=True)
    desk = office.counters.get(number=1)
    return Probe(
        url=_floor_api(municipality, f"counters/{desk.pk}/call-next"),
        method="POST",
        json=True,
        marker=ticket.code,
        state=_ticket_state(ticket),
        owner=clerk,
    )


@tenant_route(
    "floor API: an action on a ticket",
    operations=("POST /api/v1/municipalities/{slug}/tickets/{code}/actions/{name}",),
    owner_role=Role.CLERK,
)
def floor_api_action(municipality, ctx):
    office, clerk, ticket = _floor(municipality, ctx, signed_in=True)
    return Probe(
        url=_floor_api(municipality, f"tickets/{ticket.code}/actions/call"),
        method="POST",
        json=True,
        data={"counter_id": office.counters.get(number=1).pk},
        marker=ticket.code,
        state=_ticket_state(ticket),
        owner=clerk,
    )


@tenant_route(
    "floor API: check in to an appointment",
    operations=("POST /api/v1/municipalities/{slug}/appointments/{code}/check-in",),
    owner_role=Role.CLERK,
    ok_status=(201,),
)
def floor_api_check_in(municipality, ctx):
    import datetime as dt

    from django.utils import timezone

    from sportel.floor import selectors as floor_selectors
    from sportel.floor.models import Appointment

    office, _clerk, _ticket = _floor(municipality, ctx)
    category = office.categories.get(letter="A")
    now = timezone.now()
    slot = next(
        s
        for s in floor_selectors.slots(category, timezone.localdate(now))
        + floor_selectors.slots(category, timezone.localdate(now) + dt.timedelta(days=1))
        if s > now
    )
    booked = Appointment.objects.create(
        municipality=municipality, office=office, category=category, slot_start=slot, code="PROBE1"
    )
    return Probe(
        url=_floor_api(municipality, f"appointments/{booked.code}/check-in"),
        method="POST",
        json=True,
        state=lambda: Appointment.objects.get(pk=booked.pk).state,
    )


PUBLIC.update(
    {
        "floor:screen": "an information screen: its device token opens it, only under its own "
        "municipality's path (404 elsewhere, tests/floor/test_devices.py); ticket numbers only",
        "floor:screen-state": "the information screen's state: as floor:screen",
        "floor:kiosk": "a kiosk: its device token opens it, only under its own municipality",
        "floor:kiosk-ticket": "a kiosk takes a ticket: as floor:kiosk",
        "floor:kiosk-ticket-print": "the kiosk's ticket slip by its unguessable code: as floor:kiosk",
        "floor:kiosk-check-in": "a kiosk checks in an appointment: as floor:kiosk",
        "floor:ticket": "a ticket by its unguessable code: number, queue, state, no personal data",
        "GET /api/v1/municipalities/{slug}/offices": "offices, hours and waits: no personal data",
        "GET /api/v1/municipalities/{slug}/tickets/{code}": "a ticket by its unguessable code",
        "GET /api/v1/municipalities/{slug}/screen": "an information screen's device token only",
    }
)
OWN_ACCOUNT.update(
    {
        "floor:appointments": "the account's own appointments, and booking one",
        "floor:join": "public waits, and a ticket of the account's own (no one else's object)",
    }
)


# --- floor: the administrator's office set-up (issue 10) ----------------------------------------
@tenant_route(
    "floor: set up the offices", url_names=("floor-staff:configure",), owner_role=Role.ADMINISTRATOR
)
def floor_configure(municipality, ctx):
    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(url=_floor_url("floor-staff:configure", municipality), marker=office.name_sq)


@tenant_route(
    "floor: change an office's hours",
    url_names=("floor-staff:configure-office",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def floor_configure_office(municipality, ctx):
    from sportel.floor.models import Office

    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(
        url=_floor_url("floor-staff:configure-office", municipality, office=office.slug),
        method="POST",
        data={
            "name_sq": "Zyra e ndryshuar",
            "unit": office.unit_id,
            "hours_0": "09:00-10:00",
            "priority_1": "infant",
            "priority_2": "elderly",
            "priority_3": "disability",
            "priority_4": "pregnant",
        },
        state=lambda: (
            Office.objects.filter(pk=office.pk).values_list("name_sq", "opening_hours").get()
        ),
    )


@tenant_route(
    "floor: add a queue to an office",
    url_names=("floor-staff:configure-new-category",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def floor_configure_new_category(municipality, ctx):
    from sportel.floor.models import QueueCategory

    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(
        url=_floor_url("floor-staff:configure-new-category", municipality, office=office.slug),
        method="POST",
        data={
            "letter": "Q",
            "name_sq": "Radha e re",
            "default_service_minutes": "5",
            "slot_minutes": "15",
            "slot_capacity": "0",
            "order": "10",
        },
        state=lambda: QueueCategory.objects.filter(office=office).count(),
    )


@tenant_route(
    "floor: a queue's services",
    url_names=("floor-staff:configure-category",),
    owner_role=Role.ADMINISTRATOR,
)
def floor_configure_category(municipality, ctx):
    from tests.floor.factories import category

    office, _clerk, _ticket = _floor(municipality, ctx)
    queue = category(office, "A")
    queue.name_sq = f"Radha {municipality.slug}"
    queue.save()
    return Probe(
        url=_floor_url(
            "floor-staff:configure-category", municipality, office=office.slug, pk=queue.pk
        ),
        marker=queue.name_sq,
    )


@tenant_route(
    "floor: add a counter to an office",
    url_names=("floor-staff:configure-new-counter",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def floor_configure_new_counter(municipality, ctx):
    from sportel.floor.models import Counter
    from tests.floor.factories import category

    office, _clerk, _ticket = _floor(municipality, ctx)
    return Probe(
        url=_floor_url("floor-staff:configure-new-counter", municipality, office=office.slug),
        method="POST",
        data={"number": "8", "categories": category(office, "A").pk, "is_active": "on"},
        state=lambda: Counter.objects.filter(office=office).count(),
    )


@tenant_route(
    "floor: close a counter or change its queues",
    url_names=("floor-staff:configure-counter",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def floor_configure_counter(municipality, ctx):
    from sportel.floor.models import Counter
    from tests.floor.factories import category, counter

    office, _clerk, _ticket = _floor(municipality, ctx)
    desk = counter(office, 3)
    return Probe(
        url=_floor_url(
            "floor-staff:configure-counter", municipality, office=office.slug, pk=desk.pk
        ),
        method="POST",
        data={"number": "3", "categories": category(office, "A").pk},
        state=lambda: (
            Counter.objects.get(pk=desk.pk).is_active,
            sorted(Counter.objects.get(pk=desk.pk).categories.values_list("pk", flat=True)),
        ),
    )


PUBLIC.update(
    {
        "floor:kiosk-sign-in": "a kiosk asks for a sign-in code by NID: as floor:kiosk; it answers "
        "the same whether or not the person exists (tests/floor/test_kiosk_sign_in.py)",
        "floor:kiosk-sign-in-code": "a kiosk signs in with the SMS code: as floor:kiosk",
        "floor:kiosk-documents": "the signed-in resident's own certificates only (cases_of(user)), "
        "on a kiosk of the session's municipality: as floor:kiosk",
    }
)


PUBLIC.update(
    {
        "floor:sms-inbound": "the SMS gateway's webhook, authenticated by its HMAC signature (not a "
        "login); an office code is looked up only in the path's municipality "
        "(tests/floor/test_sms_tickets.py)",
    }
)


PUBLIC.update(
    {
        "floor:kiosk-pay": "the kiosk-signed-in resident's own bills (their linked persons' "
        "invoices), on a kiosk of the session's municipality: as floor:kiosk "
        "(tests/floor/test_kiosk_pay.py)",
        "floor:kiosk-pay-receipt": "a receipt only for the resident who paid, in their kiosk "
        "session: as floor:kiosk-pay",
        "floor:kiosk-finish": "logs the kiosk's resident out: as floor:kiosk",
    }
)


PUBLIC.update(
    {
        "floor:kiosk-sign-in-eid": "a kiosk starts an eID sign-in: as floor:kiosk (its token, only "
        "under its own municipality); 404 where eID is not among the kiosk's functions "
        "(tests/floor/test_kiosk_eid.py)",
        "floor-eid:callback": "the eID provider's answer for every kiosk: it signs in only the "
        "browser whose session holds the matching state, onto the kiosk that started it, whose "
        "token it checks (tests/floor/test_kiosk_eid.py)",
        "floor-eid:logged-out": "the provider's logout coming back: a redirect to the start screen "
        "this browser's session names, nothing else",
    }
)


# --- revenue: collection, assessment, statements, manual queue, cash, My taxes ------------------
def _revenue_assessed(municipality):
    """A fiscal package, one owner with a property, the year assessed, in ``municipality``."""
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import FiscalPackage
    from tests.revenue.conftest import make_person, make_property

    package = FiscalPackage.objects.filter(municipality=municipality).first()
    if package is None:
        package = fiscal.create_package(municipality, fiscal.seed_data("shkoder-2026"))
    owner = make_person(municipality, "Vera", "Tenancy")
    make_property(municipality, [(owner, "1")])
    run = assessment.start_run(package)
    return package, assessment.run_to_end(run.pk), owner


def _revenue_url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


def _revenue_unmatched(municipality):
    from datetime import date

    from sportel.revenue import payments
    from sportel.revenue.models import Payment

    payment, _created = payments.receive(
        municipality,
        channel=Payment.Channel.BANK,
        amount="123.45",
        key=f"tenancy:{municipality.slug}:{Payment.objects.count()}",
        received_on=date(2026, 5, 4),
        payer_name="Paguesi Tenancy",
    )
    return payment


@tenant_route(
    "revenue: collection dashboard",
    url_names=("revenue-staff:dashboard",),
    owner_role=Role.MANAGER,
)
def revenue_dashboard(municipality, ctx):
    _revenue_assessed(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:dashboard", municipality), marker="collection-rate"
    )


@tenant_route(
    "revenue: assessment page", url_names=("revenue-staff:assessment",), owner_role=Role.TAX_OFFICER
)
def revenue_assessment(municipality, ctx):
    _revenue_assessed(municipality)
    return Probe(url=_revenue_url("revenue-staff:assessment", municipality), marker="run-2026")


@tenant_route(
    "revenue: start an assessment run",
    url_names=("revenue-staff:assessment",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_assessment_start(municipality, ctx):
    from sportel.revenue.models import AssessmentRun

    package, _run, _owner = _revenue_assessed(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:assessment", municipality),
        method="POST",
        data={"package": package.pk},
        state=lambda: AssessmentRun.objects.filter(package=package).count(),
    )


@tenant_route(
    "revenue: an assessment run's progress",
    url_names=("revenue-staff:run",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_run(municipality, ctx):
    _package, run, _owner = _revenue_assessed(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:run", municipality, pk=run.pk), marker="run-progress"
    )


@tenant_route(
    "revenue: statements list", url_names=("revenue-staff:statements",), owner_role=Role.TAX_OFFICER
)
def revenue_statements(municipality, ctx):
    return Probe(url=_revenue_url("revenue-staff:statements", municipality))


@tenant_route(
    "revenue: import a statement",
    url_names=("revenue-staff:statements",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_statement_import(municipality, ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sportel.revenue.models import Statement
    from tests.revenue.conftest import camt053, entry

    data = camt053([entry("10.00", name="Tenancy")], statement_id=f"T-{municipality.slug}")
    return Probe(
        url=_revenue_url("revenue-staff:statements", municipality),
        method="POST",
        multipart=True,
        data={"file": SimpleUploadedFile("s.xml", data, "application/xml")},
        state=lambda: Statement.objects.count(),
    )


@tenant_route(
    "revenue: an imported statement",
    url_names=("revenue-staff:statement",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_statement(municipality, ctx):
    from sportel.revenue import statements
    from tests.revenue.conftest import camt053, entry

    data = camt053([entry("10.00", name="Tenancy")], statement_id=f"SEEN-{municipality.slug}")
    summary = statements.import_camt053(municipality, data)
    return Probe(
        url=_revenue_url("revenue-staff:statement", municipality, pk=summary.statement.pk),
        marker=f"SEEN-{municipality.slug}",
    )


@tenant_route(
    "revenue: manual queue", url_names=("revenue-staff:queue",), owner_role=Role.TAX_OFFICER
)
def revenue_queue(municipality, ctx):
    _revenue_unmatched(municipality)
    return Probe(url=_revenue_url("revenue-staff:queue", municipality), marker="Paguesi Tenancy")


@tenant_route(
    "revenue: assign a queued payment",
    url_names=("revenue-staff:queue",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_queue_assign(municipality, ctx):
    from sportel.revenue.models import Invoice, Payment

    _revenue_assessed(municipality)
    payment = _revenue_unmatched(municipality)
    invoice = Invoice.objects.filter(municipality=municipality).first()
    return Probe(
        url=_revenue_url("revenue-staff:queue", municipality),
        method="POST",
        data={"payment": payment.pk, "reference": invoice.reference},
        state=lambda: Payment.objects.get(pk=payment.pk).status,
    )


@tenant_route(
    "revenue: cash at the counter", url_names=("revenue-staff:cash",), owner_role=Role.CLERK
)
def revenue_cash(municipality, ctx):
    return Probe(url=_revenue_url("revenue-staff:cash", municipality))


@tenant_route(
    "revenue: take cash for a bill",
    url_names=("revenue-staff:cash",),
    owner_role=Role.CLERK,
    ok_status=(302,),
)
def revenue_cash_take(municipality, ctx):
    from sportel.revenue.models import Invoice, Payment

    _revenue_assessed(municipality)
    invoice = Invoice.objects.filter(municipality=municipality).first()
    return Probe(
        url=_revenue_url("revenue-staff:cash", municipality),
        method="POST",
        data={"reference": invoice.reference, "amount": "10", "token": f"t-{invoice.pk}"},
        state=lambda: Payment.objects.filter(invoice=invoice).count(),
    )


OWN_ACCOUNT["revenue:mine"] = "the account's own tax bills (persons linked to the account)"
PUBLIC["revenue:callback"] = "a payment provider's signed callback: refused unless signed"


@tenant_route(
    "revenue: a resident pays an own bill online (sandbox)",
    url_names=("revenue:pay",),
    owner_role=Role.CLERK,
)
def revenue_pay(municipality, ctx):
    from sportel.accounts.models import User
    from sportel.revenue.models import Invoice

    _package, _run, owner = _revenue_assessed(municipality)
    user = User.objects.create_user(
        f"payer.{municipality.slug}.{owner.pk}@test.sportel.al",
        "x",
        confirmed_at="2026-01-01T00:00Z",
    )
    owner.user = user
    owner.save(update_fields=["user"])
    invoice = Invoice.objects.get(person=owner)
    return Probe(
        url=reverse(
            "revenue:pay",
            kwargs={"municipality_slug": municipality.slug, "reference": invoice.reference},
        ),
        marker="pay-amount",
        owner=user,
    )


@tenant_route("revenue: arrears", url_names=("revenue-staff:arrears",), owner_role=Role.MANAGER)
def revenue_arrears(municipality, ctx):
    from datetime import date

    from sportel.revenue.models import Demand

    _package, _run, owner = _revenue_assessed(municipality)
    Demand.objects.filter(invoice__person=owner).update(due_date=date(2025, 1, 31))
    return Probe(url=_revenue_url("revenue-staff:arrears", municipality), marker="Vera Tenancy")


@tenant_route("revenue: export", url_names=("revenue-staff:export",), owner_role=Role.MANAGER)
def revenue_export(municipality, ctx):
    _revenue_assessed(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:export", municipality, fmt="csv"), marker="ndërtesën"
    )


OWN_ACCOUNT["revenue:clearance"] = "a tax clearance certificate for the account's own person"


# --- opendata: the staff publishing pages; the portal, CKAN API and DCAT are public ---------------
def _od_url(url_name, municipality, **kwargs):
    return reverse(url_name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@tenant_route(
    "opendata: a municipality's datasets (public)",
    url_names=("opendata:municipality",),
    owner_role=Role.MANAGER,
    public=True,
)
def opendata_municipality(municipality, ctx):
    return Probe(url=_od_url("opendata:municipality", municipality))


@tenant_route("opendata: staff home", url_names=("opendata-staff:home",), owner_role=Role.MANAGER)
def opendata_staff_home(municipality, ctx):
    from tests.opendata.factories import dataset

    item = dataset(municipality, title="Draft i fshehtë i ndihmës")
    return Probe(url=_od_url("opendata-staff:home", municipality), marker=item.title)


@tenant_route(
    "opendata: create a dataset",
    url_names=("opendata-staff:new",),
    owner_role=Role.ADMINISTRATOR,
    ok_status=(302,),
)
def opendata_staff_new(municipality, ctx):
    from sportel.opendata.models import Dataset

    return Probe(
        url=_od_url("opendata-staff:new", municipality),
        method="POST",
        data={"title": "Një grup i ri", "license_id": "CC-BY-4.0", "frequency": "ANNUAL"},
        state=lambda: Dataset.objects.filter(municipality=municipality).count(),
    )


@tenant_route(
    "opendata: a draft dataset", url_names=("opendata-staff:dataset",), owner_role=Role.MANAGER
)
def opendata_staff_dataset(municipality, ctx):
    from tests.opendata.factories import dataset

    item = dataset(municipality, title="Draft i fshehtë i ndihmës")
    return Probe(
        url=_od_url("opendata-staff:dataset", municipality, name=item.name), marker=item.title
    )


@tenant_route(
    "opendata: upload a file to a dataset",
    url_names=("opendata-staff:upload-file",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def opendata_staff_upload_file(municipality, ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sportel.opendata.models import StagedUpload
    from tests.opendata.factories import GOOD_CSV, dataset

    item = dataset(municipality)
    return Probe(
        url=_od_url("opendata-staff:upload-file", municipality, name=item.name),
        method="POST",
        multipart=True,
        data={"file": SimpleUploadedFile("familje.csv", GOOD_CSV.encode())},
        state=lambda: StagedUpload.objects.filter(municipality=municipality).count(),
    )


@tenant_route(
    "opendata: check an upload", url_names=("opendata-staff:upload",), owner_role=Role.MANAGER
)
def opendata_staff_upload(municipality, ctx):
    from tests.opendata.factories import staged

    upload = staged(municipality, filename="familje-sekrete.csv")
    return Probe(
        url=_od_url("opendata-staff:upload", municipality, pk=upload.pk),
        marker="familje-sekrete.csv",
    )


@tenant_route(
    "opendata: publish an upload",
    url_names=("opendata-staff:publish",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def opendata_staff_publish(municipality, ctx):
    from sportel.opendata.models import StagedUpload
    from tests.opendata.factories import staged

    upload = staged(municipality)
    return Probe(
        url=_od_url("opendata-staff:publish", municipality, pk=upload.pk),
        method="POST",
        state=lambda: StagedUpload.objects.get(pk=upload.pk).published_at,
    )


PUBLIC.update(
    {
        "opendata:search": "the portal's search: published datasets only, aggregates",
        "opendata:dataset": "a published dataset's page",
        "opendata-files:action": "CKAN's Action API: read-only, published datasets only",
        "opendata-files:action-unversioned": "CKAN's Action API: read-only, published only",
        "opendata-files:catalog": "the DCAT-AP catalogue of published datasets",
        "opendata-files:dataset-rdf": "a published dataset in DCAT-AP",
        "opendata-files:datapackage": "a published dataset as a Frictionless Data Package",
        "opendata-files:download": "a published resource's file",
    }
)


@tenant_route(
    "opendata: schedule a resource's refresh",
    url_names=("opendata-staff:refresh",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def opendata_staff_refresh(municipality, ctx):
    from sportel.opendata import services, staging
    from sportel.opendata.models import Refresh
    from tests.opendata.factories import staged

    upload = staged(municipality)
    version = services.publish_upload(
        upload, "tests", dataset=upload.dataset, rows=staging.rows_of(upload)
    )
    return Probe(
        url=_od_url("opendata-staff:refresh", municipality, name=upload.dataset.name),
        method="POST",
        data={
            "resource": str(version.resource_id),
            "url": "https://example.org/familje.csv",
            "every_hours": "24",
        },
        state=lambda: Refresh.objects.filter(municipality=municipality).count(),
    )


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


# --- revenue: tax notices, reminder letters, appeals and the enforcement list (issue 11) --------
def _revenue_letter(municipality, owner):
    """A registered notice document (test bytes, no seal) for ``owner``'s bill, recorded as the
    bill's current notice, so downloading it seals nothing."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from sportel.revenue import notices
    from sportel.revenue.models import Invoice, TaxNotice
    from tests.documents.factories import registered_document

    invoice = Invoice.objects.get(person=owner)
    document = registered_document(municipality, document_type=notices.NOTICE_TYPE)
    default_storage.delete(document.pdf.name)
    default_storage.save(document.pdf.name, ContentFile(b"%PDF-1.7\ntax-notice-body\n%%EOF\n"))
    return TaxNotice.objects.create(
        municipality=municipality,
        invoice=invoice,
        kind=TaxNotice.Kind.INVOICE,
        fingerprint=notices.fingerprint(invoice),
        document=document,
        total=0,
    )


def _revenue_resident(municipality, owner):
    from sportel.accounts.models import User

    user = User.objects.create_user(
        f"taxpayer.{municipality.slug}.{owner.pk}@test.sportel.al",
        "x",
        confirmed_at="2026-01-01T00:00Z",
    )
    owner.user = user
    owner.save(update_fields=["user"])
    return user


def _revenue_appeal(municipality):
    """A pending appeal (bank guarantee attached) of the assessed owner's building tax."""
    from django.core.files.base import ContentFile

    from sportel.revenue.models import Appeal, Demand, Invoice

    _package, _run, owner = _revenue_assessed(municipality)
    user = _revenue_resident(municipality, owner)
    invoice = Invoice.objects.get(person=owner)
    demand = Demand.objects.filter(invoice=invoice).first()
    appeal = Appeal(
        municipality=municipality,
        demand=demand,
        invoice=invoice,
        filed_by=user,
        reason="Tenancy appeal reason",
        guarantee=True,
        attachment_name="guarantee.pdf",
        attachment_type="application/pdf",
        outstanding_when_filed=demand.amount,
        decide_by="2027-01-01",
        key=f"tenancy-{municipality.slug}-{Appeal.objects.count()}",
    )
    appeal.attachment.save(
        "guarantee.pdf", ContentFile(b"%PDF-1.7\nappeal-attachment-body\n%%EOF\n"), save=False
    )
    appeal.save()
    return appeal


def _revenue_overdue(municipality):
    from datetime import date

    from sportel.revenue.models import Demand

    _package, _run, owner = _revenue_assessed(municipality)
    Demand.objects.filter(invoice__person=owner).update(due_date=date(2024, 1, 31))
    return Demand.objects.filter(invoice__person=owner).first()


@tenant_route(
    "revenue: seal and send a year's tax notices",
    url_names=("revenue-staff:send-notices",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_send_notices(municipality, ctx):
    from sportel.revenue.models import TaxNotice

    package, _run, _owner = _revenue_assessed(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:send-notices", municipality),
        method="POST",
        data={"year": package.year},
        state=lambda: TaxNotice.objects.count(),
    )


@tenant_route(
    "revenue: send the reminder letters due",
    url_names=("revenue-staff:send-reminders",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_send_reminders(municipality, ctx):
    from sportel.revenue.models import TaxNotice

    _revenue_overdue(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:send-reminders", municipality),
        method="POST",
        state=lambda: TaxNotice.objects.count(),
    )


@tenant_route("revenue: appeals", url_names=("revenue-staff:appeals",), owner_role=Role.MANAGER)
def revenue_appeals(municipality, ctx):
    appeal = _revenue_appeal(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:appeals", municipality), marker=str(appeal.invoice.person)
    )


@tenant_route(
    "revenue: an appeal", url_names=("revenue-staff:appeal",), owner_role=Role.TAX_OFFICER
)
def revenue_appeal(municipality, ctx):
    appeal = _revenue_appeal(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:appeal", municipality, pk=appeal.pk),
        marker="Tenancy appeal reason",
    )


@tenant_route(
    "revenue: decide an appeal",
    url_names=("revenue-staff:appeal",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_appeal_decide(municipality, ctx):
    from sportel.revenue.models import AppealDecision

    appeal = _revenue_appeal(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:appeal", municipality, pk=appeal.pk),
        method="POST",
        data={"outcome": "upheld", "reasons": "Tenancy decision"},
        state=lambda: AppealDecision.objects.filter(appeal=appeal).count(),
    )


@tenant_route(
    "revenue: an appeal's attachment",
    url_names=("revenue-staff:appeal-file",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_appeal_file(municipality, ctx):
    appeal = _revenue_appeal(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:appeal-file", municipality, pk=appeal.pk),
        marker="appeal-attachment-body",
    )


@tenant_route(
    "revenue: the enforcement list",
    url_names=("revenue-staff:enforcement",),
    owner_role=Role.MANAGER,
)
def revenue_enforcement(municipality, ctx):
    _revenue_overdue(municipality)
    return Probe(url=_revenue_url("revenue-staff:enforcement", municipality), marker="Vera Tenancy")


@tenant_route(
    "revenue: the enforcement list as CSV",
    url_names=("revenue-staff:enforcement-csv",),
    owner_role=Role.MANAGER,
)
def revenue_enforcement_csv(municipality, ctx):
    _revenue_overdue(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:enforcement-csv", municipality), marker="Vera Tenancy"
    )


@tenant_route(
    "revenue: an enforcement case",
    url_names=("revenue-staff:enforcement-case",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_enforcement_case(municipality, ctx):
    demand = _revenue_overdue(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:enforcement-case", municipality, pk=demand.pk),
        marker="Vera Tenancy",
    )


@tenant_route(
    "revenue: record a legal step",
    url_names=("revenue-staff:enforcement-case",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_enforcement_step(municipality, ctx):
    from sportel.revenue.models import EnforcementStep

    demand = _revenue_overdue(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:enforcement-case", municipality, pk=demand.pk),
        method="POST",
        data={"step": "notice", "taken_on": "2026-02-01"},
        state=lambda: EnforcementStep.objects.filter(demand=demand).count(),
    )


@tenant_route(
    "revenue: a resident's own tax notice",
    url_names=("revenue:notice",),
    owner_role=Role.CLERK,
)
def revenue_notice(municipality, ctx):
    _package, _run, owner = _revenue_assessed(municipality)
    user = _revenue_resident(municipality, owner)
    notice = _revenue_letter(municipality, owner)
    return Probe(
        url=reverse(
            "revenue:notice",
            kwargs={"municipality_slug": municipality.slug, "reference": notice.invoice.reference},
        ),
        marker="tax-notice-body",
        owner=user,
    )


@tenant_route(
    "revenue: a resident's own letter", url_names=("revenue:letter",), owner_role=Role.CLERK
)
def revenue_letter(municipality, ctx):
    _package, _run, owner = _revenue_assessed(municipality)
    user = _revenue_resident(municipality, owner)
    notice = _revenue_letter(municipality, owner)
    return Probe(
        url=reverse(
            "revenue:letter", kwargs={"municipality_slug": municipality.slug, "pk": notice.pk}
        ),
        marker="tax-notice-body",
        owner=user,
    )


@tenant_route(
    "revenue: a resident appeals an own assessment",
    url_names=("revenue:appeal",),
    owner_role=Role.CLERK,
)
def revenue_appeal_form(municipality, ctx):
    from sportel.revenue.models import Invoice

    _package, _run, owner = _revenue_assessed(municipality)
    user = _revenue_resident(municipality, owner)
    invoice = Invoice.objects.get(person=owner)
    return Probe(
        url=reverse(
            "revenue:appeal",
            kwargs={"municipality_slug": municipality.slug, "reference": invoice.reference},
        ),
        marker="Taksa mbi ndërtesën",
        owner=user,
    )


@tenant_route(
    "participation: an organiser puts an accepted proposal on a budget's ballot",
    url_names=("participation-staff:proposal-ballot",),
    owner_role=Role.MANAGER,
    ok_status=(302,),
)
def participation_staff_proposal_ballot(municipality, ctx):
    from datetime import timedelta

    from django.utils import timezone

    from sportel.participation.models import Project, Proposal

    budget = _participation_budget(municipality)
    later = timezone.now() + timedelta(days=5)
    budget.voting_starts, budget.voting_ends = later, later + timedelta(days=14)
    budget.implementation_starts = later + timedelta(days=60)
    budget.save()
    proposal = _participation_proposal(municipality)
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.ACCEPTED)
    return Probe(
        url=_participation_staff_url("proposal-ballot", municipality, pk=proposal.pk),
        method="POST",
        data={"budget": budget.pk, "cost": "1000000", "note": "Tenancy feasibility note"},
        state=lambda: Project.objects.filter(proposal=proposal).count(),
    )


PUBLIC.update(
    {
        "participation:kiosk-votes": "a kiosk's open votes: its device token opens it, only under "
        "its own municipality's path (404 elsewhere), for a resident signed in on a kiosk of that "
        "municipality (tests/participation/test_kiosk_vote.py)",
        "participation:kiosk-vote": "a resident votes at a kiosk: as participation:kiosk-votes; "
        "their own ballot only (services.cast_ballot checks residence)",
        "participation:kiosk-voted": "the kiosk's confirmation: as participation:kiosk-votes, "
        "no ballot content shown",
        "participation:kiosk-finish": "logs the kiosk's resident out: as participation:kiosk-votes",
    }
)


# --- revenue: tariff costing -------------------------------------------------------------------
def _revenue_costing_plan(municipality):
    from decimal import Decimal

    from sportel.revenue import fiscal
    from sportel.revenue.models import CostingPlan, CostItem, FiscalPackage, TaxHead

    if not FiscalPackage.objects.filter(municipality=municipality).exists():
        fiscal.create_package(municipality, fiscal.seed_data("shkoder-2026"))
    head = TaxHead.objects.get(municipality=municipality, code="cleaning")
    plan, created = CostingPlan.objects.get_or_create(
        municipality=municipality, tax_head=head, year=2027, defaults={"households": 900}
    )
    if created:
        CostItem.objects.create(plan=plan, label="Kosto Tenancy", amount=Decimal("250000"))
    return plan


@tenant_route(
    "revenue: costing plans", url_names=("revenue-staff:costing",), owner_role=Role.TAX_OFFICER
)
def revenue_costing(municipality, ctx):
    _revenue_costing_plan(municipality)
    return Probe(url=_revenue_url("revenue-staff:costing", municipality), marker="costing-plans")


@tenant_route(
    "revenue: open a costing plan",
    url_names=("revenue-staff:costing",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_costing_create(municipality, ctx):
    from sportel.revenue.models import CostingPlan

    plan = _revenue_costing_plan(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:costing", municipality),
        method="POST",
        data={"tax_head": plan.tax_head_id, "year": 2031},
        state=lambda: CostingPlan.objects.filter(municipality=municipality).count(),
    )


@tenant_route(
    "revenue: a costing plan's scenarios",
    url_names=("revenue-staff:costing-plan",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_costing_plan(municipality, ctx):
    plan = _revenue_costing_plan(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:costing-plan", municipality, pk=plan.pk),
        marker="Kosto Tenancy",
    )


@tenant_route(
    "revenue: save a costing plan",
    url_names=("revenue-staff:costing-plan",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_costing_save(municipality, ctx):
    from sportel.revenue.models import CostItem

    plan = _revenue_costing_plan(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:costing-plan", municipality, pk=plan.pk),
        method="POST",
        data={"label": "Karburant", "amount": "1000", "households": "10"},
        state=lambda: list(CostItem.objects.filter(plan=plan).values_list("label", "amount")),
    )


def _revenue_penalised(municipality):
    """A bill overdue since January 2024 with its penalty booked (decision 0031)."""
    from datetime import date

    from sportel.revenue import penalties

    demand = _revenue_overdue(municipality)
    invoice = demand.invoice
    penalties.accrue_taxpayer(municipality, on=date(2024, 3, 1), person=invoice.person)
    return invoice


@tenant_route(
    "revenue: a bill's principal, penalty and interest",
    url_names=("revenue-staff:bill",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_bill(municipality, ctx):
    invoice = _revenue_penalised(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:bill", municipality, reference=invoice.reference),
        marker="Vera Tenancy",
    )


@tenant_route(
    "revenue: write off a penalty",
    url_names=("revenue-staff:bill",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_bill_write_off(municipality, ctx):
    from sportel.revenue import penalties
    from sportel.revenue.models import Demand

    invoice = _revenue_penalised(municipality)
    demand = Demand.objects.get(
        invoice=invoice, tax_head__code=penalties.PENALTY, superseded_by__isnull=True
    )
    return Probe(
        url=_revenue_url("revenue-staff:bill", municipality, reference=invoice.reference),
        method="POST",
        data={"demand": demand.pk, "amount": "1", "reason": "Gabim i regjistrimit"},
        state=lambda: Demand.objects.filter(invoice=invoice).count(),
    )


def _revenue_representative(municipality):
    from tests.revenue.conftest import make_business, make_person

    business = make_business(municipality, f"Biznes {municipality.slug}")
    person = make_person(municipality, "Vera", "Tenancy")
    business.representatives.add(person)
    return business, person


@tenant_route(
    "revenue: representatives awaiting review",
    url_names=("revenue-staff:representatives",),
    owner_role=Role.TAX_OFFICER,
)
def revenue_representatives(municipality, ctx):
    _revenue_representative(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:representatives", municipality), marker="Vera Tenancy"
    )


@tenant_route(
    "revenue: revoke a representative",
    url_names=("revenue-staff:representatives",),
    owner_role=Role.TAX_OFFICER,
    ok_status=(302,),
)
def revenue_representative_revoke(municipality, ctx):
    business, person = _revenue_representative(municipality)
    return Probe(
        url=_revenue_url("revenue-staff:representatives", municipality),
        method="POST",
        data={
            "business": business.pk,
            "person": person.pk,
            "decision": "revoked",
            "reason": "Pa prokurë",
        },
        state=lambda: list(business.representatives.values_list("pk", flat=True)),
    )
