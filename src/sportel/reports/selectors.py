"""Reads of the reports module: the priority list (with every factor of its score), nearby
reports, the staff queue, statistics."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import workflow
from .models import AreaWeight, Cluster, FundingDecision, Report


@dataclass
class Priority:
    """One cluster on the priority list and how its score was reached (all shown publicly).

    score = (unique reporters + reopenings) × severity × age factor × area weight, where the
    age factor is 1 + days open / 365 (at most 2: a year-old problem counts double)."""

    cluster: Cluster
    reporters: int
    reopenings: int
    severity: int
    age_days: int
    age_factor: Decimal
    area_weight: Decimal
    score: Decimal
    funding: FundingDecision | None
    fixed: bool
    # Why the area weighs more or less (set by the administrator, shown publicly).
    area_reason: str = ""

    @property
    def state(self) -> str:
        if self.fixed:
            return "fixed"
        return "funded" if self.funding else "open"


def _age_factor(days: int) -> Decimal:
    return (Decimal(1) + Decimal(min(days, 365)) / Decimal(365)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def priority_list(municipality, *, unit=None, limit: int = 100) -> list[Priority]:
    """Clusters of public reports, open ones and those fixed in the last 90 days, by score."""
    now = timezone.now()
    clusters = (
        Cluster.objects.filter(municipality=municipality, voices__gt=0)
        .filter(is_open=True)
        .select_related("category", "unit")
        # Each row shows its latest funding decision beside it.
        .prefetch_related(Prefetch("funding", to_attr="decisions"))
    )
    recently_fixed = (
        Cluster.objects.filter(
            municipality=municipality,
            voices__gt=0,
            is_open=False,
            fixed_at__gte=now - timezone.timedelta(days=90),
        )
        .select_related("category", "unit")
        .prefetch_related(Prefetch("funding", to_attr="decisions"))
    )
    if unit is not None:
        clusters = clusters.filter(unit=unit)
        recently_fixed = recently_fixed.filter(unit=unit)
    weights = {w.unit_id: w for w in AreaWeight.objects.filter(municipality=municipality)}
    rows = []
    for cluster in [*clusters[:2000], *recently_fixed[:200]]:
        days = max(0, (now - cluster.created_at).days)
        factor = _age_factor(days)
        area = weights.get(cluster.unit_id)
        weight = area.weight if area is not None else Decimal(1)
        severity = cluster.category.severity
        score = (
            Decimal(cluster.voices + cluster.reopenings) * severity * factor * weight
        ).quantize(Decimal("0.1"), ROUND_HALF_UP)
        rows.append(
            Priority(
                cluster=cluster,
                reporters=cluster.voices,
                reopenings=cluster.reopenings,
                severity=severity,
                age_days=days,
                age_factor=factor,
                area_weight=Decimal(weight).quantize(Decimal("0.01")),
                score=score,
                funding=cluster.decisions[0] if cluster.decisions else None,
                fixed=cluster.fixed_at is not None and not cluster.is_open,
                area_reason=area.reason if area is not None else "",
            )
        )
    rows.sort(key=lambda p: (p.fixed, -p.score, p.cluster.pk))
    return rows[:limit]


def public_reports(municipality):
    return Report.objects.filter(municipality=municipality, status__in=workflow.PUBLIC_STATES)


def staff_queue(municipality, *, status: str = "", category=None, unit=None):
    reports = Report.objects.filter(municipality=municipality).select_related(
        "category", "unit", "assignee"
    )
    if status:
        reports = reports.filter(status=status)
    else:
        reports = reports.filter(status__in=workflow.OPEN_STATES | {workflow.UNCONFIRMED})
    if category is not None:
        reports = reports.filter(category=category)
    if unit is not None:
        reports = reports.filter(unit=unit)
    return reports.order_by("expected_at", "pk")


def reports_per_month(municipality) -> list[dict]:
    """Public reports per category, administrative unit and month, with the median days to
    resolve: aggregates only (the statistics feed)."""
    rows = (
        public_reports(municipality)
        .annotate(month=TruncMonth("requested_at"))
        .values("month", "category__code", "unit__name")
        .annotate(reports=Count("pk"))
        .order_by("month", "category__code", "unit__name")
    )
    resolved: dict[tuple, list[float]] = {}
    for month, code, unit, requested, done in (
        public_reports(municipality)
        .filter(resolved_at__isnull=False)
        .annotate(month=TruncMonth("requested_at"))
        .values_list("month", "category__code", "unit__name", "requested_at", "resolved_at")
    ):
        resolved.setdefault((month, code, unit), []).append(
            (done - requested).total_seconds() / 86400
        )
    out = []
    for row in rows:
        days = sorted(resolved.get((row["month"], row["category__code"], row["unit__name"]), []))
        median = days[len(days) // 2] if days else None
        out.append(
            {
                "month": row["month"].date() if hasattr(row["month"], "date") else row["month"],
                "category": row["category__code"],
                "unit": row["unit__name"] or "",
                "reports": row["reports"],
                "median_days": round(median, 1) if median is not None else None,
            }
        )
    return out


def monthly_trend(municipality, *, unit=None, months: int = 12) -> list[dict]:
    """Public reports per month (the last ``months``), for the priority page's trend table."""
    since = timezone.now() - timezone.timedelta(days=31 * months)
    reports = public_reports(municipality).filter(requested_at__gte=since)
    if unit is not None:
        reports = reports.filter(unit=unit)
    rows = (
        reports.annotate(month=TruncMonth("requested_at"))
        .values("month")
        .annotate(reports=Count("pk"))
        .order_by("month")
    )
    return [{"month": r["month"], "reports": r["reports"]} for r in rows]
