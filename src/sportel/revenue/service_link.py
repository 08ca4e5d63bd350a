"""The catalogue's tax clearance certificate, decided by revenue's ledger.

Where a municipality keeps its taxes in Sportel (it has a fiscal package), its catalogue
service ``tax-clearance-certificate`` becomes instant: an application, online, at a kiosk or at
the counter, is decided at once by :func:`owes_nothing`. Nothing owed: the sealed certificate,
which states what the ledger says. Something owed: the case is refused at once (the workflow's
``auto_reject``) and closed; the applicant reads in the case's timeline, and is sent by their
notification channel, the amounts owed by year and tax head (principal, penalty, interest,
total), the RF reference of each bill and where to pay (:func:`refusal_text`).

Who may learn a taxpayer's debts (decision 0028): a person proven to be the applicant
(decision 0010), for their own taxes; for a business, its representative as a clerk recorded
them (at the counter, where the papers are seen). Anyone else's case waits for a tax officer and
its timeline shows no amounts. The decision is ordered against payments by the taxpayer's lock
(:mod:`revenue.locks`, :func:`_guard`): the check is asked again under it, in the decision's
transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core.money import format_all
from sportel.services.catalogue import catalogue_data, publish_version, version_values
from sportel.services.identity import identity_proven
from sportel.services.issuance import PURPOSE_FIELD, output_content
from sportel.services.models import Channel, ServiceType
from sportel.services.services import InstantRefusal, instant_check

from . import clearance
from .locks import lock_receipts_shared, lock_taxpayer
from .models import FiscalPackage, Invoice

SERVICE_CODE = "tax-clearance-certificate"
CHECK = "tax_clearance"
OUTPUT_TYPE = "tax_clearance_certificate"


def _taxpayer(case) -> dict:
    business = case.applicant_business
    return {"business": business} if business is not None else {"person": case.applicant_person}


def represents(case) -> bool:
    """Does the applicant act for the business the case names? At the counter the clerk saw
    the papers; elsewhere only a link a clerk recorded before (core's Business.representatives,
    made at the counter) counts: a typed NIPT is a claim."""
    if case.channel == Channel.COUNTER:
        return True
    person = case.applicant_person
    return (
        person is not None and case.applicant_business.representatives.filter(pk=person.pk).exists()
    )


def _guard(case) -> None:
    """The locks a payment of this taxpayer takes too (revenue.locks)."""
    lock_receipts_shared(case.municipality_id)
    if case.applicant_business_id is not None:
        lock_taxpayer(business_id=case.applicant_business_id)
    else:
        lock_taxpayer(person_id=case.applicant_person_id)


@instant_check(CHECK, guard=_guard)
def owes_nothing(case):
    """None when the applicant (person or business) owes nothing in the ledger; an
    :class:`InstantRefusal` with the amounts when they owe; else (a string) why a tax officer
    must decide."""
    if not identity_proven(case):
        return "identity not proven: a typed personal number is a claim (decision 0010)"
    person, business = case.applicant_person, case.applicant_business
    if person is None and business is None:
        return "no taxpayer to look up"
    if business is not None and not represents(case):
        return (
            "representation of the business not verified: a typed NIPT is a claim (decision 0028)"
        )
    with translation.override(case.language):
        lines = clearance.statement(case.municipality, **_taxpayer(case))
    if not lines:
        return None
    sums = clearance.totals(lines)
    summary = "; ".join(f"{x.year} {x.tax_head}: {x.principal}" for x in lines)
    text = refusal_text(case, lines)
    return InstantRefusal(
        reason=f"owes {sums['principal']} ALL to the municipality ({summary})",
        text=text,
        data={
            "display": _display(case, lines, text),
            "clearance_owed": str(sums["principal"]),
            "owed_total": str(sums["total"]),
            "bills": [
                {
                    "year": x.year,
                    "tax_head": x.tax_head,
                    "reference": x.reference,
                    "principal": str(x.principal),
                    "penalty": str(x.penalty),
                    "interest": str(x.interest),
                    "total": str(x.total),
                    "under_appeal": x.under_appeal,
                    "in_instalments": x.in_instalments,
                }
                for x in lines
            ],
        },
    )


def _display(case, lines: list[clearance.OwedLine], text: str) -> dict:
    """The same refusal as a table, for pages (services renders ``display`` generically): the
    first sentence, the amounts by year and tax head with their total, then the advice."""
    sums = clearance.totals(lines)
    sentences = text.split("\n")
    with translation.override(case.language):
        columns = [_("Year"), _("Tax or fee"), _("Principal"), _("Penalty"), _("Interest"),
                   _("Total")]  # fmt: skip
        rows = []
        for x in lines:
            head = x.tax_head
            if x.under_appeal:
                head += " " + _("(under appeal)")
            if x.in_instalments:
                head += " " + _("(in an instalment agreement)")
            rows.append(
                [str(x.year), head, *(format_all(v) for v in
                 (x.principal, x.penalty, x.interest, x.total))]
            )  # fmt: skip
        foot = [_("Total owed"), "", *(format_all(sums[k]) for k in
                ("principal", "penalty", "interest", "total"))]  # fmt: skip
        caption = _("What is owed, by year and tax")
    return {
        "lead": sentences[0],
        "caption": caption,
        "columns": columns,
        "rows": rows,
        "foot": foot,
        "advice": sentences[len(lines) + 2 :],
    }


def refusal_text(case, lines: list[clearance.OwedLine]) -> str:
    """What the applicant reads and is sent, in the case's language: refused, what is owed by
    year and tax head (principal, penalty, interest, total), and how to pay it."""
    from django.urls import reverse

    sums = clearance.totals(lines)
    references: dict[str, int] = {}
    for line in lines:
        references.setdefault(line.reference, line.year)
    with translation.override(case.language):
        url = settings.SPORTEL_PUBLIC_URL.rstrip("/") + reverse(
            "revenue:mine", kwargs={"municipality_slug": case.municipality.slug}
        )
        text = [
            _(
                "The tax clearance certificate cannot be issued: according to the "
                "municipality's ledger you owe local taxes and fees."
            )
        ]
        for line in lines:
            row = _(
                "%(year)s, %(head)s: %(total)s (principal %(principal)s, penalty "
                "%(penalty)s, interest %(interest)s)"
            ) % {
                "year": line.year,
                "head": line.tax_head,
                "total": format_all(line.total),
                "principal": format_all(line.principal),
                "penalty": format_all(line.penalty),
                "interest": format_all(line.interest),
            }
            if line.under_appeal:
                row += " " + _("(under appeal)")
            if line.in_instalments:
                row += " " + _("(in an instalment agreement)")
            text.append(row)
        text.append(
            _(
                "Total owed: %(total)s (principal %(principal)s, penalty %(penalty)s, "
                "interest %(interest)s)"
            )
            % {key: format_all(value) for key, value in sums.items()}
        )
        text.append(
            _(
                "How to pay: online on the “My taxes” page (%(url)s), at a self-service "
                "kiosk, at the counter of the one-stop shop or at a bank, with the RF "
                "reference of the bill: %(references)s."
            )
            % {
                "url": url,
                "references": "; ".join(
                    _("%(year)s bill %(reference)s") % {"year": year, "reference": reference}
                    for reference, year in references.items()
                ),
            }
        )
        if any(x.under_appeal or x.in_instalments for x in lines):
            text.append(
                _(
                    "A tax under appeal is owed until the appeal is decided or the amount is "
                    "paid; an instalment agreement schedules a debt, it does not pay it."
                )
            )
        text.append(_("Once it is paid, apply again: the certificate is issued at once."))
    return "\n".join(text)


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
        if (
            not total
            and not Invoice.objects.filter(
                municipality=case.municipality, **_taxpayer(case)
            ).exists()
        ):
            # No taxpayer record (decision 0028): nothing was ever assessed, so nothing is
            # owed; the certificate says which of the two it is.
            body = _(
                "It is certified that on %(date)s the taxpayer above owes nothing to the "
                "municipality in local taxes and fees: no local tax or fee has been assessed "
                "to them in its ledger."
            ) % {"date": today}
        elif not total:
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
