"""The tariff costing instrument's pages: tax officers and managers see the plans and the
scenarios side by side; tax officers save them (audited)."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sportel.accounts.decorators import staff_required
from sportel.accounts.permissions import has_permission
from sportel.core import audit

from . import costing, selectors
from .models import CostingPlan, CostItem, TaxHead

ITEM_ROWS = 4  # empty rows offered for new cost items
MAX_ITEMS = 50
MAX_RATES = 10


def _url(name: str, request, **kwargs) -> str:
    return reverse(name, kwargs={"municipality_slug": request.municipality.slug, **kwargs})


def _head_name(head: TaxHead) -> str:
    return head.name_sq if get_language() == "sq" else head.name_en


def ledger_rate(plan: CostingPlan) -> Decimal | None:
    """The collection rate the ledger shows for the plan's tax head in the year before (None
    when nothing was billed; 0 when nothing was collected)."""
    for row in selectors.collection(plan.municipality, plan.year - 1):
        if row.key == plan.tax_head.code:
            rate = row.rate
            if rate is None:
                return None
            return min(max(rate, Decimal(0)), costing.HUNDRED)
    return None


def scenarios(plan: CostingPlan, cost: Decimal, rate_from_ledger: Decimal | None):
    rates = []
    if rate_from_ledger:  # at 0 % no tariff recovers anything: said above the table
        rates.append((rate_from_ledger, _("Ledger, %(year)s") % {"year": plan.year - 1}, "ledger"))
    rates.append((costing.HUNDRED, _("Everyone pays"), "full"))
    for text in plan.extra_rates:
        rates.append((Decimal(text), _("Added by staff"), "extra"))
    out = []
    for rate, label, kind in rates:
        scenario = costing.tariffs(
            cost, plan.households, plan.businesses, rate, weight=plan.business_weight, label=label
        )
        out.append({"s": scenario, "kind": kind})
    return out


@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def plan_list(request, municipality_slug: str):
    municipality = request.municipality
    heads = TaxHead.objects.filter(municipality=municipality).order_by("priority", "code")
    errors: list[str] = []
    if request.method == "POST":
        if not has_permission(request.user, municipality, "revenue.assess"):
            raise PermissionDenied
        head = heads.filter(pk=request.POST.get("tax_head") or 0).first()
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            year = 0
        if head is None:
            errors.append(_("Choose the tax or fee the tariff is for."))
        if not 2000 <= year <= 2100:
            errors.append(_("Enter the year as four digits, e.g. 2027."))
        if not errors:
            plan, created = CostingPlan.objects.get_or_create(
                municipality=municipality,
                tax_head=head,
                year=year,
                defaults={"updated_by": request.user},
            )
            if created:
                audit.record(
                    "revenue.costing.created",
                    actor=request.user,
                    municipality=municipality,
                    obj=plan,
                    data={"tax_head": head.code, "year": year},
                )
            return redirect(_url("revenue-staff:costing-plan", request, pk=plan.pk))
    plans = (
        CostingPlan.objects.filter(municipality=municipality)
        .select_related("tax_head")
        .order_by("-year", "tax_head__priority")
    )
    return render(
        request,
        "revenue/costing_list.html",
        {
            "plans": [(p, _head_name(p.tax_head)) for p in plans],
            "heads": [(h, _head_name(h)) for h in heads],
            "errors": errors,
            "year": request.POST.get("year") or timezone.localdate().year + 1,
            "can_edit": has_permission(request.user, municipality, "revenue.assess"),
        },
        status=400 if errors else 200,
    )


def _read_form(post) -> tuple[list[tuple[str, Decimal]], int, int, Decimal, list[str], list[str]]:
    """The posted plan, checked; every problem as a sentence for the error summary."""
    errors: list[str] = []
    items: list[tuple[str, Decimal]] = []
    labels, amounts = post.getlist("label"), post.getlist("amount")
    for number, (label, amount) in enumerate(zip(labels, amounts, strict=False), start=1):
        label, amount = label.strip(), amount.strip()
        if not label and not amount:
            continue
        if not label:
            errors.append(_("Cost line %(n)s: enter what the cost is for.") % {"n": number})
            continue
        if len(label) > 120:
            errors.append(_("Cost line %(n)s: the name is too long.") % {"n": number})
            continue
        if not amount:
            errors.append(_("“%(label)s”: enter the amount in lek.") % {"label": label})
            continue
        try:
            items.append((label, costing.parse_amount(amount, label=label)))
        except costing.CostingError as exc:
            errors.append(str(exc))
    if len(items) > MAX_ITEMS:
        errors.append(_("At most %(n)s cost lines.") % {"n": MAX_ITEMS})
    if not items and not errors:
        errors.append(_("Enter at least one cost of the service."))
    counts, numbers_ok = [], True
    for field, name in (("households", _("households")), ("businesses", _("businesses"))):
        text = post.get(field, "").strip().replace(" ", "") or "0"
        try:
            counts.append(int(text))
        except ValueError:
            errors.append(_("The number of %(who)s must be a whole number.") % {"who": name})
            counts.append(0)
            numbers_ok = False
    households, businesses = counts
    weight_text = post.get("business_weight", "").strip().replace(",", ".") or "1"
    try:
        weight = Decimal(weight_text).quantize(Decimal("0.01"))
    except ArithmeticError:
        errors.append(_("A business's share must be a number, e.g. 3."))
        weight, numbers_ok = Decimal(1), False
    if numbers_ok:
        try:
            costing.check_payers(households, businesses, weight)
        except costing.CostingError as exc:
            errors.append(str(exc))
    rates: list[str] = []
    for text in post.get("extra_rates", "").replace(";", " ").split():
        try:
            rate = costing.parse_rate(text)
        except costing.CostingError as exc:
            errors.append(str(exc))
            continue
        if str(rate) not in rates:
            rates.append(str(rate))
    if len(rates) > MAX_RATES:
        errors.append(_("At most %(n)s other collection rates.") % {"n": MAX_RATES})
    return items, households, businesses, weight, rates, errors


@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def plan_detail(request, municipality_slug: str, pk: int):
    municipality = request.municipality
    plan = get_object_or_404(
        CostingPlan.objects.select_related("tax_head"), municipality=municipality, pk=pk
    )
    can_edit = has_permission(request.user, municipality, "revenue.assess")
    errors: list[str] = []
    posted = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        items, households, businesses, weight, rates, errors = _read_form(request.POST)
        if not errors:
            with transaction.atomic():
                plan.households, plan.businesses = households, businesses
                plan.business_weight, plan.extra_rates = weight, rates
                plan.updated_by = request.user
                plan.save()
                plan.items.all().delete()
                CostItem.objects.bulk_create(
                    CostItem(plan=plan, position=n, label=label, amount=amount)
                    for n, (label, amount) in enumerate(items)
                )
                audit.record(
                    "revenue.costing.saved",
                    actor=request.user,
                    municipality=municipality,
                    obj=plan,
                    data={
                        "tax_head": plan.tax_head.code,
                        "year": plan.year,
                        "cost": str(costing.total(a for _l, a in items)),
                        "households": households,
                        "businesses": businesses,
                        "business_weight": str(weight),
                        "extra_rates": rates,
                    },
                )
            messages.success(request, _("The costing plan was saved."))
            return redirect(_url("revenue-staff:costing-plan", request, pk=plan.pk))
        posted = request.POST
    items = list(plan.items.all())
    cost = costing.total(i.amount for i in items)
    rate = ledger_rate(plan)
    table = []
    if items and plan.households + plan.businesses > 0:
        table = scenarios(plan, cost, rate)
    if posted is not None:
        rows = [
            {"label": label, "amount": amount}
            for label, amount in zip(
                posted.getlist("label"), posted.getlist("amount"), strict=False
            )
            if label.strip() or amount.strip()
        ]
        form = {
            "households": posted.get("households", ""),
            "businesses": posted.get("businesses", ""),
            "business_weight": posted.get("business_weight", ""),
            "extra_rates": posted.get("extra_rates", ""),
        }
    else:
        rows = [{"label": i.label, "amount": i.amount} for i in items]
        form = {
            "households": plan.households,
            "businesses": plan.businesses,
            "business_weight": plan.business_weight,
            "extra_rates": " ".join(plan.extra_rates),
        }
    rows += [{"label": "", "amount": ""}] * ITEM_ROWS
    return render(
        request,
        "revenue/costing.html",
        {
            "plan": plan,
            "head_name": _head_name(plan.tax_head),
            "items": items,
            "cost": cost,
            "ledger_rate": rate,
            "table": table,
            "rows": rows,
            "form": form,
            "errors": errors,
            "can_edit": can_edit,
        },
        status=400 if errors else 200,
    )
