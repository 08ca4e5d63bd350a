"""Staff pages: the triage queue, a report's page driven by actions.available_actions, a group
(cluster) with its funding decisions and a fix for all, the counter (a clerk files for a walk-in
or a caller) and the Open311 keys. Every page needs a role here and a passed second factor."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sportel.accounts import permissions
from sportel.accounts.decorators import staff_required
from sportel.core import audit
from sportel.core.selectors import units_of

from . import actions, selectors, services, workflow
from .forms import ActionForm, CounterForm, DetailsForm, FundingForm, PlaceForm, add_errors
from .models import Category, Cluster, Open311Key, Report
from .views import _answer_rows, _lang, _map


def _report(request, pk) -> Report:
    return get_object_or_404(
        Report.objects.select_related("category", "unit", "cluster", "assignee", "municipality"),
        municipality=request.municipality,
        pk=pk,
    )


def _assignees(municipality):
    from sportel.accounts.models import User

    roles = permissions.roles_with("reports.triage")
    return (
        User.objects.filter(staff_roles__municipality=municipality, staff_roles__role__in=roles)
        .distinct()
        .order_by("full_name")
    )


@staff_required("reports.read")
def queue(request, municipality_slug):
    municipality = request.municipality
    status = request.GET.get("status", "")
    if status not in workflow.STATES:
        status = ""
    reports = selectors.staff_queue(municipality, status=status)[:200]
    return render(
        request,
        "reports/staff/queue.html",
        {
            "municipality": municipality,
            "reports": reports,
            "status": status,
            "states": workflow.STATE_LABELS.items(),
        },
    )


def _page(request, report, forms=None, status=200):
    audit.record(
        "report.read",
        actor=request.user,
        municipality=report.municipality,
        obj=report,
        role=permissions.require(request.user, report.municipality, "reports.read"),
    )
    available = actions.available_actions(report, request.user)
    forms = forms or {}
    action_forms = [
        (
            action,
            forms.get(action.name)
            or ActionForm(
                action=action,
                assignees=_assignees(report.municipality) if action.name == "assign" else (),
            ),
        )
        for action in available
    ]
    return render(
        request,
        "reports/staff/report.html",
        {
            "municipality": report.municipality,
            "report": report,
            "status": workflow.state_label(report.status),
            "events": report.events.order_by("at", "pk"),
            "photos": report.photos.order_by("pk"),
            "answers": _answer_rows(report),
            "action_forms": action_forms,
        },
        status=status,
    )


@staff_required("reports.read")
def report_page(request, municipality_slug, pk):
    return _page(request, _report(request, pk))


@require_POST
@staff_required("reports.read")
def report_action(request, municipality_slug, pk, action):
    report = _report(request, pk)
    chosen = actions.ACTIONS.get(action)
    if chosen is None:
        return _page(request, report, status=404)
    assignees = _assignees(report.municipality) if action == "assign" else ()
    form = ActionForm(request.POST, request.FILES, action=chosen, assignees=assignees)
    if form.is_valid():
        data = form.cleaned_data
        params = {}
        if "text" in form.fields:
            params["text"] = data.get("text", "")
        if action == "note":
            params["public"] = data.get("public", False)
        if "photo" in form.fields:
            params["photo"] = data.get("photo")
        if action == "schedule":
            params["date"] = data.get("date")
        if action == "mark_duplicate":
            params["original"] = Report.objects.filter(
                municipality=report.municipality, pk=data.get("original") or 0
            ).first()
        if action == "assign":
            params["assignee"] = assignees.filter(pk=data.get("assignee") or 0).first()
            params["team"] = data.get("team", "")
        try:
            actions.perform(report, action, actor=request.user, **params)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            add_errors(form, exc)
            if not hasattr(exc, "error_dict"):
                # Refused by the workflow table: the action's form is not on the page to say it.
                messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, str(chosen.done))
            return redirect("staff-reports:report", municipality_slug=municipality_slug, pk=pk)
    return _page(request, report, forms={action: form}, status=400)


def _cluster_context(request, cluster, **extra):
    reports = cluster.reports.select_related("category").order_by("pk")
    return {
        "municipality": request.municipality,
        "cluster": cluster,
        "reports": reports,
        "funding": cluster.funding.all(),
        "may_fund": permissions.has_permission(request.user, cluster.municipality, "reports.fund"),
        "may_fix": permissions.has_permission(request.user, cluster.municipality, "reports.triage"),
        "fund_form": extra.get("fund_form") or FundingForm(),
        "fix_form": extra.get("fix_form") or ActionForm(action=actions.ACTIONS["fix"]),
    }


@staff_required("reports.read")
def cluster_page(request, municipality_slug, pk):
    cluster = get_object_or_404(Cluster, municipality=request.municipality, pk=pk)
    return render(request, "reports/staff/cluster.html", _cluster_context(request, cluster))


@require_POST
@staff_required("reports.fund")
def fund(request, municipality_slug, pk):
    cluster = get_object_or_404(Cluster, municipality=request.municipality, pk=pk)
    form = FundingForm(request.POST)
    if form.is_valid():
        try:
            services.record_funding(cluster, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The funding decision is recorded."))
            return redirect("staff-reports:cluster", municipality_slug=municipality_slug, pk=pk)
    return render(
        request,
        "reports/staff/cluster.html",
        _cluster_context(request, cluster, fund_form=form),
        status=400,
    )


@require_POST
@staff_required("reports.triage")
def fix_cluster(request, municipality_slug, pk):
    cluster = get_object_or_404(Cluster, municipality=request.municipality, pk=pk)
    form = ActionForm(request.POST, request.FILES, action=actions.ACTIONS["fix"])
    if form.is_valid():
        try:
            count = services.fix_cluster(
                cluster,
                actor=request.user,
                text=form.cleaned_data.get("text", ""),
                photo=form.cleaned_data.get("photo"),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(n)d reports are marked as fixed; every reporter is told.") % {"n": count},
            )
            return redirect("staff-reports:cluster", municipality_slug=municipality_slug, pk=pk)
    return render(
        request,
        "reports/staff/cluster.html",
        _cluster_context(request, cluster, fix_form=form),
        status=400,
    )


@require_http_methods(["GET", "POST"])
@staff_required("reports.counter")
def counter(request, municipality_slug):
    """A clerk files a report for a walk-in or a caller: the person found by NID or typed."""
    from sportel.core.models import Person

    municipality = request.municipality
    categories = (
        Category.objects.filter(municipality=municipality, parent__isnull=False, is_active=True)
        .select_related("parent")
        .prefetch_related("attributes")
    )
    post = request.POST if request.method == "POST" else None
    form = CounterForm(post or request.GET or None, categories=categories)
    category = None
    if form.is_bound and form.is_valid():
        category = next((c for c in categories if c.code == form.cleaned_data["category"]), None)
    units = list(units_of(municipality))
    place_form = PlaceForm(post, units=units)
    details = (
        DetailsForm(post, request.FILES or None, category=category, language=_lang())
        if category
        else None
    )
    if post and category is not None:
        place_form.is_valid()
        details.is_valid()
        try:
            place = services.parse_place(municipality, **place_form.cleaned_data)
            answers = services.clean_attributes(
                category, details.answers() if details.is_valid() else {}
            )
            photos = (
                services.check_photos([details.cleaned_data.get("photo")])
                if details.is_valid()
                else []
            )
            nid = (form.cleaned_data.get("nid") or "").strip().upper()
            person = (
                Person.objects.filter(municipality=municipality, nid=nid).first() if nid else None
            )
            if nid and person is None:
                raise ValidationError(
                    {
                        "nid": _(
                            "No person with this personal number is registered here; type the name instead."
                        )
                    }
                )
            data = details.cleaned_data if details.is_valid() else {}
            if not details.is_valid():
                raise ValidationError({})
            filed = services.file_report(
                municipality,
                category=category,
                place=place,
                description=data.get("description", ""),
                answers=answers,
                channel=form.cleaned_data["channel"],
                person=person,
                first_name=data.get("first_name") or (person.first_name if person else ""),
                last_name=data.get("last_name") or (person.last_name if person else ""),
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                language=_lang(),
                photos=photos,
                filed_by=request.user,
            )
        except ValidationError as exc:
            for target in (place_form, details, form):
                fields = {
                    k: v
                    for k, v in getattr(exc, "error_dict", {}).items()
                    if k in target.fields
                    or (target is details and k.startswith("attribute["))
                    or (target is details and k == "media")
                }
                if fields:
                    add_errors(target, ValidationError(fields))
        else:
            messages.success(request, _("Report %(n)s is filed.") % {"n": filed.report.pk})
            return redirect(
                "staff-reports:report", municipality_slug=municipality_slug, pk=filed.report.pk
            )
    return render(
        request,
        "reports/staff/counter.html",
        {
            "municipality": municipality,
            "form": form,
            "category": category,
            "place_form": place_form,
            "details": details,
            **_map(municipality),
        },
        status=400
        if post and (place_form.errors or (details and details.errors) or form.errors)
        else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def keys(request, municipality_slug):
    municipality = request.municipality
    new_key = ""
    error = ""
    if request.method == "POST":
        try:
            new_key = services.add_api_key(
                municipality, request.POST.get("app_name", ""), actor=request.user
            )
        except ValidationError as exc:
            error = exc.message_dict.get("app_name", [""])[0]
    return render(
        request,
        "reports/staff/keys.html",
        {
            "municipality": municipality,
            "new_key": new_key,
            "error": error,
            "keys": Open311Key.objects.filter(municipality=municipality).order_by("-created_at"),
        },
        status=400 if error else 200,
    )
