"""The reports module's background work: telling the residents subscribed to an area about
each new public report there.

Queued inside the report's own transaction when anyone is subscribed to its area (a
transactional outbox: the worker sees the task only once the report commits, a rolled-back report
queues nothing, and the resident's request never waits for up to 500 emails). Idempotent: each subscriber's notice is
written together with an :class:`~sportel.reports.models.AreaNotice` row, unique per report and
subscription, in one small transaction; a task re-run after its worker was killed skips those
already told and tells the rest.
"""

from django.db import IntegrityError, transaction
from django_tasks import task

from . import workflow
from .models import AreaNotice, AreaSubscription, Report
from .subscriptions import covering_unit, report_link, send_subscription

# At most this many subscribers are told about one report (a flood guard, as before).
MAX_SUBSCRIBERS = 500


@task()
def notify_area_subscribers(report_id: int) -> int:
    """Tell each confirmed, not stopped subscriber of the report's area (its unit, or the
    whole municipality) once; returns how many were told in this run."""
    report = (
        Report.objects.select_related("municipality", "category", "unit")
        .filter(pk=report_id)
        .first()
    )
    if report is None or report.status not in workflow.PUBLIC_STATES:
        return 0
    told = set(
        AreaNotice.objects.filter(report_id=report_id).values_list("subscription_id", flat=True)
    )
    rows = (
        AreaSubscription.objects.filter(
            municipality_id=report.municipality_id,
            confirmed_at__isnull=False,
            stopped_at__isnull=True,
        )
        .filter(covering_unit(report.unit_id))
        .select_related("municipality", "unit")
        .order_by("pk")[:MAX_SUBSCRIBERS]
    )
    link = report_link(report, "reports:detail")
    sent = 0
    for row in rows:
        if row.pk in told:
            continue
        try:
            with transaction.atomic():
                AreaNotice.objects.create(
                    municipality_id=report.municipality_id, report=report, subscription=row
                )
                send_subscription(
                    row,
                    "reports_new_in_area",
                    {
                        "category": report.category.name(row.language),
                        "description": report.public_description,
                        "link": link,
                    },
                )
        except IntegrityError:  # another run told this one meanwhile
            continue
        sent += 1
    return sent
