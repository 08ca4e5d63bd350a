"""Pages for the documents a taxpayer receives (tax notices, reminder letters), appeals and the
enforcement list. The resident's pages are under ``/<municipality>/taxes/`` and show only bills
of persons linked to the account; the staff pages need the role's permission and 2FA. Every
object is looked up inside the request's municipality (another municipality's id is a 404)."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sportel.accounts.decorators import staff_required
from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.tenancy import request_municipality

from . import appeals, enforcement, notice_tasks, notices, rf, selectors
from .models import Appeal, AppealDecision, Demand, EnforcementStep, Invoice, TaxNotice


def _url(name: str, request, **kwargs) -> str:
    return reverse(name, kwargs={"municipality_slug": request.municipality.slug, **kwargs})


def _language() -> str:
    return "en" if get_language() == "en" else "sq"


def _pdf(document) -> FileResponse:
    if document is None or not document.pdf:
        raise Http404
    return FileResponse(
        document.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{document.code}.pdf",
    )


def _own_invoice(request, reference: str) -> Invoice:
    """A bill of the user's own person or of a business they represent; else 404."""
    return get_object_or_404(
        selectors.own_invoices(request_municipality(request), request.user).select_related(
            "person", "business", "municipality"
        ),
        reference=rf.compact(reference),
    )


# --- the resident ------------------------------------------------------------------------------
@login_required
def notice(request, municipality_slug: str, reference: str):
    """The sealed tax notice of the resident's own bill, as its demands stand now (sealed on
    first download when the office has not sent it yet; the same state is never sealed twice)."""
    from sportel.documents.services import SealKeyError

    invoice = _own_invoice(request, reference)
    try:
        found, _created = notices.issue_notice(invoice, actor=request.user)
    except SealKeyError:
        return HttpResponse(
            _("The tax notice cannot be sealed right now. Please try again later."), status=503
        )
    return _pdf(found.document)


@login_required
def letter(request, municipality_slug: str, pk: int):
    """A notice or reminder letter sent earlier, for the resident's own bill."""
    found = get_object_or_404(
        TaxNotice.objects.select_related("document"),
        municipality=request_municipality(request),
        pk=pk,
        invoice__in=selectors.own_invoices(request_municipality(request), request.user),
    )
    return _pdf(found.document)


class AppealForm(forms.Form):
    demand = forms.TypedChoiceField(
        label=gettext_lazy("Which tax do you appeal?"), coerce=int, choices=()
    )
    reason = forms.CharField(
        label=gettext_lazy("Why is the assessment wrong?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=appeals.MAX_REASON,
    )
    guarantee = forms.BooleanField(
        label=gettext_lazy("I have not paid the amount: I attach a bank guarantee for it instead"),
        required=False,
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attachment (PDF, PNG or JPEG): the bank guarantee or evidence"),
        required=False,
    )
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, demands=(), language="sq", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demand"].choices = [
            (
                d.pk,
                f"{d.tax_head.name_en if language == 'en' else d.tax_head.name_sq} · "
                f"{number_format(d.amount, 2, force_grouping=True)} ALL",
            )
            for d in demands
        ]


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, municipality_slug: str, reference: str):
    invoice = _own_invoice(request, reference)
    demands = list(
        invoice.demands.filter(superseded_by__isnull=True).select_related("tax_head", "invoice")
    )
    language = _language()
    # The rules of the bill's year (its fiscal package; the law's fixed ones): shown as they
    # will be applied.
    rules = appeals.rules_for(demands[0]) if demands else None
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES, demands=demands, language=language)
        if form.is_valid():
            demand = next(d for d in demands if d.pk == form.cleaned_data["demand"])
            try:
                filed = appeals.file_appeal(
                    demand,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    key=form.cleaned_data["key"],
                    upload=form.cleaned_data.get("attachment"),
                    guarantee=form.cleaned_data["guarantee"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                filed, _created = filed
                messages.success(
                    request,
                    _("Your appeal was received. %(who)s decides within %(days)s days.")
                    % {
                        "who": appeals.decided_by(filed.rules, language).capitalize(),
                        "days": filed.rules.get("decision_days", appeals.DECISION_DAYS),
                    },
                )
                return redirect(
                    reverse("revenue:mine", kwargs={"municipality_slug": municipality_slug})
                )
        status = 400
    else:
        form = AppealForm(initial={"key": uuid.uuid4().hex}, demands=demands, language=language)
        status = 200
    return render(
        request,
        "revenue/appeal_form.html",
        {
            "invoice": invoice,
            "grouped": rf.grouped(invoice.reference),
            "form": form,
            "days": rules["appeal_days"] if rules else notices.APPEAL_DAYS,
            "decided_by": appeals.decided_by(rules, language) if rules else "",
            "decision_days": rules["decision_days"] if rules else None,
            "appeals": appeals.appeals_of_invoice(invoice),
        },
        status=status,
    )


# --- staff: batches of letters -----------------------------------------------------------------
@require_POST
@staff_required("revenue.assess")
def send_notices(request, municipality_slug: str):
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        raise Http404 from None
    notice_tasks.queue_notices(request.municipality, year, actor=request.user)
    messages.success(
        request,
        _(
            "The tax notices of %(year)s are being sealed and sent. Bills that already have a "
            "notice for the same amounts are not sent again."
        )
        % {"year": year},
    )
    return redirect(_url("revenue-staff:assessment", request))


@require_POST
@staff_required("revenue.assess")
def send_reminders(request, municipality_slug: str):
    notice_tasks.queue_reminders(request.municipality, actor=request.user)
    messages.success(
        request,
        _(
            "Reminder letters are being sealed and sent. A bill that already had the letter of "
            "its level does not get it again."
        ),
    )
    return redirect(_url("revenue-staff:arrears", request))


# --- staff: appeals ------------------------------------------------------------------------------
@staff_required("revenue.read")
def appeal_list(request, municipality_slug: str):
    municipality = request.municipality
    rows = list(
        Appeal.objects.filter(municipality=municipality)
        .select_related("invoice__person", "invoice__business", "demand__tax_head", "decision")
        # Waiting appeals first on both databases (PostgreSQL sorts NULLs last by default).
        .order_by(F("decision").asc(nulls_first=True), "decide_by", "pk")[:500]
    )
    audit.record(
        "revenue.appeals.read",
        actor=request.user,
        municipality=municipality,
        data={"rows": len(rows)},
    )
    return render(
        request,
        "revenue/appeals.html",
        {"rows": rows, "today": timezone.localdate()},
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=AppealDecision.Outcome.choices,
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(
        label=gettext_lazy("Amended amount (ALL), for an amended assessment"),
        required=False,
        max_length=20,
    )
    reasons = forms.CharField(
        label=gettext_lazy("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def appeal_detail(request, municipality_slug: str, pk: int):
    municipality = request.municipality
    found = get_object_or_404(
        Appeal.objects.select_related(
            "invoice__person", "invoice__business", "demand__tax_head", "filed_by"
        ),
        municipality=municipality,
        pk=pk,
    )
    can_decide = has_permission(request.user, municipality, "revenue.assess")
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        if AppealDecision.objects.filter(appeal=found).exists():
            messages.error(request, _("This appeal was decided already."))
            return redirect(_url("revenue-staff:appeal", request, pk=found.pk))
        if form.is_valid():
            try:
                appeals.decide_appeal(
                    found,
                    actor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    reasons=form.cleaned_data["reasons"],
                    amount=form.cleaned_data["amount"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The decision was recorded."))
                return redirect(_url("revenue-staff:appeal", request, pk=found.pk))
        status = 400
    else:
        audit.record(
            "revenue.appeal.read",
            actor=request.user,
            municipality=municipality,
            obj=found,
            subject=found.invoice.person,
            subject_user=found.invoice.person.user_id if found.invoice.person_id else None,
        )
    decision = AppealDecision.objects.filter(appeal=found).first()
    current = appeals.current_demand(found.demand)
    return render(
        request,
        "revenue/appeal.html",
        {
            "appeal": found,
            "decision": decision,
            "current": current,
            "form": form if decision is None and can_decide else None,
            "today": timezone.localdate(),
        },
        status=status,
    )


@staff_required("revenue.read")
def appeal_attachment(request, municipality_slug: str, pk: int):
    found = get_object_or_404(Appeal, municipality=request.municipality, pk=pk)
    if not found.attachment:
        raise Http404
    audit.record(
        "revenue.appeal.attachment.read",
        actor=request.user,
        municipality=request.municipality,
        obj=found,
    )
    return FileResponse(
        found.attachment.open("rb"),
        content_type=found.attachment_type or "application/octet-stream",
        as_attachment=True,
        filename=found.attachment_name or "attachment",
    )


# --- staff: enforcement ----------------------------------------------------------------------------
@staff_required("revenue.read")
def enforcement_page(request, municipality_slug: str):
    municipality = request.municipality
    cases = enforcement.enforcement_list(municipality, timezone.localdate())
    audit.record(
        "revenue.enforcement.read",
        actor=request.user,
        municipality=municipality,
        data={"rows": len(cases)},
    )
    return render(
        request,
        "revenue/enforcement.html",
        {
            "cases": cases[:500],
            "count": len(cases),
            "days": enforcement.threshold_days(),
            "suspended": appeals.pending(municipality).count(),
            "language": _language(),
        },
    )


@staff_required("revenue.read")
def enforcement_csv(request, municipality_slug: str):
    municipality = request.municipality
    today = timezone.localdate()
    cases = enforcement.enforcement_list(municipality, today)
    audit.record(
        "revenue.enforcement.export",
        actor=request.user,
        municipality=municipality,
        data={"rows": len(cases)},
    )
    response = HttpResponse(
        enforcement.to_csv(cases, language=_language()), content_type="text/csv; charset=utf-8"
    )
    name = f"permbarimi-{municipality.slug}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class StepForm(forms.Form):
    step = forms.ChoiceField(label=gettext_lazy("Legal step"), choices=EnforcementStep.Step.choices)
    taken_on = forms.DateField(label=gettext_lazy("Date of the act (YYYY-MM-DD)"))
    reference = forms.CharField(label=gettext_lazy("Act number"), required=False, max_length=100)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def clean_taken_on(self):
        value = self.cleaned_data["taken_on"]
        if value > timezone.localdate():
            raise ValidationError(_("The date of the act cannot be in the future."))
        return value


@require_http_methods(["GET", "POST"])
@staff_required("revenue.read")
def enforcement_case(request, municipality_slug: str, pk: int):
    municipality = request.municipality
    demand = get_object_or_404(
        Demand.objects.select_related("invoice__person", "invoice__business", "tax_head"),
        municipality=municipality,
        pk=pk,
    )
    can_record = has_permission(request.user, municipality, "revenue.assess")
    form = StepForm(request.POST or None, initial={"taken_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                enforcement.record_step(demand, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The legal step was recorded."))
                return redirect(_url("revenue-staff:enforcement-case", request, pk=demand.pk))
        status = 400
    else:
        audit.record(
            "revenue.enforcement.case.read",
            actor=request.user,
            municipality=municipality,
            obj=demand,
            subject=demand.invoice.person,
        )
    from . import ledger

    return render(
        request,
        "revenue/enforcement_case.html",
        {
            "demand": demand,
            "payer": str(demand.invoice.person or demand.invoice.business),
            "outstanding": ledger.demand_outstanding(demand),
            "steps": enforcement.steps_of(demand),
            "suspended": enforcement.is_suspended(demand),
            "form": form if can_record else None,
            "language": _language(),
        },
        status=status,
    )


def bill_documents(invoice):
    """For My taxes: the letters sent for a bill and its appeals."""
    return {
        "letters": list(notices.notices_of(invoice)),
        "appeals": list(appeals.appeals_of_invoice(invoice)),
    }
