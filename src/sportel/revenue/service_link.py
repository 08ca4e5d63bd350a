"""The catalogue's tax clearance certificate, decided by revenue's ledger.

Where a municipality keeps its taxes in Sportel (it has a fiscal package), its catalogue
service ``tax-clearance-certificate`` becomes instant: an application, online, at a kiosk or at
the counter, is decided at once by :func:`owes_nothing` (the same rule as revenue's own
clearance page, :mod:`revenue.clearance`), and the sealed certificate states what the ledger
says. A taxpayer who owes something is told at once, in the case's timeline (the case page,
the API's answer, the counter's screen), that the certificate cannot be issued, with the amounts
owed per year and tax head and the RF reference of each bill to pay it with
(:func:`tell_what_is_owed`). The case itself is not refused by a machine: it stays
``submitted`` for a tax officer (the services workflow lets only a person who worked a case
reject it, with its legal basis), with an internal note listing the amounts.
"""

from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core.money import format_all
from sportel.services.catalogue import catalogue_data, publish_version, version_values
from sportel.services.identity import identity_proven
from sportel.services.issuance import PURPOSE_FIELD, output_content
from sportel.services.models import ServiceType
from sportel.services.services import instant_check

from . import clearance, ledger
from .models import Demand, FiscalPackage

SERVICE_CODE = "tax-clearance-certificate"
CHECK = "tax_clearance"
OUTPUT_TYPE = "tax_clearance_certificate"


@instant_check(CHECK)
def owes_nothing(case) -> str | None:
    """None when the applicant (person or business) owes nothing in the ledger, else why not."""
    if not identity_proven(case):
        return "identity not proven: a typed personal number is a claim (decision 0010)"
    person, business = case.applicant_person, case.applicant_business
    if person is None and business is None:
        return "no taxpayer to look up"
    owed = clearance.amounts_owed(
        case.municipality, **({"business": business} if business else {"person": person})
    )
    if owed:
        tell_what_is_owed(case)
        lines = "; ".join(f"{year} {head}: {amount}" for year, head, amount in owed)
        total = sum((amount for _y, _h, amount in owed), 0)
        return f"owes {total} ALL to the municipality ({lines}): not issued automatically"
    return None


def owed_bills(municipality, *, person=None, business=None) -> list[tuple[int, str, Decimal, str]]:
    """(year, tax head in the active language, amount still owed, the bill's RF reference), by
    year and tax head: what a taxpayer must pay before a clearance can be issued."""
    owed = ledger.outstanding_by_demand(municipality, person=person, business=business)
    english = translation.get_language() == "en"
    rows = []
    for demand in Demand.objects.filter(pk__in=owed).select_related("tax_head", "invoice"):
        if owed[demand.pk] > 0:
            head = demand.tax_head.name_en if english else demand.tax_head.name_sq
            rows.append((demand.invoice.year, head, owed[demand.pk], demand.invoice.reference))
    # One line per year and tax head (a head's instalments are one amount).
    merged: dict[tuple[int, str, str], Decimal] = {}
    for year, head, amount, reference in rows:
        merged[(year, head, reference)] = merged.get((year, head, reference), 0) + amount
    return sorted((y, h, a, r) for (y, h, r), a in merged.items())


def refusal_text(case, bills: list[tuple[int, str, Decimal, str]]) -> str:
    """What the applicant reads, in the case's language: not issued, what is owed, how to pay."""
    from django.urls import reverse

    total = sum((amount for _y, _h, amount, _r in bills), Decimal("0.00"))
    references = {}
    for year, _head, _amount, reference in bills:
        references.setdefault(reference, year)
    with translation.override(case.language):
        lines = [
            _(
                "The tax clearance certificate cannot be issued: according to the "
                "municipality's ledger you owe local taxes and fees."
            )
        ]
        lines += [
            _("%(year)s, %(head)s: %(amount)s")
            % {"year": year, "head": head, "amount": format_all(amount)}
            for year, head, amount, _r in bills
        ]
        lines.append(_("Total owed: %(total)s") % {"total": format_all(total)})
        lines.append(
            _(
                "How to pay: online on the “My taxes” page (%(url)s), at a bank or at the "
                "counter, with the RF reference of the bill: %(references)s."
            )
            % {
                "url": reverse(
                    "revenue:mine", kwargs={"municipality_slug": case.municipality.slug}
                ),
                "references": "; ".join(
                    _("%(year)s bill %(reference)s") % {"year": year, "reference": reference}
                    for reference, year in references.items()
                ),
            }
        )
        lines.append(
            _(
                "Once it is paid, apply again and the certificate is issued at once. This "
                "application stays with a tax officer, who decides it."
            )
        )
    return "\n".join(lines)


def tell_what_is_owed(case) -> None:
    """Put the refusal, with the amounts and the RF references, in the case's public timeline
    (once per case), and audit it. The case's state is not changed."""
    from django.db import transaction

    from sportel.core import audit
    from sportel.services.history import append_event, lock
    from sportel.services.models import CaseEvent

    person, business = case.applicant_person, case.applicant_business
    with translation.override(case.language):
        bills = owed_bills(
            case.municipality, **({"business": business} if business else {"person": person})
        )
    if not bills:
        return
    with transaction.atomic():
        locked = lock(case)
        if locked.events.filter(data__has_key="clearance_owed").exists():
            return
        total = sum((amount for _y, _h, amount, _r in bills), Decimal("0.00"))
        append_event(
            locked,
            actor=None,
            kind=CaseEvent.Kind.NOTE,
            action="note",
            visibility=CaseEvent.Visibility.PUBLIC,
            text=refusal_text(locked, bills),
            data={
                "clearance_owed": str(total),
                "bills": [
                    {"year": y, "tax_head": h, "amount": str(a), "reference": r}
                    for y, h, a, r in bills
                ],
            },
        )
        audit.record(
            "revenue.clearance.refuse",
            municipality=case.municipality,
            subject=person if business is None else None,
            data={"bills": len(bills), "case": locked.number},
        )


@output_content(OUTPUT_TYPE)
def certificate_content(case) -> tuple[list[tuple[str, str]], str] | None:
    """What the certificate states, from the ledger at the moment it is issued: the date and
    the amount owed (nothing, when the check decided; an officer who issues it anyway issues
    the truth). None where the municipality does not keep its taxes here (no fiscal package):
    the form's answers are printed, as for any service."""
    from sportel.documents.contents import purpose_line

    if not FiscalPackage.objects.filter(municipality=case.municipality).exists():
        return None
    person, business = case.applicant_person, case.applicant_business
    owed = clearance.amounts_owed(
        case.municipality, **({"business": business} if business else {"person": person})
    )
    total = sum((amount for _y, _h, amount in owed), Decimal("0.00"))
    data = case.application.data or {}
    with translation.override(case.language):
        today = timezone.localdate().strftime("%d.%m.%Y")
        fields = []
        if business is not None:
            fields += [(_("Business"), business.name), (_("NIPT"), business.nipt)]
        fields += [(_("Date"), today), (_("Amount owed to the municipality"), format_all(total))]
        body = ""
        if not total:
            body = _(
                "It is certified that on %(date)s the taxpayer above owes nothing to the "
                "municipality in local taxes and fees, according to its ledger."
            ) % {"date": today}
        purpose = str(data.get(PURPOSE_FIELD) or "")
        if purpose:
            body = f"{body} {purpose_line(purpose, case.language)}".strip()
    return fields, body


def join_clearance_service(municipality, *, actor=None):
    """Publish a version of the municipality's clearance service decided by the ledger (once;
    open cases keep their version). None when the municipality has no such service."""
    service = (
        ServiceType.objects.filter(municipality=municipality, code=SERVICE_CODE)
        .select_related("current_version")
        .first()
    )
    if service is None or service.current_version is None:
        return None
    current = service.current_version
    if current.instant and current.instant_check == CHECK:
        return current
    spec = next(s for s in catalogue_data()["services"] if s["code"] == SERVICE_CODE)
    values = {name: getattr(current, name) for name in version_values(spec)}
    values.update(instant=True, instant_check=CHECK, output_document_type=OUTPUT_TYPE)
    if values.get("fee") is None:
        # An instant service publishes its fee (services.models). The catalogue found none in
        # its sources: free until the municipality publishes one (then it is paid first).
        values["fee"] = Decimal("0.00")
    return publish_version(service, values, actor=actor)
