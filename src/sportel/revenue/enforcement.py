"""The enforcement list: demands overdue beyond a threshold and not under appeal, with the
legal steps taken to collect each one (append-only rows; the latest is the current step).

The threshold is ``SPORTEL_REVENUE_ENFORCEMENT_DAYS`` (default 180 days late, the third
reminder level): the municipality's own procedure decides it, not the law.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit

from . import appeals, ledger
from .models import Account, Demand, EnforcementStep, FiscalPackage, cents_to_money
from .penalty import penalty
from .selectors import CHARGE_CODES

DEFAULT_DAYS = 180


def threshold_days() -> int:
    return int(getattr(settings, "SPORTEL_REVENUE_ENFORCEMENT_DAYS", DEFAULT_DAYS))


@dataclass
class Case:
    demand: Demand
    payer: str
    identifier: str
    outstanding: Decimal
    penalty: Decimal
    days_late: int
    last_step: EnforcementStep | None

    @property
    def reference(self) -> str:
        return self.demand.invoice.reference


def enforcement_list(municipality, on: date, *, days: int | None = None) -> list[Case]:
    """Current demands with an amount owed more than ``days`` after their due date, oldest
    first, leaving out the ones whose appeal waits for a decision."""
    days = threshold_days() if days is None else days
    cutoff = date.fromordinal(on.toordinal() - days)
    owed = {
        row["demand"]: row["total"]
        for row in ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, demand__due_date__lt=cutoff)
        .exclude(tax_head__code__in=CHARGE_CODES)  # penalties follow their principal (0031)
        .values("demand")
        .annotate(total=Sum("cents"))
        .filter(total__gt=0)
    }
    suspended = appeals.pending_line_keys(municipality)
    packages = {p.year: p for p in FiscalPackage.objects.filter(municipality=municipality)}
    steps: dict[int, EnforcementStep] = {}
    for step in EnforcementStep.objects.filter(municipality=municipality, demand_id__in=owed):
        steps[step.demand_id] = step  # ordered by recorded_at: the last one wins
    cases = []
    for demand in Demand.objects.filter(pk__in=owed).select_related(
        "invoice__person", "invoice__business", "tax_head"
    ):
        if appeals.line_key(demand) in suspended:
            continue
        last = steps.get(demand.pk)
        if last is not None and last.step == EnforcementStep.Step.CLOSED:
            continue
        amount = cents_to_money(owed[demand.pk])
        package = packages.get(demand.invoice.year)
        invoice = demand.invoice
        holder = invoice.person or invoice.business
        cases.append(
            Case(
                demand=demand,
                payer=str(holder),
                identifier=(invoice.person.nid if invoice.person_id else invoice.business.nipt)
                or "",
                outstanding=amount,
                penalty=penalty(
                    amount,
                    demand.due_date,
                    on,
                    rate=package.penalty_rate_per_day if package else Decimal("0.0006"),
                    cap_days=package.penalty_cap_days if package else 365,
                ),
                days_late=(on - demand.due_date).days,
                last_step=last,
            )
        )
    return sorted(cases, key=lambda c: (-c.days_late, c.demand.pk))


def is_suspended(demand: Demand) -> bool:
    return appeals.line_key(demand) in appeals.pending_line_keys(demand.municipality)


def record_step(
    demand: Demand, *, actor, step: str, taken_on: date, reference: str = "", note: str = ""
) -> EnforcementStep:
    """Record a legal step taken for ``demand``. Refused while an appeal of it waits (the
    appeal suspends enforcement), except closing the case."""
    municipality = demand.municipality
    require(actor, municipality, "revenue.assess")
    if step not in EnforcementStep.Step.values:
        raise ValidationError({"step": _("Choose a legal step.")})
    if step != EnforcementStep.Step.CLOSED and is_suspended(demand):
        raise ValidationError(
            {"step": _("Enforcement is suspended: an appeal of this tax waits for a decision.")}
        )
    with transaction.atomic():
        row = EnforcementStep.objects.create(
            municipality=municipality,
            demand=demand,
            step=step,
            taken_on=taken_on,
            reference=(reference or "").strip()[:100],
            note=(note or "").strip()[:500],
            recorded_by=actor,
        )
        audit.record(
            "revenue.enforcement.step",
            actor=actor,
            municipality=municipality,
            obj=row,
            subject=demand.invoice.person,
            data={"demand": demand.pk, "step": step, "taken_on": taken_on.isoformat()},
        )
    return row


def steps_of(demand: Demand):
    return EnforcementStep.objects.filter(demand=demand).select_related("recorded_by")


def to_csv(cases: list[Case], *, language: str) -> bytes:
    """The list as CSV (UTF-8 with a BOM, so spreadsheet programs read ë and ç right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Taxpayer"),
            _("NID / NIPT"),
            _("RF reference"),
            _("Year"),
            _("Tax"),
            _("Due date"),
            _("Days late"),
            _("Owed (ALL)"),
            _("Penalty (ALL)"),
            _("Last legal step"),
            _("Date of the act"),
            _("Act number"),
        ]
    )
    for case in cases:
        head = case.demand.tax_head
        last = case.last_step
        writer.writerow(
            [
                case.payer,
                case.identifier,
                case.reference,
                case.demand.invoice.year,
                head.name_en if language == "en" else head.name_sq,
                case.demand.due_date.isoformat(),
                case.days_late,
                f"{case.outstanding:.2f}",
                f"{case.penalty:.2f}",
                last.get_step_display() if last else "",
                last.taken_on.isoformat() if last else "",
                last.reference if last else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
