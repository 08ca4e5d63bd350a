"""Administrative appeals against an assessment (one demand: one tax head of one bill).

The rules. What the law fixes is kept here, in code, with its source (tatime.gov.al,
"Ankimimi"; law 9920/2008 applies to local taxes where law 9632/2006 says nothing):

- the appeal is filed within one month of the notice (:data:`APPEAL_DAYS` days from the first
  tax notice stating the demand, or from the demand itself when no notice was sent);
- it is accepted only when the amount assessed is paid, or guaranteed by a bank (the guarantee
  is attached); penalties need not be paid first (:data:`PAYMENT_FIRST`).

What the municipality sets — how many days its tax office gives itself to decide and who
decides — is dated data in the fiscal package of the bill's year
(``FiscalPackage.appeal_decision_days``, ``appeal_decided_by_*``, ``appeal_source``). The rules
an appeal is filed under are copied onto it (``Appeal.rules``, :func:`rules_for`), so a later
package, or a corrected one, never changes how a past appeal is read or decided.

While an appeal waits for its decision the demand is off the enforcement list. The decision is
a new row: *upheld* (the assessment stands), *amended* (a revised demand and a ledger revision
carrying the difference: never an edit; a reduction below what was paid becomes credit) or
*rejected* (the appeal is inadmissible). Every filing and decision is audited.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.money import format_all
from sportel.core.uploads import check_upload

from . import ledger
from .models import (
    Account,
    Appeal,
    AppealDecision,
    Demand,
    LedgerTransaction,
    TaxNotice,
)
from .notices import APPEAL_DAYS

# Fixed by the law (above), not by the council: the same for every municipality and year.
PAYMENT_FIRST = True
LAW_SOURCE = (
    "Ligji nr. 9920, datë 19.5.2008 «Për procedurat tatimore», i ndryshuar (ankimi brenda "
    "një muaji, pasi detyrimi të jetë paguar ose garantuar me garanci bankare; zbatohet për "
    "taksat vendore ku ligji nr. 9632/2006 nuk parashikon ndryshe), as tatime.gov.al "
    "('Ankimimi') states it; not checked against the official gazette."
)
# Where a bill's year has no package (bills imported from before Sportel): decision 0024's.
DECISION_DAYS = 60
DEFAULT_DECIDED_BY = {
    "sq": "Drejtoria e të ardhurave vendore e bashkisë",
    "en": "the municipality's local revenue directorate",
}
MAX_REASON = 4000


def rules_for(demand: Demand) -> dict:
    """The appeal rules of ``demand``'s bill: the law's fixed rules and the fiscal package of
    the bill's year (its decision period, who decides, its source)."""
    from .models import FiscalPackage

    package = FiscalPackage.objects.filter(
        municipality_id=demand.municipality_id, year=demand.invoice.year
    ).first()
    rules = {
        "appeal_days": APPEAL_DAYS,
        "payment_first": PAYMENT_FIRST,
        "law": LAW_SOURCE,
        "package": None,
        "year": demand.invoice.year,
        "decision_days": DECISION_DAYS,
        "decided_by": dict(DEFAULT_DECIDED_BY),
        "source": "",
    }
    if package is not None:
        rules.update(
            package=package.pk,
            decision=package.decision,
            decision_days=package.appeal_decision_days,
            decided_by={
                "sq": package.appeal_decided_by_sq or DEFAULT_DECIDED_BY["sq"],
                "en": package.appeal_decided_by_en or DEFAULT_DECIDED_BY["en"],
            },
            source=package.appeal_source,
        )
    return rules


def decided_by(rules: dict, language: str) -> str:
    names = rules.get("decided_by") or DEFAULT_DECIDED_BY
    return names.get(language) or names.get("sq") or DEFAULT_DECIDED_BY["sq"]


def line_key(demand: Demand) -> tuple:
    """What an appeal is about, across revisions: the bill's tax head (and property/premises)."""
    return (demand.invoice_id, demand.tax_head_id, demand.property_id, demand.premises_id)


def pending(municipality):
    return Appeal.objects.filter(municipality=municipality, decision__isnull=True)


def pending_line_keys(municipality) -> set[tuple]:
    """The lines whose enforcement is suspended by an appeal waiting for its decision."""
    return {
        (a["demand__invoice_id"], a["demand__tax_head_id"], a["demand__property_id"],
         a["demand__premises_id"])
        for a in pending(municipality).values(
            "demand__invoice_id", "demand__tax_head_id", "demand__property_id",
            "demand__premises_id",
        )
    }  # fmt: skip


def current_demand(demand: Demand) -> Demand:
    """The latest revision of ``demand``'s line."""
    return (
        Demand.objects.filter(
            invoice_id=demand.invoice_id,
            tax_head_id=demand.tax_head_id,
            property_id=demand.property_id,
            premises_id=demand.premises_id,
            superseded_by__isnull=True,
        )
        .select_related("tax_head", "invoice")
        .first()
        or demand
    )


def appeal_window_start(demand: Demand):
    """The day the appeal period starts: the first notice that states this demand, else the day
    the demand was assessed."""
    first = (
        TaxNotice.objects.filter(
            invoice_id=demand.invoice_id,
            kind=TaxNotice.Kind.INVOICE,
            created_at__gte=demand.created_at,
        )
        .order_by("created_at")
        .first()
    )
    when = first.created_at if first is not None else demand.created_at
    return timezone.localtime(when).date()


def appeal_deadline(demand: Demand, rules: dict | None = None):
    days = (rules or {}).get("appeal_days", APPEAL_DAYS)
    return appeal_window_start(demand) + timedelta(days=days)


def may_appeal(invoice, actor) -> bool:
    """The bill is the actor's own person's, or a business's a clerk recorded them as
    representing (core's Business.representatives: a typed NIPT links nothing)."""
    user_id = getattr(actor, "pk", None)
    if user_id is None:
        return False
    if invoice.person_id is not None:
        return invoice.person.user_id == user_id
    return invoice.business.representatives.filter(user_id=user_id).exists()


def file_appeal(
    demand: Demand,
    *,
    actor,
    reason: str,
    key: str,
    upload=None,
    guarantee: bool = False,
) -> tuple[Appeal, bool]:
    """File the taxpayer's appeal of ``demand``: ``(appeal, created)``. The same form sent twice
    (same ``key``) returns the first appeal. Raises ValidationError (by field) when the appeal
    cannot be accepted: late, not paid nor guaranteed, already under appeal, no reason."""
    municipality = demand.municipality
    existing = Appeal.objects.filter(municipality=municipality, key=key).first()
    if existing is not None:
        return existing, False
    invoice = demand.invoice
    person, business = invoice.person, invoice.business
    if not may_appeal(invoice, actor):
        raise ValidationError(
            {
                "demand": _(
                    "You can appeal only your own tax bills or those of a business you represent."
                )
            }
        )
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why you think the assessment is wrong.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("Keep the reason under %(max)d characters.") % {"max": MAX_REASON}
    if Demand.objects.filter(supersedes=demand).exists():
        errors["demand"] = _("This assessment was replaced: appeal the current one.")
    if line_key(demand) in pending_line_keys(municipality):
        errors["demand"] = _("An appeal of this tax is already waiting for a decision.")
    rules = rules_for(demand)
    today = timezone.localdate()
    deadline = appeal_deadline(demand, rules)
    if today > deadline:
        errors["demand"] = _("The time to appeal this assessment ended on %(date)s.") % {
            "date": deadline.strftime("%d.%m.%Y")
        }
    outstanding = ledger.demand_outstanding(demand)
    if rules["payment_first"] and outstanding > 0 and not guarantee:
        errors["guarantee"] = _(
            "The law accepts an appeal only once the amount assessed is paid or guaranteed by a "
            "bank: pay the %(amount)s ALL still owed first, or attach the bank guarantee."
        ) % {"amount": number_format(outstanding, 2, force_grouping=True)}
    checked = None
    if upload is not None:
        try:
            checked = check_upload(upload)
        except ValidationError as exc:
            errors["attachment"] = " ".join(exc.messages)
    if guarantee and checked is None and "attachment" not in errors:
        errors["attachment"] = _("Attach the bank guarantee (PDF, PNG or JPEG).")
    if errors:
        raise ValidationError(errors)
    appeal = Appeal(
        municipality=municipality,
        demand=demand,
        invoice=invoice,
        filed_by=actor,
        reason=reason,
        guarantee=guarantee,
        outstanding_when_filed=outstanding,
        decide_by=today + timedelta(days=rules["decision_days"]),
        rules=rules,
        key=key[:64],
    )
    if checked is not None:
        appeal.attachment_name = checked.name
        appeal.attachment_type = checked.content_type
        # The file is written before the row; a failed insert removes it again.
        appeal.attachment.save(checked.name, ContentFile(checked.content), save=False)
    try:
        with transaction.atomic():
            appeal.save(force_insert=True)
            audit.record(
                "revenue.appeal.file",
                actor=actor,
                municipality=municipality,
                obj=appeal,
                subject=person,
                subject_user=person.user_id if person is not None else None,
                data={
                    "demand": demand.pk,
                    "guarantee": guarantee,
                    "attachment": bool(checked),
                    "business": business.nipt if business is not None else None,
                },
            )
    except IntegrityError:
        if appeal.attachment:
            appeal.attachment.storage.delete(appeal.attachment.name)
        existing = Appeal.objects.filter(municipality=municipality, key=key[:64]).first()
        if existing is None:
            raise
        return existing, False
    return appeal, True


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("The amount is not a number.")}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"amount": _("The amount must be zero or more.")})
    if amount.as_tuple().exponent < -2:
        raise ValidationError({"amount": _("The amount has more than two decimals.")})
    return amount.quantize(Decimal("0.01"))


def decide_appeal(
    appeal: Appeal, *, actor, outcome: str, reasons: str, amount=None
) -> AppealDecision:
    """Record the tax office's decision; for *amended*, revise the demand through the ledger."""
    municipality = appeal.municipality
    require(actor, municipality, "revenue.assess")
    if outcome not in AppealDecision.Outcome.values:
        raise ValidationError({"outcome": _("Choose a decision.")})
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({"reasons": _("Give the reasons for the decision.")})
    new_amount = _amount(amount) if outcome == AppealDecision.Outcome.AMENDED else None
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if AppealDecision.objects.filter(appeal=locked).exists():
            raise ValidationError({"outcome": _("This appeal was decided already.")})
        revised = None
        if new_amount is not None:
            current = Demand.objects.select_for_update().get(pk=current_demand(locked.demand).pk)
            if new_amount >= current.amount:
                raise ValidationError(
                    {
                        "amount": _(
                            "An amended assessment must be lower than the %(amount)s ALL "
                            "assessed; to keep it, choose 'Assessment upheld'."
                        )
                        % {"amount": number_format(current.amount, 2, force_grouping=True)}
                    }
                )
            revised = _revise(current, new_amount, appeal=locked)
        decision = AppealDecision.objects.create(
            appeal=locked,
            outcome=outcome,
            amount=new_amount,
            reasons=reasons,
            revised_demand=revised,
            decided_by=actor,
        )
        _tell_taxpayer(locked, outcome=outcome, amount=new_amount)
        audit.record(
            "revenue.appeal.decide",
            actor=actor,
            municipality=municipality,
            obj=locked,
            subject=locked.invoice.person,
            data={
                "outcome": outcome,
                "amount": str(new_amount) if new_amount is not None else None,
                "revised_demand": getattr(revised, "pk", None),
            },
        )
    return decision


def _tell_taxpayer(appeal: Appeal, *, outcome: str, amount: Decimal | None) -> None:
    """The decision by email, through the outbox (in the caller's transaction), when the
    taxpayer has an address; the decision itself is on My taxes either way."""
    from django.conf import settings
    from django.urls import reverse

    from sportel.core.notifications import send_notification

    person, business = appeal.invoice.person, appeal.invoice.business
    if person is None:
        # A business's appeal: the business's address (its representatives read My taxes).
        address, name, language = business.email, business.name, "sq"
    else:
        address = person.email or getattr(person.user, "email", "")
        name, language = person.full_name, person.preferred_language or "sq"
    if not address:
        return
    link = settings.SPORTEL_PUBLIC_URL.rstrip("/") + reverse(
        "revenue:mine", kwargs={"municipality_slug": appeal.municipality.slug}
    )
    send_notification(
        template="revenue_appeal_decision",
        context={
            "name": name,
            "municipality": appeal.municipality.name,
            "number": appeal.pk,
            "outcome": outcome,
            "amount": format_all(amount, language) if amount is not None else "",
            "link": link,
        },
        language=language,
        to_email=address,
        municipality=appeal.municipality,
        person=person,
    )


def _revise(current: Demand, amount: Decimal, *, appeal: Appeal) -> Demand:
    """A new revision of ``current`` for ``amount`` and the ledger revision that moves what is
    still owed to it (the same postings as a reassessment, assessment.write_batch)."""
    invoice = current.invoice
    payer = (
        {"person_id": invoice.person_id}
        if invoice.person_id
        else {"business_id": invoice.business_id}
    )
    revised = Demand.objects.create(
        municipality=current.municipality,
        invoice=invoice,
        tax_head_id=current.tax_head_id,
        property_id=current.property_id,
        premises_id=current.premises_id,
        run=None,
        revision=current.revision + 1,
        supersedes=current,
        amount=amount,
        due_date=current.due_date,
        basis={**current.basis, "appeal": appeal.pk},
        reason=f"appeal {appeal.pk}",
    )
    difference = amount - current.amount  # negative: an appeal only lowers an assessment
    still_owed = ledger.demand_outstanding(current)
    new_owed = still_owed + difference
    refs = {"tax_head_id": current.tax_head_id, **payer}
    ledger.post(
        current.municipality,
        LedgerTransaction.Kind.REVISION,
        [
            ledger.credit(Account.RECEIVABLE, still_owed, demand_id=current.pk, **refs),
            ledger.debit(
                Account.RECEIVABLE, max(new_owed, Decimal(0)), demand_id=revised.pk, **refs
            ),
            ledger.credit(Account.CREDIT, max(-new_owed, Decimal(0)), **payer),
            ledger.credit(Account.INCOME, difference, tax_head_id=current.tax_head_id),
        ],
        key=f"appeal:{appeal.pk}",
        booked_on=timezone.localdate(),
        memo=f"appeal {appeal.pk} {invoice.reference}",
    )
    return revised


def appeals_of_invoice(invoice):
    return (
        Appeal.objects.filter(invoice=invoice)
        .select_related("demand__tax_head", "decision")
        .order_by("-filed_at")
    )
