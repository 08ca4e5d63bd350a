"""Staff pages: the counter (a clerk files for a walk-in) and the back office (queue by legal
end, case file, actions). Every page needs a role in the URL's municipality and a passed
second factor (``staff_required``); every case file read goes through ``services.read_case``
(audited). Actions are POST forms; an action the workflow or the role does not allow shows the
services module's message and changes nothing.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sportel.accounts import permissions
from sportel.accounts.decorators import staff_required
from sportel.core.calendar import local_today
from sportel.core.selectors import units_of
from sportel.core.services import register_person

from . import actions, deadlines, selectors, services, web_selectors, workflow
from .forms import (
    BusinessForm,
    CounterExtrasForm,
    FeePaidForm,
    QueueFilterForm,
    UnitForm,
    WalkInForm,
    add_service_errors,
)
from .identity import identity_summary
from .models import ApplicantKind, Case, Channel
from .views import (
    answer_summary,
    answers_of,
    document_response,
    label_events,
    language,
    schema_form_class,
)

SESSION_WALK_IN = "services_counter_walk_in"
QUEUE_PAGE_SIZE = 50


def _role(request, permission: str) -> str:
    """The role that grants ``permission`` here, for the audit log (the view's guard already
    checked that one does)."""
    return permissions.require(request.user, request.municipality, permission)


# --- counter ----------------------------------------------------------------------------------


def _walk_in(request) -> dict | None:
    walk_in = request.session.get(SESSION_WALK_IN) or {}
    return walk_in.get(request.municipality.slug)


def _set_walk_in(request, value: dict | None) -> None:
    walk_ins = dict(request.session.get(SESSION_WALK_IN) or {})
    if value is None:
        walk_ins.pop(request.municipality.slug, None)
    else:
        walk_ins[request.municipality.slug] = value
    request.session[SESSION_WALK_IN] = walk_ins


@staff_required("cases.counter")
def counter(request, municipality_slug: str):
    """Identify the walk-in by NID; register them when the municipality does not know them."""
    municipality = request.municipality
    if request.method == "POST" and "clear" in request.POST:
        _set_walk_in(request, None)
        return redirect("services-staff:counter", municipality_slug=municipality_slug)
    # A ticket called on the floor opens this page with its NID and service (floor/views.py).
    form = WalkInForm(request.POST or None, initial={"nid": request.GET.get("nid", "")[:14]})
    show_confirm = False
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            person = web_selectors.person_by_nid(
                municipality, data["nid"], actor=request.user, role=_role(request, "cases.counter")
            )
            if person is None and not (data["first_name"].strip() and data["last_name"].strip()):
                form.add_error(
                    "first_name",
                    _("This person is not in the register yet: enter their first and last name."),
                )
            else:
                try:
                    if person is None:
                        details = {k: data[k] for k in ("phone", "email") if data.get(k)} | {
                            "preferred_language": data["language"]
                        }
                        person = register_person(
                            municipality,
                            nid=data["nid"],
                            first_name=data["first_name"].strip(),
                            last_name=data["last_name"].strip(),
                            actor=request.user,
                            override_check=data["confirm_check_letter"],
                            **details,
                        ).obj
                        messages.success(
                            request,
                            _("%(name)s is now in the register.") % {"name": person.full_name},
                        )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    _set_walk_in(
                        request,
                        {
                            "nid": person.nid,
                            "first_name": person.first_name,
                            "last_name": person.last_name,
                            "language": data["language"] or person.preferred_language,
                            "override": bool(data["confirm_check_letter"]),
                            "identity_document": data["identity_document"],
                            "email": data.get("email") or "",
                            "phone": data.get("phone") or "",
                        },
                    )
                    wanted = request.GET.get("service", "")
                    if wanted and selectors.service_by_code(municipality, wanted) is not None:
                        return redirect(
                            "services-staff:counter-apply",
                            municipality_slug=municipality_slug,
                            code=wanted,
                        )
                    return redirect(
                        "services-staff:counter-services", municipality_slug=municipality_slug
                    )
        show_confirm = any(e.code == "check_letter" for e in form.errors.as_data().get("nid", []))
    return render(
        request,
        "services/staff/counter.html",
        {"form": form, "walk_in": _walk_in(request), "show_confirm": show_confirm},
    )


@staff_required("cases.counter")
def counter_services(request, municipality_slug: str):
    """Pick the service the walk-in asks for."""
    walk_in = _walk_in(request)
    if walk_in is None:
        return redirect("services-staff:counter", municipality_slug=municipality_slug)
    return render(
        request,
        "services/staff/counter_services.html",
        {
            "walk_in": walk_in,
            "services": web_selectors.services_for_channel(request.municipality, Channel.COUNTER),
        },
    )


@staff_required("cases.counter")
def counter_apply(request, municipality_slug: str, code: str):
    """The service's own form, filled on the walk-in's behalf; the fee taken in cash."""
    walk_in = _walk_in(request)
    if walk_in is None:
        return redirect("services-staff:counter", municipality_slug=municipality_slug)
    service = selectors.service_by_code(request.municipality, code)
    if service is None or Channel.COUNTER not in service.current_version.channels:
        raise Http404(_("There is no such service here."))
    version = service.current_version
    units = units_of(request.municipality)
    Form = schema_form_class(version)
    post = request.POST if request.method == "POST" else None
    form = Form(post)
    unit_form = UnitForm(post, units=units)
    extras = CounterExtrasForm(post, request.FILES or None)
    kind = version.applicant_kind
    business_form = BusinessForm(post, required=kind == ApplicantKind.BUSINESS, prefix="business")
    if post is not None:
        # Every form validated (not all() short-circuiting), so each shows its errors.
        results = [f.is_valid() for f in (form, unit_form, extras, business_form)]
        if all(results):
            upload = extras.cleaned_data.get("attachment")
            try:
                case = services.submit_application(
                    request.municipality,
                    service=service,
                    data=answers_of(form),
                    actor=request.user,
                    channel=Channel.COUNTER,
                    idempotency_key=request.POST.get("idempotency_key", "")[:100],
                    walk_in={k: walk_in[k] for k in walk_in if k != "override"},
                    override_check=walk_in.get("override", False)
                    or business_form.cleaned_data.get("nipt_confirm", False),
                    business=business_form.business() if kind != ApplicantKind.PERSON else None,
                    unit=unit_form.unit_obj(),
                    language=walk_in.get("language") or language(),
                    fee_paid=extras.cleaned_data.get("fee_paid", False),
                    uploads=[upload] if upload else [],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "attachments" in exc.error_dict:
                    add_service_errors(
                        extras, ValidationError({"attachment": exc.error_dict["attachments"]})
                    )
                elif hasattr(exc, "error_dict") and set(exc.error_dict) & {"nipt"}:
                    add_service_errors(business_form, exc)
                else:
                    add_service_errors(form, exc)
            else:
                return redirect(
                    "services-staff:counter-receipt",
                    municipality_slug=municipality_slug,
                    number=case.number,
                )
    planned, legal = deadlines.initial_ends(version, local_today())
    return render(
        request,
        "services/staff/counter_apply.html",
        {
            "walk_in": walk_in,
            "service": service,
            "version": version,
            "form": form,
            "unit_form": unit_form,
            "extras": extras,
            "business_form": business_form if kind != ApplicantKind.PERSON else None,
            "planned_end": planned,
            "legal_end": legal,
            "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        },
    )


def _read(request, number: str) -> Case:
    try:
        return services.read_case(request.municipality, number, actor=request.user)
    except Case.DoesNotExist:
        raise Http404(_("There is no such case.")) from None


@staff_required("cases.counter")
def counter_receipt(request, municipality_slug: str, number: str):
    """The receipt the clerk prints for the walk-in, and the fee-paid button."""
    case = _read(request, number)
    return render(
        request,
        "services/staff/counter_receipt.html",
        {
            "case": case,
            "ends": deadlines.effective_ends(case),
            "fee_form": FeePaidForm(),
            "can_take_fee": actions.refusal(case, request.user, "mark_fee_paid") is None,
            "document": web_selectors.issued_document(case),
        },
    )


# --- back office --------------------------------------------------------------------------------


@staff_required("cases.read")
def queue(request, municipality_slug: str):
    """Cases by legal end, filtered by service, status, unit and assignee; deadline tags."""
    municipality = request.municipality
    form = QueueFilterForm(
        request.GET or None,
        services=selectors.active_services(municipality),
        units=units_of(municipality),
        assignees=web_selectors.specialists(municipality),
        user=request.user,
    )
    filters = form.cleaned_data if form.is_valid() else {}
    cases = selectors.staff_queue(
        municipality,
        service=filters.get("service") or None,
        status=filters.get("status") or None,
        unit=filters.get("unit") or None,
        assignee=filters.get("assignee") or None,
    )
    page = Paginator(cases, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    today = local_today()
    rows = [
        {
            "case": case,
            "status": workflow.state_label(case.status),
            "state": case.deadline_state(today),
            "ends": deadlines.effective_ends(case, today),
        }
        for case in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    decided = []
    if not filters.get("status"):  # a status filter shows exactly that status above
        waiting = selectors.decided_unfinished(
            municipality,
            service=filters.get("service") or None,
            unit=filters.get("unit") or None,
            assignee=filters.get("assignee") or None,
        )[:DECIDED_SHOWN]
        decided = [
            {
                "case": case,
                "status": workflow.state_label(case.status),
                "next_step": _next_step(case),
            }
            for case in waiting
        ]
    return render(
        request,
        "services/staff/queue.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "decided": decided,
        },
    )


DECIDED_SHOWN = 50


def _next_step(case: Case) -> str:
    """What a decided case still waits for, in words."""
    if case.status == workflow.APPROVED and case.service_version.output_document_type:
        if case.fee_due and not case.fee_paid:
            return _("Waiting for the fee at the counter")
        return _("The document is to be issued")
    return _("To be closed")


def _action_forms(request, case, bound: dict | None = None) -> list[dict]:
    """The actions the case page shows: exactly what ``actions.available_actions`` allows."""
    shown = []
    for action in actions.available_actions(case, request.user):
        form = (bound or {}).get(action.name) or actions.form_for(action, request.municipality)
        shown.append({"action": action, "form": form})
    return shown


def _case_file(request, case, *, bound=None, status=200):
    events = label_events(case, list(selectors.timeline(case, public_only=False)), staff=True)
    return render(
        request,
        "services/staff/case.html",
        {
            "case": case,
            "events": events,
            "actions": _action_forms(request, case, bound),
            "summary": answer_summary(case.service_version, case.application.data),
            "attachments": list(case.application.attachments.order_by("uploaded_at")),
            "ends": deadlines.effective_ends(case),
            "state": case.deadline_state(),
            "status_label": workflow.state_label(case.status),
            "document": web_selectors.issued_document(case),
            "identity": identity_summary(case),
        },
        status=status,
    )


@staff_required("cases.read")
def case_file(request, municipality_slug: str, number: str):
    """The case file: applicant data (an audited read), answers, history, the actions."""
    return _case_file(request, _read(request, number))


@require_http_methods(["GET", "POST"])
@staff_required("cases.read")
def case_action(request, municipality_slug: str, number: str, action: str):
    """One action on a case. Refusals (workflow, role, precondition, bad input) change nothing.

    An action that asks for confirmation (approve) shows its question on GET; the POST of that
    page does it. Works without JavaScript."""
    row = actions.ACTIONS.get(action)
    if row is None:
        raise Http404
    case = _read(request, number)
    back = reverse(
        "services-staff:case", kwargs={"municipality_slug": municipality_slug, "number": number}
    )
    if request.method == "GET":
        if not row.confirm:
            return redirect(back)
        refused = actions.refusal(case, request.user, action)
        if refused is not None:
            messages.error(request, _refusal_text(refused))
            return redirect(back)
        return render(
            request,
            "services/staff/confirm_action.html",
            {"case": case, "action": row, "question": row.confirm % {"number": case.number}},
        )
    form = actions.form_for(row, request.municipality, request.POST, request.FILES)
    if form is not None and not form.is_valid():
        return _case_file(request, case, bound={action: form}, status=400)
    try:
        actions.perform(case, action, actor=request.user, **(row.form_params(form) if form else {}))
    except (PermissionDenied, ValidationError) as exc:
        if (
            form is not None
            and hasattr(exc, "error_dict")
            and set(exc.error_dict) & set(form.fields)
        ):
            add_service_errors(form, exc)
            return _case_file(request, _read(request, number), bound={action: form}, status=400)
        messages.error(request, _refusal_text(exc))
        return redirect(back)
    messages.success(request, row.done)
    if request.POST.get("next") == "receipt":
        return redirect(
            "services-staff:counter-receipt", municipality_slug=municipality_slug, number=number
        )
    return redirect(back)


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this.")


@staff_required("cases.read")
def case_attachment(request, municipality_slug: str, number: str, pk: int):
    case = _read(request, number)
    attachment = web_selectors.attachment_of(case, pk)
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )


@staff_required("cases.read")
def case_document(request, municipality_slug: str, number: str):
    """The sealed PDF a case produced."""
    return document_response(web_selectors.issued_document(_read(request, number)))
