"""The citizen's pages: catalogue by life event, service page, apply (details → attachments →
review → submit, with drafts), receipt, my applications, case page, tracking, moving home.

Online and kiosk are the same views: the kiosk URLs pass ``channel="kiosk"``, which files the
case through the kiosk channel and switches the layout to large touch targets. Views are thin:
they parse, call ``services`` / ``selectors``, and render.
"""

import datetime as dt
import uuid

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportel.accounts import kin
from sportel.accounts.decorators import login_required_here
from sportel.core.calendar import local_today
from sportel.core.selectors import units_of
from sportel.web import jsonforms

from . import actions, deadlines, selectors, services, web_selectors, workflow
from .audit_words import ACCESS_LABELS
from .forms import (
    AnswerForm,
    AttachmentForm,
    BusinessForm,
    MovingHomeForm,
    SearchForm,
    UnitForm,
    WithdrawForm,
    add_service_errors,
)
from .identity import identity_proven, needs_proven_identity
from .models import ApplicantKind, Application, Channel

STEPS = ("details", "attachments", "review")


def language() -> str:
    return (get_language() or "sq")[:2]


def _ns(channel: str) -> str:
    return "kiosk" if channel == Channel.KIOSK else "services"


def _url(channel: str, name: str, slug: str, **kwargs) -> str:
    return reverse(f"{_ns(channel)}:{name}", kwargs={"municipality_slug": slug, **kwargs})


def _context(request, channel: str, **extra) -> dict:
    return {"channel": channel, "ns": _ns(channel), "kiosk": channel == Channel.KIOSK, **extra}


def schema_form_class(version):
    return jsonforms.form_class_for(version.form_schema, language=language())


def form_data(data: dict) -> dict:
    """Stored answers as a browser would post them (to bind a form to a draft)."""
    out = {}
    for name, value in (data or {}).items():
        if isinstance(value, bool):
            out[name] = "on" if value else ""
        elif value is None:
            out[name] = ""
        else:
            out[name] = str(value)
    return out


def answers_of(form) -> dict:
    """A valid schema form's answers as stored JSON, with the check-letter overrides kept."""
    data = jsonforms.to_json(form)
    for name, value in form.cleaned_data.items():
        if name.endswith(jsonforms.CONFIRM_SUFFIX) and value:
            data[name] = True
    return data


def partial_answers(form) -> dict:
    """What a draft keeps from a form with errors: valid fields cleaned, the rest as typed."""
    data = {}
    for name in form.fields:
        if name in form.errors or name not in form.cleaned_data:
            raw = form.data.get(name, "")
            if raw not in ("", None):
                data[name] = raw
            continue
        value = form.cleaned_data[name]
        if value in ("", None):
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif not isinstance(value, bool | int | str):
            value = str(value)
        data[name] = value
    return data


def upload_error(exc: ValidationError, field: str) -> ValidationError:
    """The services module names upload problems ``attachments``; show them at ``field``."""
    if hasattr(exc, "error_dict") and "attachments" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors[field] = errors.pop("attachments")
        return ValidationError(errors)
    return exc


def answer_summary(version, data: dict) -> list[dict]:
    """(label, shown value) of each answer, in the form's order and labels."""
    form = schema_form_class(version)()
    rows = []
    for name, field in form.fields.items():
        if name.endswith(jsonforms.CONFIRM_SUFFIX):
            continue
        value = (data or {}).get(name)
        if value in (None, ""):
            shown = "—"
        elif isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        elif isinstance(field, django_forms.DateField):
            shown = _local_date(value)
        else:
            choices = dict(getattr(field, "choices", []) or [])
            shown = str(choices.get(value, choices.get(str(value), value)))
        rows.append({"name": name, "label": field.label, "value": shown})
    return rows


def _local_date(value) -> str:
    """A stored ISO date as the reader's locale writes it ("25 nëntor 2026"), or as stored."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_format(day, "DATE_FORMAT")


def expected_dates(version) -> tuple:
    """(planned end, legal end) if the application were submitted today."""
    return deadlines.initial_ends(version, local_today())


# --- catalogue ----------------------------------------------------------------------------------


def catalogue(request, municipality_slug: str, channel: str = Channel.ONLINE):
    """Services by life event, and a search (``?q=``) that works without JavaScript."""
    municipality = request.municipality
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    offered = {s.pk for s in web_selectors.services_for_channel(municipality, channel)}
    events = []
    for event in selectors.life_events_with_services(municipality):
        shown = [s for s in event.services if s.pk in offered]
        if shown:
            events.append({"event": event, "services": shown})
    results = None
    if query:
        found = [s for s in selectors.search_services(municipality, query) if s.pk in offered]
        results = selectors.names_first(found, query)
    return render(
        request,
        "services/catalogue.html",
        _context(request, channel, events=events, form=form, query=query, results=results),
    )


def service_detail(request, municipality_slug: str, code: str, channel: str = Channel.ONLINE):
    """What you need, the fee before you start, the deadline, channels and documents."""
    service = selectors.service_by_code(request.municipality, code)
    if service is None:
        raise Http404(_("There is no such service here."))
    version = service.current_version
    planned, legal = expected_dates(version)
    drafts = []
    if request.user.is_authenticated:
        drafts = [
            d
            for d in selectors.drafts_of(request.user, request.municipality)
            if d.service_version.service_type_id == service.pk
        ]
    return render(
        request,
        "services/service.html",
        _context(
            request,
            channel,
            service=service,
            version=version,
            planned_end=planned,
            legal_end=legal,
            available=channel in version.channels,
            problem=web_selectors.assurance_problem(request.user, version),
            drafts=drafts,
            channel_labels=[Channel(c).label for c in version.channels if c in Channel.values],
        ),
    )


# --- apply: details → attachments → review → submit ----------------------------------------------


def _draft_or_404(request, pk: int) -> Application:
    draft = selectors.draft_of(request.user, request.municipality, pk)
    if draft is None:
        submitted = web_selectors.application_of(request.user, request.municipality, pk)
        if submitted is not None and hasattr(submitted, "case"):
            raise _AlreadySubmitted(submitted.case.number)
        raise Http404(_("There is no such draft."))
    return draft


class _AlreadySubmitted(Exception):
    def __init__(self, number: str):
        self.number = number


def _step_context(request, channel, draft, step: str, **extra):
    version = draft.service_version
    return _context(
        request,
        channel,
        draft=draft,
        version=version,
        service=version.service_type,
        step=step,
        step_number=STEPS.index(step) + 1,
        step_count=len(STEPS),
        **extra,
    )


def _details(request, channel, *, version, draft=None):
    """Step 1, for a new application (``draft`` None) or a saved draft."""
    slug = request.municipality.slug
    units = units_of(request.municipality)
    Form = schema_form_class(version)
    if request.method == "POST":
        form = Form(request.POST)
        unit_form = UnitForm(request.POST, units=units)
        valid = form.is_valid()
        unit_form.is_valid()
        saving = "save" in request.POST
        if valid or saving:
            data = answers_of(form) if valid else partial_answers(form)
            try:
                draft = services.save_draft(
                    request.municipality,
                    service=version.service_type,
                    actor=request.user,
                    data=data,
                    draft=draft,
                    channel=channel,
                    language=language(),
                    unit=unit_form.unit_obj(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if saving:
                    messages.success(
                        request,
                        _("Your draft is saved. You can come back to it from My applications."),
                    )
                    return redirect(_url(channel, "draft-details", slug, pk=draft.pk))
                return redirect(_url(channel, "draft-attachments", slug, pk=draft.pk))
    elif draft is not None and request.GET.get("check"):
        form = Form(form_data(draft.data))
        form.is_valid()
        unit_form = UnitForm(initial={"unit": draft.unit.slug if draft.unit else ""}, units=units)
    else:
        initial = draft.data if draft is not None else {}
        form = Form(initial=initial)
        unit = draft.unit.slug if draft is not None and draft.unit else ""
        unit_form = UnitForm(initial={"unit": unit}, units=units)
    context = _context(
        request,
        channel,
        version=version,
        service=version.service_type,
        draft=draft,
        form=form,
        unit_form=unit_form,
        step="details",
        step_number=1,
        step_count=len(STEPS),
    )
    return render(request, "services/apply_details.html", context)


@login_required_here
def apply(request, municipality_slug: str, code: str, channel: str = Channel.ONLINE):
    service = selectors.service_by_code(request.municipality, code)
    if service is None:
        raise Http404(_("There is no such service here."))
    version = service.current_version
    if version.apply_elsewhere_url or channel not in version.channels:
        # A service filed only elsewhere (building permits: e-Albania) says so on its page.
        messages.error(request, _("This service cannot be requested through this channel."))
        return redirect(_url(channel, "service", municipality_slug, code=code))
    problem = web_selectors.assurance_problem(request.user, version)
    if problem:
        messages.error(request, problem)
        return redirect(_url(channel, "service", municipality_slug, code=code))
    return _details(request, channel, version=version)


def _draft_view(view):
    def wrapped(request, municipality_slug: str, pk: int, channel: str = Channel.ONLINE):
        try:
            draft = _draft_or_404(request, pk)
        except _AlreadySubmitted as done:
            return redirect(_url(channel, "receipt", municipality_slug, number=done.number))
        return view(request, channel, draft)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required_here(wrapped)


@_draft_view
def draft_details(request, channel, draft):
    """Step 1 of a saved draft: change the answers, save again or continue."""
    return _details(request, channel, version=draft.service_version, draft=draft)


@_draft_view
def draft_attachments(request, channel, draft):
    """Step 2: the required documents, uploaded one at a time (checked, re-encoded)."""
    form = AttachmentForm()
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = services.add_attachment(
                    draft, actor=request.user, upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                add_service_errors(form, upload_error(exc, "file"))
            else:
                messages.success(
                    request, _("%(name)s is attached.") % {"name": attachment.original_name}
                )
                return redirect(
                    _url(channel, "draft-attachments", request.municipality.slug, pk=draft.pk)
                )
    return render(
        request,
        "services/apply_attachments.html",
        _step_context(
            request,
            channel,
            draft,
            "attachments",
            form=form,
            attachments=list(draft.attachments.order_by("uploaded_at")),
            documents=draft.service_version.documents(language()),
        ),
    )


@_draft_view
def draft_review(request, channel, draft):
    """Step 3: everything on one page, the fee and the expected date; submit opens the case."""
    version = draft.service_version
    slug = request.municipality.slug
    errors = jsonforms.validate(version.form_schema, draft.data or {}, language=language())
    if errors:
        messages.error(request, _("Some answers need correcting before you submit."))
        return redirect(_url(channel, "draft-details", slug, pk=draft.pk) + "?check=1")
    kind = version.applicant_kind
    business_form = BusinessForm(
        request.POST if request.method == "POST" else None,
        required=kind == ApplicantKind.BUSINESS,
        prefix="business",
    )
    children = kin.children_of(request.user, request.municipality)
    on_behalf = request.POST.get("on_behalf_of", "") if request.method == "POST" else ""
    if kind != ApplicantKind.PERSON or on_behalf not in {child.nid for child in children}:
        on_behalf = ""
    if request.method == "POST" and business_form.is_valid():
        try:
            case = services.submit_application(
                request.municipality,
                service=version.service_type,
                data={},
                actor=request.user,
                channel=channel,
                draft=draft,
                idempotency_key=f"draft-{draft.pk}",
                business=business_form.business(),
                unit=draft.unit,
                language=language(),
                override_check=business_form.cleaned_data.get("nipt_confirm", False),
                on_behalf_of=on_behalf,
            )
        except ValidationError as exc:
            add_service_errors(business_form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect(_url(channel, "service", slug, code=version.service_type.code))
        else:
            return redirect(_url(channel, "receipt", slug, number=case.number))
    planned, legal = expected_dates(version)
    return render(
        request,
        "services/apply_review.html",
        _step_context(
            request,
            channel,
            draft,
            "review",
            summary=answer_summary(version, draft.data),
            attachments=list(draft.attachments.order_by("uploaded_at")),
            business_form=business_form if kind != ApplicantKind.PERSON else None,
            children=children if kind == ApplicantKind.PERSON else [],
            on_behalf=on_behalf,
            planned_end=planned,
            legal_end=legal,
        ),
    )


# --- after submission -------------------------------------------------------------------------


def identity_waiting(case) -> bool:
    """Does this open case wait because the applicant's identity is not proven (decision 0010)?"""
    return (
        case.status not in workflow.FINAL_STATES
        and not case.document_code
        and needs_proven_identity(case)
        and not identity_proven(case)
    )


def _own_case(request, number: str):
    case = selectors.case_of(request.user, request.municipality, number)
    if case is None:
        raise Http404(_("There is no such application."))
    return case


@login_required_here
def receipt(request, municipality_slug: str, number: str, channel: str = Channel.ONLINE):
    """The receipt: case number, tracking code, fee due, expected date. Printable."""
    case = _own_case(request, number)
    return render(
        request,
        "services/receipt.html",
        _context(
            request,
            channel,
            case=case,
            ends=deadlines.effective_ends(case),
            document=web_selectors.issued_document(case),
            refusal=web_selectors.automatic_refusal(case),
            identity_waiting=identity_waiting(case),
        ),
    )


@login_required
def my_applications(request, municipality_slug: str):
    """The user's cases (status, expected date, deadline), drafts and life-event bundles."""
    cases = list(selectors.cases_of(request.user, request.municipality)[:200])
    rows = [
        {
            "case": case,
            "status": case.status_text(language()),
            "ends": deadlines.effective_ends(case),
            "open": case.is_open,
        }
        for case in cases
    ]
    return render(
        request,
        "services/mine.html",
        _context(
            request,
            Channel.ONLINE,
            rows=rows,
            drafts=selectors.drafts_of(request.user, request.municipality),
            bundles=selectors.bundles_of(request.user, request.municipality),
        ),
    )


def label_events(case, events, *, staff: bool = False) -> list:
    """Each event's new status in the words its reader sees (applicant's or the workflow's)."""
    for event in events:
        if event.to_status:
            event.to_status_text = (
                workflow.state_label(event.to_status)
                if staff
                else case.service_version.status_text(event.to_status, language())
            )
    return events


def access_rows(case) -> list[dict]:
    """'Who accessed my case' in words: when, who, in which role, what they did."""
    from sportel.accounts.roles import Role

    rows = []
    for entry in selectors.case_accesses(case).select_related("actor")[:100]:
        role = entry.actor_role
        rows.append(
            {
                "at": entry.at,
                # A login is an email address, not a name: never shown in its place.
                "who": (entry.actor.full_name if entry.actor else "") or _("A member of staff"),
                "role": Role(role).label if role in Role.values else (role or "—"),
                "what": ACCESS_LABELS.get(entry.action, entry.action),
            }
        )
    return rows


def _case_page(request, case, *, answer_form=None, withdraw_form=None, status=200):
    events = label_events(case, list(selectors.timeline(case, public_only=True)))
    return render(
        request,
        "services/case.html",
        _context(
            request,
            Channel.ONLINE,
            case=case,
            steps=selectors.status_steps(case, language()),
            events=events,
            ends=deadlines.effective_ends(case),
            deadline_state=case.deadline_state(),
            request_event=(
                web_selectors.last_information_request(case)
                if case.status == workflow.AWAITING_APPLICANT
                else None
            ),
            answer_form=answer_form or AnswerForm(),
            withdraw_form=withdraw_form or WithdrawForm(),
            # The one selector the staff page and the API use (services/actions.py).
            can_withdraw=actions.refusal(case, request.user, "withdraw") is None,
            accesses=access_rows(case),
            document=web_selectors.issued_document(case),
            summary=answer_summary(case.service_version, case.application.data),
            identity_waiting=identity_waiting(case),
        ),
        status=status,
    )


@login_required
def case_detail(request, municipality_slug: str, number: str):
    """The applicant's case: timeline, public notes, answer a request, who accessed it."""
    return _case_page(request, _own_case(request, number))


@login_required
@require_POST
def case_answer(request, municipality_slug: str, number: str):
    case = _own_case(request, number)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            services.answer_info(
                case,
                actor=request.user,
                message=form.cleaned_data["message"],
                uploads=[upload] if upload else [],
            )
        except ValidationError as exc:
            add_service_errors(form, upload_error(exc, "file"))
        else:
            messages.success(request, _("Your answer was sent. The deadline runs again."))
            return redirect("services:case", municipality_slug=municipality_slug, number=number)
    return _case_page(request, case, answer_form=form)


@login_required
@require_POST
def case_withdraw(request, municipality_slug: str, number: str):
    case = _own_case(request, number)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.withdraw(case, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("services:case", municipality_slug=municipality_slug, number=number)


@login_required
def case_document(request, municipality_slug: str, number: str):
    """The sealed PDF of the applicant's own case."""
    return document_response(web_selectors.issued_document(_own_case(request, number)))


def document_response(document):
    if document is None or not document.pdf:
        raise Http404(_("This case has no document yet."))
    return FileResponse(
        document.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{document.code}.pdf",
    )


@require_POST
def kiosk_finish(request, municipality_slug: str):
    """A kiosk is a shared screen: finishing logs the applicant out for the next person."""
    from django.contrib.auth import logout

    logout(request)
    return redirect("kiosk:catalogue", municipality_slug=municipality_slug)


# --- tracking without logging in ---------------------------------------------------------------


def track(request, municipality_slug: str):
    """Status and dates for a tracking code; nothing that identifies the applicant."""
    code = (request.GET.get("code") or "").strip()[:40]
    case = web_selectors.case_on_tracking_page(request.municipality, code) if code else None
    context = {"code": code, "case": case, "not_found": bool(code) and case is None}
    if case is not None:
        context.update(
            service_name=case.service_version.name(language()),
            status=case.status_text(language()),
            steps=selectors.status_steps(case, language()),
            ends=deadlines.effective_ends(case),
            deadline_state=case.deadline_state(),
        )
    return render(
        request, "services/track.html", context, status=404 if context["not_found"] else 200
    )


def track_code(request, code: str):
    """``/track/<code>`` (the link in notifications): the municipality's tracking page."""
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404(_("There is no case with this tracking code."))
    url = reverse("tracking:track", kwargs={"municipality_slug": case.municipality.slug})
    return redirect(f"{url}?code={case.tracking_code}")


# --- the moving-home bundle --------------------------------------------------------------------


@login_required
def moving_home(request, municipality_slug: str):
    """Asks once, one consent, opens every case moving home implies."""
    municipality = request.municipality
    units = units_of(municipality)
    consent_text = services.moving_home_consent_text(language())
    form = MovingHomeForm(request.POST or None, units=units, consent_text=consent_text)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bundle = services.open_moving_home_bundle(
                municipality,
                actor=request.user,
                new_address=data["new_address"],
                previous_address=data.get("previous_address", ""),
                unit=form.units.get(data.get("unit") or ""),
                moving_date=data["moving_date"].isoformat() if data.get("moving_date") else "",
                household_members=data["household_members"],
                has_car=data.get("has_car", False),
                vehicle_plate=data.get("vehicle_plate", ""),
                consent=data.get("consent", False),
                language=language(),
                idempotency_key=request.POST.get("idempotency_key", "")[:100],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("services:bundle", municipality_slug=municipality_slug, pk=bundle.pk)
    return render(
        request,
        "services/moving_home.html",
        _context(
            request,
            Channel.ONLINE,
            form=form,
            idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4().hex,
            problem=_moving_home_problem(request),
        ),
    )


def _moving_home_problem(request) -> str | None:
    service = selectors.service_by_code(request.municipality, "resident-registration")
    return (
        web_selectors.assurance_problem(request.user, service.current_version) if service else None
    )


@login_required
def bundle_detail(request, municipality_slug: str, pk: int):
    """One overview of every case the bundle opened."""
    bundle = web_selectors.bundle_of(request.user, request.municipality, pk)
    if bundle is None:
        raise Http404(_("There is no such request."))
    cases = selectors.bundle_overview(bundle)
    rows = [
        {"case": c, "status": c.status_text(language()), "ends": deadlines.effective_ends(c)}
        for c in cases
    ]
    return render(
        request, "services/bundle.html", _context(request, Channel.ONLINE, bundle=bundle, rows=rows)
    )
