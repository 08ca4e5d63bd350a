"""The information screens' panel: participatory budget votes open now (core.screens)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sportel.core.screens import Panel, register_panel

from .models import Budget


def votes_open_now(municipality) -> list[Panel]:
    now = timezone.now()
    budgets = Budget.objects.filter(
        municipality=municipality, voting_starts__lte=now, voting_ends__gt=now
    ).order_by("voting_ends")[:8]
    if not budgets:
        return []
    rows = [
        (b.title, _("until %(date)s") % {"date": date_format(timezone.localtime(b.voting_ends))})
        for b in budgets
    ]
    return [
        Panel(
            key="participation-votes",
            title=gettext_lazy("Vote now: participatory budget"),
            subtitle=gettext_lazy(
                "Verified residents vote online, at the kiosk or at the counter."
            ),
            rows=rows,
            url=reverse("participation:budgets", kwargs={"municipality_slug": municipality.slug}),
        )
    ]


def consultations_open_now(municipality) -> list[Panel]:
    from .models import Consultation

    now = timezone.now()
    found = Consultation.objects.filter(
        municipality=municipality, opens__lte=now, closes__gt=now
    ).order_by("closes")[:8]
    if not found:
        return []
    return [
        Panel(
            key="participation-consultations",
            title=gettext_lazy("Have your say: consultations open now"),
            rows=[
                (c.title, _("until %(date)s") % {"date": date_format(timezone.localtime(c.closes))})
                for c in found
            ],
            url=reverse("participation:proposals", kwargs={"municipality_slug": municipality.slug}),
        )
    ]


def both(municipality) -> list[Panel]:
    return votes_open_now(municipality) + consultations_open_now(municipality)


def register() -> None:
    register_panel("participation", both)
