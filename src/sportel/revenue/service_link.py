"""The catalogue's tax clearance certificate, decided by revenue's ledger.

Where a municipality keeps its taxes in Sportel (it has a fiscal package), its catalogue
service ``tax-clearance-certificate`` becomes instant: an application, online, at a kiosk or at
the counter, is decided at once by :func:`owes_nothing` (the same rule as revenue's own
clearance page, :mod:`revenue.clearance`), and the sealed certificate states what the ledger
says. A taxpayer who owes something is not refused by a machine: the case waits for a tax
officer with an internal note listing the amounts owed, per year and tax head.
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

from . import clearance
from .models import FiscalPackage

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
        lines = "; ".join(f"{year} {head}: {amount}" for year, head, amount in owed)
        total = sum((amount for _y, _h, amount in owed), 0)
        return f"owes {total} ALL to the municipality ({lines}): not issued automatically"
    return None


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
