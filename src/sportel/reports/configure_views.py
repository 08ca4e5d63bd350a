"""Administrators' pages that set reports up: categories (Open311 services) and their questions
(Open311 attributes), routing rules,
area weights for the priority list and the ban list. Every page needs ``reports.configure`` in
the path's municipality; the writes are configuration.py's (checked again there, audited)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sportel.accounts.decorators import staff_required
from sportel.core.selectors import units_of

from . import configuration
from .forms import AreaWeightForm, BanForm, CategoryForm, QuestionForm, RouteForm, add_errors
from .models import AreaWeight, BannedReporter, Category, CategoryAttribute, RoutingRule

NEW_VALUE_ROWS = 3  # empty rows for new answers of a list, on each visit


def _category(request, pk) -> Category:
    found = Category.objects.filter(municipality=request.municipality, pk=pk).first()
    if found is None:
        raise Http404(_("There is no such category."))
    return found


def _groups(municipality):
    return Category.objects.filter(municipality=municipality, parent__isnull=True)


@staff_required("reports.configure")
def overview(request, municipality_slug):
    """The categories, group by group, active and retired; links to the other settings."""
    municipality = request.municipality
    categories = list(
        Category.objects.filter(municipality=municipality)
        .select_related("parent")
        .order_by("order", "code")
    )
    groups = [c for c in categories if c.parent_id is None]
    rows = []
    for group in groups:
        rows.append(group)
        rows.extend(c for c in categories if c.parent_id == group.pk)
    return render(
        request,
        "reports/staff/configure.html",
        {"municipality": municipality, "rows": rows},
    )


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def category(request, municipality_slug, pk=None):
    """A new category, or one of the municipality's: names, team, deadline, severity, radius."""
    municipality = request.municipality
    found = _category(request, pk) if pk is not None else None
    initial = {
        "deadline_working_days": 10,
        "severity": "2",
        "duplicate_radius_m": 50,
        "cluster_window_days": 90,
        "order": 100,
    }
    if found is not None:
        initial = {
            name: getattr(found, name)
            for name in (
                "name_sq", "name_en", "description_sq", "description_en", "keywords", "team",
                "deadline_working_days", "duplicate_radius_m", "cluster_window_days", "order",
            )
        }  # fmt: skip
        initial["severity"] = str(found.severity)
        initial["parent"] = str(found.parent_id or "")
    post = request.POST if request.method == "POST" else None
    form = CategoryForm(
        post,
        initial=initial,
        groups=_groups(municipality).exclude(pk=getattr(found, "pk", None)),
        creating=found is None,
    )
    if post is not None and form.is_valid():
        try:
            saved = configuration.save_category(
                municipality, actor=request.user, data=form.cleaned_data, category=found
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.name()})
            return redirect("staff-reports:configure", municipality_slug=municipality_slug)
    questions = list(found.attributes.all()) if found is not None else []
    return render(
        request,
        "reports/staff/configure_category.html",
        {
            "municipality": municipality,
            "category": found,
            "form": form,
            "questions": [q for q in questions if q.is_active],
            "retired_questions": [q for q in questions if not q.is_active],
        },
        status=400 if form.errors else 200,
    )


def _question(category: Category, pk) -> CategoryAttribute:
    found = CategoryAttribute.objects.filter(category=category, pk=pk).first()
    if found is None:
        raise Http404(_("There is no such question."))
    return found


def _value_rows(post, question: CategoryAttribute | None) -> list[dict]:
    """The list's values as the page shows them and configuration.save_question reads them:
    the stored ones (key fixed; names, remove, restore) then empty rows for new ones. From a
    POST, what the administrator typed, so a refused save shows it again."""
    rows = []
    for value in question.values if question is not None else []:
        key = str(value["key"])
        row = {
            "key": key,
            "name_sq": value.get("name_sq", ""),
            "name_en": value.get("name_en", ""),
            "retired": bool(value.get("retired")),
            "remove": False,
            "restore": False,
        }
        if post is not None:
            row.update(
                name_sq=post.get(f"value-{key}-name_sq", row["name_sq"]),
                name_en=post.get(f"value-{key}-name_en", row["name_en"]),
                remove=bool(post.get(f"value-{key}-remove")),
                restore=bool(post.get(f"value-{key}-restore")),
            )
        rows.append(row)
    count = NEW_VALUE_ROWS if rows else NEW_VALUE_ROWS + 1
    if post is not None:
        wanted = str(post.get("new-count") or "")
        count = max(count, min(int(wanted), 20) if wanted.isdigit() and len(wanted) < 4 else 0)
    for n in range(1, count + 1):
        rows.append(
            {
                "new": True,
                "n": n,
                "key": (post.get(f"new-{n}-key", "") if post is not None else "")[:60],
                "name_sq": (post.get(f"new-{n}-name_sq", "") if post is not None else "")[:200],
                "name_en": (post.get(f"new-{n}-name_en", "") if post is not None else "")[:200],
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def question(request, municipality_slug, pk, qpk=None):
    """A new question of a category, or one of its questions: the texts in both languages,
    the type of answer, required, and for lists their answers (add, rename, retire)."""
    category = _category(request, pk)
    if category.parent_id is None:
        raise Http404(_("A group asks no questions; its categories do."))
    found = _question(category, qpk) if qpk is not None else None
    initial = {"variable": True}
    if found is not None:
        initial = {
            name: getattr(found, name)
            for name in (
                "description_sq", "description_en", "datatype_description_sq",
                "datatype_description_en", "datatype", "required", "variable",
            )
        }  # fmt: skip
    post = request.POST if request.method == "POST" else None
    form = QuestionForm(post, initial=initial, creating=found is None)
    rows = _value_rows(post, found)
    value_errors: list[str] = []
    if post is not None and form.is_valid():
        try:
            saved = configuration.save_question(
                category,
                actor=request.user,
                data={**form.cleaned_data, "values": rows},
                question=found,
            )
        except ValidationError as exc:
            value_errors = exc.message_dict.get("values", []) if hasattr(exc, "error_dict") else []
            add_errors(form, exc)
        else:
            messages.success(request, _("The question %(code)s is saved.") % {"code": saved.code})
            if saved.is_list and found is None:
                return redirect(
                    "staff-reports:configure-question",
                    municipality_slug=municipality_slug,
                    pk=category.pk,
                    qpk=saved.pk,
                )
            return redirect(
                "staff-reports:configure-category", municipality_slug=municipality_slug, pk=pk
            )
    answered = found is not None and configuration.question_answered(found)
    return render(
        request,
        "reports/staff/configure_question.html",
        {
            "municipality": request.municipality,
            "category": category,
            "question": found,
            "form": form,
            "value_rows": rows,
            "new_count": sum(1 for r in rows if r.get("new")),
            "value_errors": value_errors,
            "answered": answered,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@staff_required("reports.configure")
def question_move(request, municipality_slug, pk, qpk):
    """One place up (``direction`` = up) or down in the order residents are asked."""
    category = _category(request, pk)
    found = _question(category, qpk)
    try:
        configuration.move_question(
            found, actor=request.user, up=request.POST.get("direction") == "up"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order of the questions is saved."))
    return redirect("staff-reports:configure-category", municipality_slug=municipality_slug, pk=pk)


@require_POST
@staff_required("reports.configure")
def question_active(request, municipality_slug, pk, qpk):
    """Retire a question (deleted instead when no report answered it) or ask it again."""
    category = _category(request, pk)
    found = _question(category, qpk)
    try:
        outcome = configuration.set_question_active(
            found, actor=request.user, active=request.POST.get("active") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = {
            "retired": _(
                "The question %(code)s is retired: it is no longer asked; the answers reports "
                "gave stay on them."
            ),
            "deleted": _("The question %(code)s is removed: no report had answered it."),
            "restored": _("The question %(code)s is asked again, last."),
            "unchanged": _("The question %(code)s is unchanged."),
        }[outcome]
        messages.success(request, text % {"code": found.code})
    return redirect("staff-reports:configure-category", municipality_slug=municipality_slug, pk=pk)


@require_POST
@staff_required("reports.configure")
def category_active(request, municipality_slug, pk):
    """Retire a category, or bring it back (``active`` = 1)."""
    found = _category(request, pk)
    active = request.POST.get("active") == "1"
    configuration.set_category_active(found, actor=request.user, active=active)
    messages.success(
        request,
        (_("%(name)s is back in use.") if active else _("%(name)s is retired."))
        % {"name": found.name()},
    )
    return redirect("staff-reports:configure", municipality_slug=municipality_slug)


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def routing(request, municipality_slug):
    """Which team gets a category's reports, in one administrative unit or anywhere."""
    municipality = request.municipality
    categories = Category.objects.filter(
        municipality=municipality, parent__isnull=False
    ).select_related("parent")
    units = list(units_of(municipality))
    post = request.POST if request.method == "POST" else None
    form = RouteForm(post, categories=categories, units=units)
    if post is not None and form.is_valid():
        try:
            configuration.add_route(municipality, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The routing rule is saved."))
            return redirect("staff-reports:configure-routing", municipality_slug=municipality_slug)
    rules = (
        RoutingRule.objects.filter(municipality=municipality)
        .select_related("category", "unit")
        .order_by("category__order", "category__code", "unit__name")
    )
    return render(
        request,
        "reports/staff/configure_routing.html",
        {"municipality": municipality, "form": form, "rules": rules},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_required("reports.configure")
def routing_remove(request, municipality_slug, pk):
    rule = RoutingRule.objects.filter(municipality=request.municipality, pk=pk).first()
    if rule is None:
        raise Http404
    configuration.remove_route(rule, actor=request.user)
    messages.success(request, _("The routing rule is removed."))
    return redirect("staff-reports:configure-routing", municipality_slug=municipality_slug)


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def weights(request, municipality_slug):
    """The priority list's weight for vulnerable areas, with the public reason."""
    municipality = request.municipality
    units = list(units_of(municipality))
    post = request.POST if request.method == "POST" else None
    form = AreaWeightForm(post, units=units)
    if post is not None and form.is_valid():
        try:
            configuration.set_area_weight(municipality, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The area weight is saved."))
            return redirect("staff-reports:configure-weights", municipality_slug=municipality_slug)
    rows = AreaWeight.objects.filter(municipality=municipality).select_related("unit")
    return render(
        request,
        "reports/staff/configure_weights.html",
        {"municipality": municipality, "form": form, "rows": rows.order_by("unit__name")},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_required("reports.configure")
def weight_remove(request, municipality_slug, pk):
    row = AreaWeight.objects.filter(municipality=request.municipality, pk=pk).first()
    if row is None:
        raise Http404
    configuration.remove_area_weight(row, actor=request.user)
    messages.success(request, _("The area weighs 1 again."))
    return redirect("staff-reports:configure-weights", municipality_slug=municipality_slug)


@require_http_methods(["GET", "POST"])
@staff_required("reports.configure")
def bans(request, municipality_slug):
    """Ban a sender (with a reason, until a date or until lifted); lift a ban."""
    municipality = request.municipality
    post = request.POST if request.method == "POST" else None
    form = BanForm(post)
    if post is not None and form.is_valid():
        try:
            configuration.ban(municipality, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The sender is banned."))
            return redirect("staff-reports:configure-bans", municipality_slug=municipality_slug)
    active = configuration.active_bans(municipality.pk).select_related("banned_by")
    ended = (
        BannedReporter.objects.filter(municipality=municipality)
        .exclude(pk__in=active.values("pk"))
        .select_related("lifted_by")
        .order_by("-at")[:50]
    )
    return render(
        request,
        "reports/staff/configure_bans.html",
        {
            "municipality": municipality,
            "form": form,
            "active": active.order_by("-at"),
            "ended": ended,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@staff_required("reports.configure")
def ban_lift(request, municipality_slug, pk):
    row = BannedReporter.objects.filter(municipality=request.municipality, pk=pk).first()
    if row is None:
        raise Http404
    configuration.lift_ban(row, actor=request.user)
    messages.success(request, _("The ban is lifted."))
    return redirect("staff-reports:configure-bans", municipality_slug=municipality_slug)
