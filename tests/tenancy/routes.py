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
