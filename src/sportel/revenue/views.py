"""Revenue pages. Staff pages live under ``/<municipality>/staff/revenue/`` and need the role's
permission and a passed second factor; "My taxes" is the logged-in resident's own. Every object
is looked up inside the request's municipality (an id of another municipality is a 404)."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sportel.accounts.decorators import staff_required
from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.tenancy import request_municipality

from . import (
    exports,
    ledger,
    letter_views,
    payments,
    penalties,
    providers,
    rf,
    selectors,
    tasks,
)
from .camt053 import StatementError
from .models import AssessmentRun, FiscalPackage, Invoice, Payment, Statement
from .statements import DuplicateStatement, import_file

MAX_UPLOAD = 20 * 1024 * 1024


def _url(name: str, request, **kwargs) -> str:
    return reverse(name, kwargs={"municipality_slug": request.municipality.slug, **kwargs})


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# --- dashboard -------------------------------------------------------------------------------
@staff_required("revenue.read")
def dashboard(request, municipality_slug: str):
    municipality = request.municipality
    years = selectors.years(municipality)
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    language = "sq" if get_language() == "sq" else "en"
    by_head = selectors.collection(municipality, year, language=language)
    by_unit = selectors.collection(municipality, year, by="unit", language=language)
    trends = selectors.collection_trends(municipality, year)
    from . import charts  # the trends' SVG geometry

    return render(
        request,
        "revenue/dashboard.html",
        {
            "year": year,
            "years": years,
            "rows": by_head,
            "total": selectors.totals(by_head),
            "unit_rows": by_unit,
            "queue_count": selectors.queue(municipality).count(),
            "can_assess": has_permission(request.user, municipality, "revenue.assess"),
            "definition": selectors.RATE_DEFINITION,
            "trends": trends,
            "year_chart": charts.chart(
                trends.years, title=_("Billed and collected per year of the bills")
            ),
            "month_chart": charts.chart(
                trends.months,
                title=_(
                    "The bills of %(year)s: collected to the end of each month, out of what was "
                    "billed"
                )
                % {"year": year},
                short_labels=True,
            ),
        },
    )


def _year(request, municipality) -> int:
    years = selectors.years(municipality)
    try:
        return int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        return timezone.localdate().year


@staff_required("revenue.read")
def export(request, municipality_slug: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    municipality = request.municipality
    year = _year(request, municipality)
    language = "sq" if get_language() == "sq" else "en"
    rows = selectors.collection(municipality, year, language=language)
    content = exports.render(
        fmt,
        rows,
        selectors.totals(rows),
        str(selectors.RATE_DEFINITION),
        trends=selectors.collection_trends(municipality, year),
    )
    response = HttpResponse(content, content_type=exports.FORMATS[fmt])
    name = f"arketimi-{municipality.slug}-{year}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required("revenue.read")
def arrears(request, municipality_slug: str):
    """Overdue bills, oldest first, with penalties and reminder levels. Names are personal data:
    the list's reading is audited."""
    municipality = request.municipality
    rows = selectors.arrears(municipality, timezone.localdate())
    audit.record(
        "revenue.arrears.read",
        actor=request.user,
        municipality=municipality,
        data={"rows": len(rows)},
    )
    return render(
        request,
        "revenue/arrears.html",
        {
            "rows": rows[:500],
            "count": len(rows),
            "can_remind": has_permission(request.user, municipality, "revenue.assess"),
        },
    )


# --- assessment ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_required("revenue.assess")
def assessment(request, municipality_slug: str):
    municipality = request.municipality
    if request.method == "POST":
        package = get_object_or_404(
            FiscalPackage, municipality=municipality, pk=request.POST.get("package") or 0
        )
        run = tasks.start_assessment(package, actor=request.user)
        return redirect(_url("revenue-staff:run", request, pk=run.pk))
    return render(
        request,
        "revenue/assessment.html",
        {
            "packages": selectors.packages(municipality),
            "runs": selectors.runs(municipality)[:20],
        },
    )


@staff_required("revenue.assess")
def run(request, municipality_slug: str, pk: int):
    found = get_object_or_404(
        AssessmentRun.objects.select_related("package"), municipality=request.municipality, pk=pk
    )
    going = found.status in (AssessmentRun.Status.QUEUED, AssessmentRun.Status.RUNNING)
    percent = int(found.done * 100 / found.total) if found.total else (100 if not going else 0)
    return render(request, "revenue/run.html", {"run": found, "going": going, "percent": percent})


# --- bank statements and the manual queue ------------------------------------------------------
class StatementForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank statement (camt.053 XML or CSV)"))
    iban = forms.CharField(
        label=gettext_lazy("Account IBAN (CSV files only)"), required=False, max_length=34
    )


@require_http_methods(["GET", "POST"])
@staff_required("revenue.reconcile")
def statement_list(request, municipality_slug: str):
    municipality = request.municipality
    form = StatementForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            error = _("The file is too large (at most 20 MB).")
        else:
            try:
                summary = import_file(
                    municipality,
                    upload.read(),
                    file_name=upload.name,
                    iban=form.cleaned_data["iban"],
                    actor=request.user,
                )
            except DuplicateStatement:
                error = _("This statement was imported before. Nothing was posted.")
            except StatementError as exc:
                error = _(
                    "The file is not a valid bank statement: %(why)s. Nothing was posted."
                ) % {"why": exc}
            else:
                messages.success(
                    request,
                    _(
                        "Statement imported: %(lines)s lines, %(applied)s applied, %(queued)s "
                        "in the manual queue."
                    )
                    % {
                        "lines": summary.lines,
                        "applied": summary.applied,
                        "queued": summary.queued,
                    },
                )
                return redirect(_url("revenue-staff:statement", request, pk=summary.statement.pk))
    return render(
        request,
        "revenue/statements.html",
        {
            "form": form,
            "error": error,
            "statements": selectors.statements(municipality)[:50],
        },
        status=400 if error or (request.method == "POST" and not form.is_valid()) else 200,
    )


@staff_required("revenue.reconcile")
def statement(request, municipality_slug: str, pk: int):
    found = get_object_or_404(Statement, municipality=request.municipality, pk=pk)
    lines = found.lines.select_related("payment").order_by("entry_index", "tx_index")
    return render(request, "revenue/statement.html", {"statement": found, "lines": lines})


@require_http_methods(["GET", "POST"])
@staff_required("revenue.reconcile")
def queue(request, municipality_slug: str):
    municipality = request.municipality
    errors: dict[int, str] = {}
    if request.method == "POST":
        payment = get_object_or_404(
            Payment, municipality=municipality, pk=request.POST.get("payment") or 0
        )
        reference = rf.compact(request.POST.get("reference", ""))
        invoice = Invoice.objects.filter(municipality=municipality, reference=reference).first()
        if invoice is None:
            errors[payment.pk] = _("No bill of this municipality has that RF reference.")
        else:
            try:
                payments.assign_and_apply(payment, actor=request.user, invoice=invoice)
            except ValidationError as exc:
                errors[payment.pk] = " ".join(_errors(exc))
            else:
                messages.success(request, _("The payment was applied."))
                return redirect(_url("revenue-staff:queue", request))
    return render(
        request,
        "revenue/queue.html",
        {"payments": selectors.queue(municipality)[:100], "errors": errors},
        status=400 if errors else 200,
    )


# --- the counter's cash ------------------------------------------------------------------------
class CashForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("RF reference of the bill"), max_length=40)
    amount = forms.CharField(label=gettext_lazy("Amount received (ALL)"), max_length=20)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_reference(self):
        value = rf.compact(self.cleaned_data["reference"])
        if not rf.is_valid(value):
            raise ValidationError(_("This is not a valid RF reference (e.g. RF18 5390 0754 7034)."))
        return value


class CloseForm(forms.Form):
    counted = forms.DecimalField(
        label=gettext_lazy("Cash counted in the till (ALL)"), min_value=0, decimal_places=2
    )


@require_http_methods(["GET", "POST"])
@staff_required("revenue.cash")
def cash(request, municipality_slug: str):
    municipality = request.municipality
    status = 200
    form = CashForm(initial={"token": uuid.uuid4().hex})
    close_form = CloseForm()
    if request.method == "POST" and request.POST.get("action") == "close":
        close_form = CloseForm(request.POST)
        if close_form.is_valid():
            try:
                payments.close_day(
                    municipality, actor=request.user, counted=close_form.cleaned_data["counted"]
                )
            except ValidationError as exc:
                close_form.add_error(None, exc)
            else:
                messages.success(request, _("Your day is closed."))
                return redirect(_url("revenue-staff:cash", request))
        status = 400
    elif request.method == "POST":
        form = CashForm(request.POST)
        if form.is_valid():
            invoice = Invoice.objects.filter(
                municipality=municipality, reference=form.cleaned_data["reference"]
            ).first()
            if invoice is None:
                form.add_error("reference", _("No bill of this municipality has that reference."))
            else:
                try:
                    payment = payments.take_cash(
                        municipality,
                        actor=request.user,
                        invoice=invoice,
                        amount=form.cleaned_data["amount"],
                        token=form.cleaned_data["token"],
                    )
                except ValidationError as exc:
                    form.add_error("amount" if exc.code == "amount" else None, exc)
                else:
                    messages.success(
                        request,
                        _("Received. Receipt %(number)s.") % {"number": payment.receipt_number},
                    )
                    return redirect(_url("revenue-staff:cash", request))
        status = 400
    session = selectors.today_session(municipality, request.user, timezone.localdate())
    taken = (
        session and Payment.objects.filter(cash_session=session).order_by("pk")
    ) or Payment.objects.none()
    return render(
        request,
        "revenue/cash.html",
        {
            "form": form,
            "close_form": close_form,
            "session": session,
            "taken": taken,
            "expected": payments.cash_expected(session) if session else 0,
        },
        status=status,
    )


# --- My taxes ---------------------------------------------------------------------------------
@login_required
def my_taxes(request, municipality_slug: str):
    municipality = request_municipality(request)
    people = list(request.user.persons.filter(municipality=municipality))
    if not people and not request.user.is_authenticated:
        raise PermissionDenied
    bills = []
    for person in people:
        for invoice in selectors.invoices_of_person(municipality, person):
            bills.append(_bill(invoice))
    credit = sum((ledger.taxpayer_credit(municipality, person=p) for p in people), 0)
    # The businesses a clerk recorded this account's person as representing: their bills, to
    # pay and to appeal, each under the business's name and NIPT.
    businesses = []
    for business in selectors.represented_businesses(municipality, request.user):
        business_bills = [
            _bill(invoice) for invoice in selectors.invoices_of_business(municipality, business)
        ]
        businesses.append(
            {
                "business": business,
                "bills": business_bills,
                "credit": ledger.taxpayer_credit(municipality, business=business),
            }
        )
    return render(
        request,
        "revenue/my_taxes.html",
        {"bills": bills, "credit": credit, "businesses": businesses},
    )


def _bill(invoice) -> dict:
    lines = selectors.invoice_lines(invoice)
    bill = {
        "invoice": invoice,
        "grouped": rf.grouped(invoice.reference),
        "lines": lines,
        "owed": sum((line["outstanding"] for line in lines), 0),
        # Principal, penalty, interest and the total due (decision 0031).
        "totals": penalties.bill_totals(lines),
    }
    bill.update(letter_views.bill_documents(invoice))
    return bill


# --- online payment (sandbox) ------------------------------------------------------------------
def _own_invoice(request, reference: str) -> Invoice:
    """A bill of a person linked to the logged-in account, or of a business it represents, in
    this municipality; else 404."""
    return get_object_or_404(
        selectors.own_invoices(request_municipality(request), request.user),
        reference=rf.compact(reference),
    )


@login_required
@require_http_methods(["GET", "POST"])
def pay(request, municipality_slug: str, reference: str):
    """The sandbox provider's checkout: the resident confirms, the sandbox calls back (signed)
    exactly as a real provider would, and the payment lands through the callback path."""
    invoice = _own_invoice(request, reference)
    lines = selectors.invoice_lines(invoice)
    owed = sum((line["outstanding"] for line in lines), 0)
    if request.method == "POST" and owed > 0:
        provider = providers.PROVIDERS["sandbox"]
        body, headers = provider.callback(
            {
                "event_id": f"sbx-{request.POST.get('checkout', '')[:40] or uuid.uuid4().hex}",
                "reference": invoice.reference,
                "amount": str(owed),
                "paid_on": timezone.localdate().isoformat(),
            }
        )
        providers.handle_callback(invoice.municipality, "sandbox", body, headers)
        messages.success(request, _("Paid. Thank you: the payment is in the ledger."))
        return redirect(reverse("revenue:mine", kwargs={"municipality_slug": municipality_slug}))
    return render(
        request,
        "revenue/pay.html",
        {
            "invoice": invoice,
            "grouped": rf.grouped(invoice.reference),
            "owed": owed,
            "checkout": uuid.uuid4().hex,
        },
    )


@csrf_exempt
@require_http_methods(["POST"])
def provider_callback(request, municipality_slug: str, provider: str):
    """A provider's server-to-server callback: signed, idempotent; the API's error shape."""
    municipality = request_municipality(request)
    headers = dict(request.headers.items())
    try:
        payment = providers.handle_callback(municipality, provider, request.body, headers)
    except providers.InvalidCallback as exc:
        return JsonResponse(
            {
                "detail": _("The callback was refused: %(why)s.") % {"why": exc},
                "code": "invalid_callback",
            },
            status=400,
        )
    return JsonResponse({"status": payment.status, "payment": payment.pk})


@login_required
@require_http_methods(["GET", "POST"])
def clearance_view(request, municipality_slug: str):
    """The resident's tax clearance certificate goes through the catalogue's service, the one
    door where a request opens its case (history, notification, the instant check that issues or
    refuses with the amounts, decision 0028): this address sends there. It never issues by
    itself; a municipality without the service says so."""
    from sportel.services import selectors as service_selectors

    from .service_link import SERVICE_CODE

    municipality = request_municipality(request)
    service = service_selectors.service_by_code(municipality, SERVICE_CODE)
    if service is not None and service.current_version is not None:
        # 303: an old form's POST becomes a GET of the application form, nothing is issued.
        response = redirect(
            reverse(
                "services:apply",
                kwargs={"municipality_slug": municipality.slug, "code": SERVICE_CODE},
            )
        )
        response.status_code = 303
        return response
    return render(request, "revenue/clearance.html", {"offered": False}, status=404)


# --- a taxpayer's bill, for the tax officer: principal, penalty, interest (decision 0031) ---
class WriteOffForm(forms.Form):
    demand = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.CharField(label=gettext_lazy("Amount to write off (ALL)"), max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("Reason (kept in the audit log)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def bill(request, municipality_slug: str, reference: str):
    """One bill as the tax office sees it: what is owed (principal, penalty, interest, total),
    the penalty's history, accrual to today and a write-off with a reason."""
    from .models import Demand

    municipality = request.municipality
    invoice = get_object_or_404(
        Invoice.objects.select_related("person", "business"),
        municipality=municipality,
        reference=rf.compact(reference),
    )
    can_correct = has_permission(request.user, municipality, "revenue.assess")
    form = WriteOffForm()
    if request.method == "POST":
        if not can_correct:
            raise PermissionDenied
        payer = {"person": invoice.person} if invoice.person_id else {"business": invoice.business}
        if request.POST.get("action") == "accrue":
            written = penalties.accrue_taxpayer(municipality, on=timezone.localdate(), **payer)
            audit.record(
                "revenue.penalty.accrue",
                actor=request.user,
                municipality=municipality,
                obj=invoice,
                subject=invoice.person,
                data={"invoice": invoice.reference, "revisions": len(written)},
            )
            messages.success(
                request,
                _("Penalty and interest booked to today.")
                if written
                else _("Nothing new to book: the penalty and interest are booked to today."),
            )
            return redirect(_url("revenue-staff:bill", request, reference=invoice.reference))
        form = WriteOffForm(request.POST)
        if form.is_valid():
            demand = get_object_or_404(
                Demand, pk=form.cleaned_data["demand"], invoice=invoice, municipality=municipality
            )
            try:
                penalties.write_off(
                    demand,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    on=timezone.localdate(),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("Written off; the reason is in the audit log."))
                return redirect(_url("revenue-staff:bill", request, reference=invoice.reference))
    audit.record(
        "revenue.bill.read",
        actor=request.user,
        municipality=municipality,
        obj=invoice,
        subject=invoice.person,
        data={"invoice": invoice.reference},
    )
    context = _bill(invoice)
    history = (
        Demand.objects.filter(invoice=invoice, tax_head__code__in=penalties.CODES)
        .select_related("tax_head")
        .order_by("tax_head__priority", "revision")
    )
    charges = [line for line in context["lines"] if penalties.is_charge(line["demand"].tax_head)]
    return render(
        request,
        "revenue/bill.html",
        {
            **context,
            "payer": invoice.person or invoice.business,
            "history": history,
            "charges": charges,
            "can_correct": can_correct,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# --- representatives added online, awaiting review (decision 0031) ---------------------------
@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def representatives(request, municipality_slug: str):
    """Links between a business and its representative that no clerk verified, for a tax
    officer to approve or revoke with a reason (reading the list is audited: names)."""
    from . import representatives as reps

    municipality = request.municipality
    can_review = has_permission(request.user, municipality, "revenue.assess")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        try:
            reps.review(
                municipality,
                business_id=int(request.POST.get("business") or 0),
                person_id=int(request.POST.get("person") or 0),
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
        except (ValueError, ValidationError) as exc:
            errors = _errors(exc) if isinstance(exc, ValidationError) else [_("Not a number.")]
            status = 400
        else:
            messages.success(request, _("Reviewed; the decision and its reason are audited."))
            return redirect(_url("revenue-staff:representatives", request))
    links = reps.awaiting_review(municipality)
    audit.record(
        "revenue.representatives.read",
        actor=request.user,
        municipality=municipality,
        data={"rows": len(links)},
    )
    return render(
        request,
        "revenue/representatives.html",
        {"links": links, "can_review": can_review, "errors": errors},
        status=status,
    )
