"""Documents a taxpayer receives: the sealed tax notice of a bill and the reminder letters.

Both are sealed by the documents module (the same seal, registry and transparency log as every
certificate), so anyone can check them at ``/verify/<code>``. Each is rendered and sealed
outside any transaction (decision 0012); then one short transaction registers the document,
records the :class:`TaxNotice` row, queues the email in the notifications outbox and writes the
audit entry. The row's unique key (bill, kind, fingerprint) makes every batch idempotent: a
notice already sent for the same state of a bill, or a reminder already sent at that level, is
not sent again; a second run that races the first loses at the database and its file is deleted.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.money import format_all

from . import rf, selectors
from .models import FiscalPackage, Invoice, TaxNotice

NOTICE_TYPE = "revenue.tax-notice"
REMINDER_TYPE = "revenue.reminder"
# Appeal window printed on the notice and enforced by appeals.file_appeal (one month).
APPEAL_DAYS = 30
# Lines of a notice: the certificate page holds 20 fields; the rest are grouped.
MAX_DEMAND_LINES = 6


def notice_title(year: int) -> dict:
    return {"sq": f"Njoftim-vlerësim tatimor {year}", "en": f"Local tax notice {year}"}


REMINDER_TITLES = {
    1: {"sq": "Kujtesë për detyrime të papaguara", "en": "Reminder of unpaid local taxes"},
    2: {"sq": "Njoftim përfundimtar për pagesë", "en": "Final notice to pay"},
    3: {"sq": "Njoftim dhe kërkesë për të paguar", "en": "Notice and demand to pay"},
}


@dataclass
class BatchResult:
    issued: int = 0
    already: int = 0
    emailed: int = 0
    failed: list[str] = field(default_factory=list)


def _holder(invoice: Invoice):
    return invoice.person or invoice.business


def _language(invoice: Invoice) -> str:
    person = invoice.person
    return "en" if person is not None and person.preferred_language == "en" else "sq"


def _money(value: Decimal, language: str | None = None) -> str:
    """In the notice's language (the active one, or ``language`` outside an override)."""
    return format_all(value, language)


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _head(demand, language: str) -> str:
    name = demand.tax_head.name_en if language == "en" else demand.tax_head.name_sq
    if demand.property_id:
        return f"{name} ({demand.property.cadastral_zone}/{demand.property.property_number})"
    return name


def fingerprint(invoice: Invoice) -> str:
    """The current demands of a bill (id and amount): a notice states exactly this state.
    A penalty or interest accrued since (decision 0031) is not a new assessment: it does not
    make the year's batch send the bill's notice again."""
    from .selectors import CHARGE_CODES

    text = ";".join(
        f"{d.pk}:{d.amount}"
        for d in invoice.demands.filter(superseded_by__isnull=True)
        .exclude(tax_head__code__in=CHARGE_CODES)
        .order_by("pk")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def my_taxes_link(invoice: Invoice) -> str:
    path = reverse("revenue:mine", kwargs={"municipality_slug": invoice.municipality.slug})
    return settings.SPORTEL_PUBLIC_URL.rstrip("/") + path


def _notice_content(invoice: Invoice, language: str):
    lines = selectors.invoice_lines(invoice)
    billed = sum((line["demand"].amount for line in lines), Decimal("0.00"))
    owed = sum((line["outstanding"] for line in lines), Decimal("0.00"))
    package = FiscalPackage.objects.filter(
        municipality=invoice.municipality, year=invoice.year
    ).first()
    with translation.override(language):
        fields = [(_("Payment reference (RF)"), rf.grouped(invoice.reference))]
        shown = lines[:MAX_DEMAND_LINES]
        for line in shown:
            demand = line["demand"]
            fields.append(
                (
                    _head(demand, language),
                    _("%(amount)s, due %(due)s")
                    % {"amount": _money(demand.amount), "due": _day(demand.due_date)},
                )
            )
        rest = lines[MAX_DEMAND_LINES:]
        if rest:
            fields.append(
                (
                    _("%(count)d other taxes and fees") % {"count": len(rest)},
                    _money(sum((line["demand"].amount for line in rest), Decimal("0.00"))),
                )
            )
        paid = billed - owed if owed <= billed else Decimal("0.00")
        fields.append(
            (
                _("Amount to pay"),
                _("%(owed)s (assessed %(billed)s, paid %(paid)s)")
                % {"owed": _money(owed), "billed": _money(billed), "paid": _money(paid)},
            )
        )
        rate = package.penalty_rate_per_day * 100 if package else Decimal("0.06")
        cap = package.penalty_cap_days if package else 365
        body = _(
            "Pay at any bank, at the counter or online in My taxes, giving the RF reference. "
            "Late payment: a penalty of %(rate)s%% a day, for at most %(cap)s days. You may "
            "appeal within %(days)s days of receiving this notice."
        ) % {
            "rate": f"{rate.normalize():f}".replace(".", "," if language == "sq" else "."),
            "cap": cap,
            "days": APPEAL_DAYS,
        }
    return fields, body, owed


def _reminder_content(arrear: selectors.Arrear, language: str, on: date):
    invoice = arrear.invoice
    with translation.override(language):
        fields = [
            (_("Payment reference (RF)"), rf.grouped(invoice.reference)),
            (_("Fiscal year"), str(invoice.year)),
            (_("Overdue amount"), _money(arrear.outstanding)),
            (
                _("Late-payment penalty to date"),
                _("%(amount)s (%(days)s days late)")
                % {"amount": _money(arrear.penalty), "days": arrear.days_late},
            ),
        ]
        pay_by = _day(on + timedelta(days=10))
        bodies = {
            1: _(
                "Our records show that the amount above is overdue. Please pay it, with the "
                "penalty to the day of payment, giving the payment reference, at any bank, at "
                "the counter or online in My taxes. If you have paid already, thank you: please "
                "ignore this letter."
            ),
            2: _(
                "This is the final notice: the amount above is still overdue. Pay it by "
                "%(date)s, giving the payment reference; otherwise the municipality will start "
                "the procedure to collect it by enforcement."
            )
            % {"date": pay_by},
            3: _(
                "The amount above remains unpaid after the final notice. Unless it is paid by "
                "%(date)s, the municipality will take enforcement measures under the law (such "
                "as an order to freeze bank accounts or a lien on property)."
            )
            % {"date": pay_by},
        }
    return fields, bodies[min(max(arrear.level, 1), 3)]


def _email(invoice: Invoice) -> str:
    holder = _holder(invoice)
    return (getattr(holder, "email", "") or "").strip()


def _issue(
    invoice: Invoice,
    *,
    kind: str,
    level: int,
    fingerprint_value: str,
    title: dict,
    fields,
    body: str,
    total: Decimal,
    language: str,
    actor,
    template: str,
) -> tuple[TaxNotice, bool]:
    """Seal outside any transaction, then register + record + queue the email in one."""
    from sportel.core.notifications import send_notification
    from sportel.documents.services import (
        discard_prepared,
        prepare_document,
        register_prepared,
    )

    existing = TaxNotice.objects.filter(
        invoice=invoice, kind=kind, fingerprint=fingerprint_value
    ).first()
    if existing is not None:
        return existing, False
    prepared = prepare_document(
        invoice.municipality,
        document_type=NOTICE_TYPE if kind == TaxNotice.Kind.INVOICE else REMINDER_TYPE,
        title=title,
        fields=fields,
        language=language,
        holder=_holder(invoice),
        body=body,
    )
    email = _email(invoice)
    try:
        with transaction.atomic():
            document = register_prepared(prepared, actor=actor)
            notice = TaxNotice.objects.create(
                municipality=invoice.municipality,
                invoice=invoice,
                kind=kind,
                level=level,
                fingerprint=fingerprint_value,
                document=document,
                total=total,
                emailed_to=email,
                created_by=audit._actor_label(actor)[:200],
            )
            if email:
                send_notification(
                    template=template,
                    context={
                        "name": str(_holder(invoice)),
                        "municipality": invoice.municipality.name,
                        "year": invoice.year,
                        "reference": rf.grouped(invoice.reference),
                        "amount": _money(total, language),
                        "code": document.display_code,
                        "link": my_taxes_link(invoice),
                        "verify": f"{settings.SPORTEL_PUBLIC_URL.rstrip('/')}/verify/"
                        f"{document.code}",
                        "level": level,
                    },
                    language=language,
                    to_email=email,
                    municipality=invoice.municipality,
                    person=invoice.person,
                )
            audit.record(
                f"revenue.{kind}.issue",
                actor=actor,
                municipality=invoice.municipality,
                obj=notice,
                subject=invoice.person,
                data={
                    "invoice": invoice.pk,
                    "code": document.code,
                    "level": level,
                    "emailed": bool(email),
                },
            )
    except IntegrityError:
        discard_prepared(prepared)
        existing = TaxNotice.objects.filter(
            invoice=invoice, kind=kind, fingerprint=fingerprint_value
        ).first()
        if existing is None:
            raise
        return existing, False
    except Exception:
        discard_prepared(prepared)
        raise
    return notice, True


def issue_notice(invoice: Invoice, *, actor=None) -> tuple[TaxNotice, bool]:
    """The sealed tax notice of ``invoice`` as its demands stand now: ``(notice, created)``.
    A notice for the same state already exists → it is returned and nothing is sent."""
    language = _language(invoice)
    fields, body, owed = _notice_content(invoice, language)
    return _issue(
        invoice,
        kind=TaxNotice.Kind.INVOICE,
        level=0,
        fingerprint_value=fingerprint(invoice),
        title=notice_title(invoice.year),
        fields=fields,
        body=body,
        total=owed,
        language=language,
        actor=actor,
        template="revenue_tax_notice",
    )


def issue_notices(municipality, year: int, *, actor=None) -> BatchResult:
    """Tax notices for every bill of ``year`` whose demands changed since its last notice."""
    result = BatchResult()
    invoices = (
        Invoice.objects.filter(municipality=municipality, year=year)
        .select_related("person", "business", "municipality")
        .order_by("pk")
    )
    for invoice in invoices.iterator(chunk_size=500):
        try:
            notice, created = issue_notice(invoice, actor=actor)
        except Exception as exc:  # one bill's failure must not stop the batch
            result.failed.append(f"{invoice.reference}: {type(exc).__name__}")
            continue
        if created:
            result.issued += 1
            result.emailed += bool(notice.emailed_to)
        else:
            result.already += 1
    audit.record(
        "revenue.notices.batch",
        actor=actor,
        municipality=municipality,
        data={"year": year, "issued": result.issued, "already": result.already},
    )
    return result


def send_reminder(arrear: selectors.Arrear, *, on: date, actor=None) -> tuple[TaxNotice, bool]:
    """The reminder letter at the bill's current level, once per bill and level."""
    invoice = arrear.invoice
    language = _language(invoice)
    fields, body = _reminder_content(arrear, language, on)
    level = min(max(arrear.level, 1), 3)
    return _issue(
        invoice,
        kind=TaxNotice.Kind.REMINDER,
        level=level,
        fingerprint_value=f"level:{level}",
        title=REMINDER_TITLES[level],
        fields=fields,
        body=body,
        total=arrear.outstanding,
        language=language,
        actor=actor,
        template="revenue_reminder",
    )


def send_reminders(municipality, *, on: date | None = None, actor=None) -> BatchResult:
    """A reminder for every overdue bill at its level (1: 30 days, 2: 90, 3: 180 days late)
    that has not had the letter of that level yet."""
    on = on or timezone.localdate()
    result = BatchResult()
    for arrear in selectors.arrears(municipality, on):
        if arrear.level < 1:
            continue
        try:
            notice, created = send_reminder(arrear, on=on, actor=actor)
        except Exception as exc:
            result.failed.append(f"{arrear.invoice.reference}: {type(exc).__name__}")
            continue
        if created:
            result.issued += 1
            result.emailed += bool(notice.emailed_to)
        else:
            result.already += 1
    audit.record(
        "revenue.reminders.batch",
        actor=actor,
        municipality=municipality,
        data={"on": on.isoformat(), "issued": result.issued, "already": result.already},
    )
    return result


def notices_of(invoice: Invoice):
    return invoice.notices.select_related("document").order_by("-created_at", "-pk")
