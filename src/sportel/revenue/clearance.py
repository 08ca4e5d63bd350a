"""The tax clearance certificate (vërtetim për shlyerje detyrimesh), issued at once.

Sealed by the documents module when the ledger says the taxpayer owes nothing (no bill of any
year with an amount still owed); refused with the amounts owed, per year and tax head,
otherwise. The check reads the ledger, then the document is rendered and sealed outside any
transaction (decision 0012); a payment arriving in between only makes it more true.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.money import format_all

from . import ledger
from .models import Demand

DOCUMENT_TYPE = "revenue.tax-clearance"


@dataclass
class Refusal:
    owed: list[tuple[int, str, Decimal]]  # (year, tax head, amount)

    @property
    def total(self) -> Decimal:
        return sum((amount for _y, _h, amount in self.owed), Decimal("0.00"))


def amounts_owed(municipality, *, person=None, business=None) -> list[tuple[int, str, Decimal]]:
    owed = ledger.outstanding_by_demand(municipality, person=person, business=business)
    language = translation.get_language()
    rows = []
    for demand in Demand.objects.filter(pk__in=owed).select_related("tax_head", "invoice"):
        if owed[demand.pk] > 0:
            head = demand.tax_head.name_en if language == "en" else demand.tax_head.name_sq
            rows.append((demand.invoice.year, head, owed[demand.pk]))
    return sorted(rows)


def issue(municipality, *, person=None, business=None, actor=None, language="sq"):
    """The sealed certificate (an IssuedDocument), or a :class:`Refusal` with what is owed."""
    from sportel.documents.services import issue_document

    owed = amounts_owed(municipality, person=person, business=business)
    holder = person or business
    if owed:
        audit.record(
            "revenue.clearance.refuse",
            actor=actor,
            municipality=municipality,
            subject=person,
            data={"bills": len(owed)},
        )
        return Refusal(owed)
    with translation.override(language):
        today = timezone.localdate()
        document = issue_document(
            municipality,
            document_type=DOCUMENT_TYPE,
            title={
                "sq": "Vërtetim për shlyerje detyrimesh",
                "en": "Tax clearance certificate",
            },
            fields=[
                (_("Date"), today.strftime("%d.%m.%Y")),
                (_("Amount owed to the municipality"), format_all(Decimal(0))),
            ],
            language=language,
            holder=holder,
            body=_(
                "It is certified that on %(date)s the taxpayer above owes nothing to the "
                "municipality in local taxes and fees, according to its ledger."
            )
            % {"date": today.strftime("%d.%m.%Y")},
            actor=actor,
        )
    return document
