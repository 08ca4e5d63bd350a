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
