"""Public pages: report a problem (place, nearby reports and "me too", details), confirm an
anonymous report, follow a report (the reporter confirms a fix or reopens it), the priority list
and its full-screen mode. Thin: they parse, call services or selectors, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sportel.core.calendar import TIRANE
from sportel.core.selectors import units_of

from . import geo, selectors, services, workflow
from .forms import ConfirmForm, DetailsForm, PlaceForm, ReopenForm, VoiceForm, add_errors
from .models import Category, CategoryAttribute, Cluster, Report


def _lang() -> str:
    return (get_language() or "sq")[:2]


def _account(request):
    return request.user if request.user.is_authenticated else None


def _map(municipality, **extra) -> dict:
    from django.conf import settings

    lat, long = geo.centre(municipality.slug)
    return {
        "map_lat": extra.get("lat") or lat,
        "map_long": extra.get("long") or long,
        "map_tiles": settings.SPORTEL_MAP_TILE_URL,
        "map_attribution": settings.SPORTEL_MAP_ATTRIBUTION,
    }


def _subscribe_form(municipality, data=None):
    from .forms import SubscribeForm

    return SubscribeForm(data, units=list(units_of(municipality)))


def report_start(request, municipality_slug, subscribe_form=None):
    """Choose what kind of problem it is (and, below, ask for alerts about an area)."""
    municipality = request.municipality
    groups = (
        Category.objects.filter(municipality=municipality, parent__isnull=True, is_active=True)
        .prefetch_related("children")
        .order_by("order")
    )
    return render(
        request,
        "reports/start.html",
        {
            "municipality": municipality,
            "groups": groups,
            "subscribe_form": subscribe_form or _subscribe_form(municipality),
        },
        status=400 if subscribe_form is not None else 200,
    )


@require_POST
def subscribe(request, municipality_slug):
    """Alerts for new reports in an area: the confirmation link is emailed first."""
    municipality = request.municipality
    form = _subscribe_form(municipality, request.POST)
    if form.is_valid():
        unit = next(
            (u for u in units_of(municipality) if u.slug == form.cleaned_data.get("unit")), None
        )
        try:
            services.subscribe(
                municipality, email=form.cleaned_data["email"], unit=unit, language=_lang()
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("We sent you an email: open its link to start the alerts."))
            return redirect("reports:new", municipality_slug=municipality_slug)
    return report_start(request, municipality_slug, subscribe_form=form)


@require_http_methods(["GET", "POST"])
def subscription(request, municipality_slug):
    """The link in the alert emails: confirm the alerts, or stop them (a button, not the GET)."""
    from .models import AreaSubscription

    municipality = request.municipality
    source = request.POST if request.method == "POST" else request.GET
    secret, action = source.get("s", ""), source.get("do", "")
    row = AreaSubscription.objects.filter(municipality=municipality, secret=secret or "-").first()
    if row is None or action not in ("confirm", "stop"):
        raise Http404
    done = False
    if request.method == "POST":
        services.change_subscription(municipality, secret, action)
        done = True
    return render(
        request,
        "reports/subscription.html",
        {
            "municipality": municipality,
            "secret": secret,
            "action": action,
            "done": done,
            "area": row.unit.name if row.unit else municipality.name,
        },
    )


def _category(municipality, code) -> Category:
    return get_object_or_404(
        Category.objects.prefetch_related("attributes").select_related("parent"),
        municipality=municipality,
        code=code,
        parent__isnull=False,
        is_active=True,
    )


@require_http_methods(["GET", "POST"])
def report_form(request, municipality_slug, code):
    """Step 1 (GET): where. Step 2 (GET with step=place): nearby open reports of the same
    category, each with "me too", and the details. POST: file it."""
    municipality = request.municipality
    category = _category(municipality, code)
    units = list(units_of(municipality))
    source = request.POST if request.method == "POST" else request.GET
    submitted = request.method == "POST" or source.get("step") == "place"
    place_form = PlaceForm(source if submitted else None, units=units)
    account = _account(request)
    context = {
        "municipality": municipality,
        "category": category,
        "place_form": place_form,
        **_map(municipality),
    }
    if not submitted:
        return render(request, "reports/place.html", context)
    place = None
    if place_form.is_valid():
        try:
            place = services.parse_place(municipality, **place_form.cleaned_data)
        except ValidationError as exc:
            add_errors(place_form, exc)
    if place is None:
        return render(
            request, "reports/place.html", context, status=400 if request.method == "POST" else 200
        )
    details = DetailsForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        category=category,
        language=_lang(),
        contact=account is None,
    )
    nearby = services.nearby_clusters(category, place.lat, place.long)
    context.update(
        details=details,
        place=place,
        nearby=[c for c, _d in nearby],
        nearby_distances={c.pk: round(d) for c, d in nearby},
        voice_form=VoiceForm(),
        **_map(municipality, lat=place.lat, long=place.long),
    )
    if request.method == "GET":
        return render(request, "reports/details.html", context)
    if details.is_valid():
        try:
            answers = services.clean_attributes(category, details.answers())
            photos = services.check_photos([details.cleaned_data.get("photo")])
            data = details.cleaned_data
            filed = services.file_report(
                municipality,
                category=category,
                place=place,
                description=data.get("description", ""),
                answers=answers,
                channel=Report.Channel.WEB,
                account=account,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email") or (account.email if account else ""),
                phone=data.get("phone", ""),
                language=_lang(),
                photos=photos,
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
        except ValidationError as exc:
            add_errors(details, exc)
        except PermissionDenied as exc:
            details.add_error(None, str(exc))
        else:
            report = filed.report
            if report.status == workflow.UNCONFIRMED:
                request.session[f"report-{report.pk}"] = report.reporter_secret
                return redirect(
                    "reports:confirm", municipality_slug=municipality.slug, pk=report.pk
                )
            messages.success(
                request, _("Thank you: your report is number %(n)s.") % {"n": report.pk}
            )
            return redirect(_reporter_url(report))
    return render(request, "reports/details.html", context, status=400)


def _reporter_url(report) -> str:
    url = reverse(
        "reports:reporter", kwargs={"municipality_slug": report.municipality.slug, "pk": report.pk}
    )
    return f"{url}?s={report.reporter_secret}"


@require_http_methods(["GET", "POST"])
def confirm(request, municipality_slug, pk):
    """The anonymous reporter types the code we sent (the session proves it is them asking)."""
    report = get_object_or_404(Report, municipality=request.municipality, pk=pk)
    if request.session.get(f"report-{pk}") != report.reporter_secret:
        raise Http404
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_report(report, form.cleaned_data["code"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your report is confirmed and public."))
            return redirect(_reporter_url(report))
    return render(
        request,
        "reports/confirm.html",
        {
            "municipality": request.municipality,
            "report": report,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def _public_report(request, pk) -> Report:
    return get_object_or_404(
        Report.objects.select_related("category", "unit", "cluster"),
        municipality=request.municipality,
        pk=pk,
        status__in=workflow.PUBLIC_STATES,
    )


def _detail_context(request, report):
    events = report.events.filter(public=True).order_by("at", "pk")
    return {
        "municipality": request.municipality,
        "report": report,
        "status": workflow.state_label(report.status),
        "events": [
            {
                "at": e.at,
                "text": e.text,
                "status": workflow.state_label(e.to_status) if e.to_status else "",
            }
            for e in events
        ],
        "photos": list(report.photos.order_by("pk")),
        "answers": _answer_rows(report),
        "points": (
            [{"lat": float(report.lat), "lon": float(report.long), "title": report.category.name()}]
            if report.lat is not None
            else []
        ),
        **_map(request.municipality, lat=report.lat, long=report.long),
    }


def _answer_rows(report):
    rows = []
    for attribute in report.category.attributes.all():
        value = report.attributes.get(attribute.code)
        if value in (None, "", []):
            continue
        names = dict(attribute.value_names(retired=True))
        if isinstance(value, list):
            value = ", ".join(names.get(v, v) for v in value)
        elif attribute.datatype == CategoryAttribute.Datatype.DATETIME:
            value = local_datetime(value)
        else:
            value = names.get(value, value)
        rows.append((attribute.description(), value))
    return rows


def local_datetime(value: str) -> str:
    """A datetime answer (stored as ISO 8601 with its offset) as the reader's language writes
    it, in the municipality's time (Europe/Tirane); an unreadable one as it was stored."""
    parsed = parse_datetime(str(value))
    if parsed is None:
        return str(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, TIRANE)
    return date_format(parsed.astimezone(TIRANE), "DATETIME_FORMAT")


def report_detail(request, municipality_slug, pk):
    report = _public_report(request, pk)
    return render(request, "reports/detail.html", _detail_context(request, report))


@require_http_methods(["GET", "POST"])
def reporter_page(request, municipality_slug, pk):
    """The reporter's own view (by the secret link we sent, or their account): confirm the
    fix, or reopen it with a reason."""
    report = _public_report(request, pk)
    secret = request.GET.get("s") or request.POST.get("s") or ""
    account = _account(request)
    if not services._reporter_may(report, secret, account):
        raise Http404
    form = ReopenForm(request.POST if request.POST.get("do") == "reopen" else None)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "confirm_fix":
                services.reporter_confirms_fix(report, secret=secret, account=account)
                messages.success(request, _("Thank you for confirming the fix."))
            elif request.POST.get("do") == "reopen" and form.is_valid():
                services.reporter_reopens(
                    report, text=form.cleaned_data["text"], secret=secret, account=account
                )
                messages.success(request, _("The report is open again; staff are told."))
            else:
                raise ValidationError({"text": _("Say what is still wrong.")})
            return redirect(_reporter_url(report))
        except ValidationError as exc:
            add_errors(form, exc)
    context = _detail_context(request, report)
    context.update(
        reporter=True, secret=secret, reopen_form=form, may_reopen=services.may_reopen(report)
    )
    return render(request, "reports/detail.html", context, status=400 if form.errors else 200)


@require_POST
def voice(request, municipality_slug, pk):
    """ "Me too": add the resident's voice to an open group of reports."""
    cluster = get_object_or_404(Cluster, municipality=request.municipality, pk=pk, is_open=True)
    form = VoiceForm(request.POST)
    account = _account(request)
    first = cluster.reports.filter(status__in=workflow.PUBLIC_STATES).order_by("pk").first()
    if first is None:
        raise Http404
    if form.is_valid():
        try:
            added = services.add_voice(
                cluster,
                account=account,
                email=form.cleaned_data.get("email") or "",
                phone=form.cleaned_data.get("phone") or "",
                language=_lang(),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your voice is added: %(n)d residents now report this.")
                % {"n": Cluster.objects.get(pk=cluster.pk).voices}
                if added
                else _("You had already reported this; you are counted once."),
            )
            return redirect("reports:detail", municipality_slug=municipality_slug, pk=first.pk)
    context = _detail_context(request, first)
    context.update(voice_form=form, voice_cluster=cluster)
    return render(request, "reports/detail.html", context, status=400)


def priorities(request, municipality_slug, screen=False):
    """The public priority list, every factor of each score shown; ?unit= narrows it."""
    municipality = request.municipality
    units = list(units_of(municipality))
    unit = next((u for u in units if u.slug == request.GET.get("unit")), None)
    rows = selectors.priority_list(municipality, unit=unit, limit=20 if screen else 100)
    points = [
        {
            "lat": float(p.cluster.lat),
            "lon": float(p.cluster.long),
            "title": f"{p.cluster.category.name()} ({p.reporters})",
        }
        for p in rows
        if p.cluster.lat is not None
    ]
    context = {
        "municipality": municipality,
        "rows": rows,
        "units": units,
        "unit": unit,
        "points": points,
        "trend": selectors.monthly_trend(municipality, unit=unit),
        **_map(municipality),
    }
    return render(request, "reports/screen.html" if screen else "reports/priorities.html", context)
