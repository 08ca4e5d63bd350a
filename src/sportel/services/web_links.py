"""The services entry points on the municipality home and on the staff home."""

from django.utils.translation import gettext_lazy as _


def municipalities_of(user):
    """Where the user has applied or keeps a draft (for the links on their account page)."""
    from sportel.core.models import Municipality

    from .selectors import cases_of, drafts_of

    ids = set(cases_of(user).order_by().values_list("municipality_id", flat=True))
    ids |= set(drafts_of(user).order_by().values_list("municipality_id", flat=True))
    return Municipality.objects.filter(pk__in=ids) if ids else []


def register_links() -> None:
    from sportel.accounts.links import register_account_municipalities
    from sportel.accounts.staff import register_staff_link
    from sportel.web.links import register_municipal_link

    register_account_municipalities(municipalities_of)
    register_municipal_link(
        "services:catalogue",
        _("Services"),
        _("Find a service by what is happening in your life, apply online and follow it."),
        order=10,
    )
    register_municipal_link(
        "services:mine",
        _("My applications"),
        _("Your drafts and cases, where each stands and when to expect an answer."),
        order=20,
    )
    register_municipal_link(
        "tracking:track",
        _("Track a case"),
        _("With the tracking code on your receipt, without logging in."),
        order=30,
    )
    register_municipal_link(
        "services:moving-home",
        _("Moving home"),
        _("Tell us once: we open every request a move needs."),
        order=40,
    )
    register_staff_link(
        _("Counter"),
        "services-staff:counter",
        "cases.counter",
        _("Serve a walk-in: identify them, file their application, print the receipt."),
    )
    register_staff_link(
        _("Cases"),
        "services-staff:queue",
        "cases.read",
        _("The queue by legal deadline, case files and actions."),
    )
