"""The services module's statistics for the open data portal (core/feeds.py): aggregates per
service and month, never a case, a person or a number. Small counts are suppressed by the
registry itself before anything is published."""

import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed

TIRANE = ZoneInfo("Europe/Tirane")


def _month(moment) -> str:
    return moment.astimezone(TIRANE).strftime("%Y-%m")


def applications_per_month(municipality) -> list[dict]:
    from .models import Case

    groups: dict[tuple, list] = defaultdict(list)
    rows = (
        Case.objects.filter(municipality=municipality)
        .values_list("service_type__code", "submitted_at", "decided_at")
        .iterator(chunk_size=5000)
    )
    for code, submitted, decided in rows:
        days = (decided - submitted).total_seconds() / 86400 if decided else None
        groups[(_month(submitted), code)].append(days)
    out = []
    for (month, code), durations in sorted(groups.items()):
        done = [d for d in durations if d is not None]
        out.append(
            {
                "month": month,
                "service": code,
                "applications": len(durations),
                "decided": len(done),
                "median_days": round(statistics.median(done), 1) if done else None,
            }
        )
    return out


def punctuality_per_month(municipality) -> list[dict]:
    from .models import Case

    groups: dict[tuple, list] = defaultdict(list)
    rows = (
        Case.objects.filter(municipality=municipality, decided_at__isnull=False)
        .exclude(legal_end=None)
        .values_list("service_type__code", "service_type__department", "decided_at", "legal_end")
        .iterator(chunk_size=5000)
    )
    departments: dict[str, str] = {}
    for code, department, decided, legal_end in rows:
        departments[code] = department
        groups[(_month(decided), code)].append(decided.astimezone(TIRANE).date() <= legal_end)
    return [
        {
            "month": month,
            "service": code,
            "department": departments[code],
            "decided": len(flags),
            "on_time_share": sum(flags) / len(flags),  # exact: rounded by the registry
        }
        for (month, code), flags in sorted(groups.items())
    ]


def register() -> None:
    register_feed(
        Feed(
            name="applications-per-service-month",
            module="services",
            title=_("Applications and processing times per service and month"),
            description=_(
                "Applications received per service and month, how many were decided and the "
                "median number of days from submission to decision."
            ),
            theme="GOVE",
            frequency="MONTHLY",
            keywords=("services", "applications"),
            fields=[
                Field("month", "yearmonth", _("Month"), key=True),
                Field("service", "string", _("Service code"), key=True),
                Field("applications", "integer", _("Applications"), count=True),
                Field("decided", "integer", _("Decided"), count=True, part_of="applications"),
                Field("median_days", "number", _("Median days to decision"), population="decided"),
            ],
            rows=applications_per_month,
        )
    )
    register_feed(
        Feed(
            name="deadline-punctuality-per-service-month",
            module="services",
            title=_("Deadline punctuality per service and month"),
            description=_(
                "Cases decided per service and month and the share decided within the legal "
                "deadline, with the department that handles each service."
            ),
            theme="GOVE",
            frequency="MONTHLY",
            keywords=("services", "deadlines"),
            fields=[
                Field("month", "yearmonth", _("Month"), key=True),
                Field("service", "string", _("Service code"), key=True),
                Field("department", "string", _("Department")),
                Field("decided", "integer", _("Decided"), count=True),
                Field("on_time_share", "number", _("Share decided on time"), share_of="decided"),
            ],
            rows=punctuality_per_month,
        )
    )
