"""Staff publishing: create a dataset, upload a CSV/XLSX file, edit its Table Schema, read the
validation report row by row, preview, publish; replace a resource with a new version."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sportel.accounts.decorators import staff_required

from . import selectors, services, staging
from .vocabularies import FREQUENCIES, LICENSES, THEMES


class DatasetForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title (Albanian)"), max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("Title (English)"), max_length=200, required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Description (Albanian)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes_en = forms.CharField(
        label=gettext_lazy("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    license_id = forms.ChoiceField(
        label=gettext_lazy("Licence"), choices=[(k, v[0]) for k, v in LICENSES.items()]
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Update frequency"), choices=list(FREQUENCIES.items()), initial="IRREG"
    )
    themes = forms.MultipleChoiceField(
        label=gettext_lazy("Themes"),
        required=False,
        choices=list(THEMES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Separate tags with commas."),
    )
    spatial_units = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Administrative units covered"),
        help_text=gettext_lazy("Leave empty when the data covers the whole municipality."),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = municipality.units.all() if municipality is not None else []
        self.fields["spatial_units"].choices = [(u.pk, u.name) for u in units]


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or Excel (.xlsx) file"))


class RefreshForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("From a URL (CSV or Excel)"), max_length=500, required=False
    )
    feed = forms.ChoiceField(
        label=gettext_lazy("Or from a Sportel statistics feed"), required=False, choices=[]
    )
    every_hours = forms.IntegerField(
        label=gettext_lazy("Every how many hours"), min_value=1, max_value=24 * 366, initial=24
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from sportel.core import feeds

        self.fields["feed"].choices = [("", "-")] + [(f.name, f.title) for f in feeds.feeds()]


def _dataset_page(request, item, *, form=None, refresh_form=None, status=200):
    from .models import RefreshRun

    resources = list(item.resources.select_related("current", "refresh"))
    runs = {}
    for run in RefreshRun.objects.filter(
        municipality=request.municipality, refresh__resource__in=resources
    ).select_related("refresh"):
        runs.setdefault(run.refresh.resource_id, run)
    for r in resources:
        r.schedule = r.refresh if hasattr(r, "refresh") else None
        r.last_run = runs.get(r.pk)
    return render(
        request,
        "opendata/staff_dataset.html",
        {
            "dataset": item,
            "form": form or UploadForm(),
            "refresh_form": refresh_form or RefreshForm(),
            "resources": resources,
        },
        status=status,
    )


@staff_required("opendata.publish")
def home(request, municipality_slug: str):
    return render(
        request,
        "opendata/staff_home.html",
        {
            "datasets": selectors.staff_datasets(request.municipality),
            "form": DatasetForm(municipality=request.municipality),
        },
    )


@require_POST
@staff_required("opendata.publish")
def new_dataset(request, municipality_slug: str):
    form = DatasetForm(request.POST, municipality=request.municipality)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dataset = services.create_dataset(
                request.municipality,
                request.user,
                title=data["title"],
                title_en=data["title_en"],
                notes=data["notes"],
                notes_en=data["notes_en"],
                license_id=data["license_id"],
                frequency=data["frequency"],
                themes=data["themes"],
                tags=data["tags"].split(","),
                spatial_units=data["spatial_units"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The dataset is created. Now upload its data."))
            return redirect(
                "opendata-staff:dataset", municipality_slug=municipality_slug, name=dataset.name
            )
    return render(
        request,
        "opendata/staff_home.html",
        {
            "datasets": selectors.staff_datasets(request.municipality),
            "form": form,
        },
        status=400,
    )


def _dataset_or_404(request, name):
    dataset = selectors.staff_dataset(request.municipality, name)
    if dataset is None:
        raise Http404(_("No dataset of this municipality has that name."))
    return dataset


@staff_required("opendata.publish")
def dataset(request, municipality_slug: str, name: str):
    item = _dataset_or_404(request, name)
    return _dataset_page(request, item)


@require_POST
@staff_required("opendata.publish")
def schedule_refresh(request, municipality_slug: str, name: str):
    from . import refresh

    item = _dataset_or_404(request, name)
    form = RefreshForm(request.POST)
    resource = next(
        (r for r in item.resources.all() if str(r.pk) == request.POST.get("resource")), None
    )
    if resource is None:
        form.add_error(None, _("Choose a resource of this dataset."))
    if form.is_valid():
        try:
            refresh.schedule(
                resource,
                request.user,
                url=form.cleaned_data["url"].strip(),
                feed=form.cleaned_data["feed"],
                every_hours=form.cleaned_data["every_hours"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The refresh is scheduled; the first run is due now."))
            return redirect(
                "opendata-staff:dataset", municipality_slug=municipality_slug, name=item.name
            )
    return _dataset_page(request, item, refresh_form=form, status=400)


@require_POST
@staff_required("opendata.publish")
def upload_file(request, municipality_slug: str, name: str):
    item = _dataset_or_404(request, name)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > staging.max_bytes() + 64 * 1024:
        # Refused before the body is read: a 200 MB file is not received, then thrown away.
        form = UploadForm(data={})
        form.cleaned_data = {}  # an error without validating the empty form
        form.add_error(
            None,
            _("The file is larger than %(mb)s MB.")
            % {"mb": settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB},
        )
        response = _dataset_page(request, item, form=form, status=413)
        response["Connection"] = "close"
        return response
    form = UploadForm(request.POST, request.FILES)
    resource = None
    if request.POST.get("resource"):
        resource = next(
            (r for r in item.resources.all() if str(r.pk) == request.POST["resource"]), None
        )
        if resource is None:
            form.add_error(None, _("Choose a resource of this dataset."))
    if form.is_valid() and not form.errors:
        try:
            upload = staging.stage(
                request.municipality,
                request.user,
                form.cleaned_data["file"],
                dataset=item,
                resource=resource,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect(
                "opendata-staff:upload", municipality_slug=municipality_slug, pk=upload.pk
            )
    return _dataset_page(request, item, form=form, status=400)


def _upload_or_404(request, pk):
    upload = selectors.staff_upload(request.municipality, pk)
    if upload is None or upload.dataset is None:
        raise Http404(_("No upload of this municipality has that number."))
    return upload


TYPE_WORDS = {
    "integer": gettext_lazy("a whole number"),
    "number": gettext_lazy("a number"),
    "boolean": gettext_lazy("true or false"),
    "date": gettext_lazy("a date (YYYY-MM-DD)"),
    "datetime": gettext_lazy("a date and time"),
    "year": gettext_lazy("a year"),
    "yearmonth": gettext_lazy("a month (YYYY-MM)"),
    "string": gettext_lazy("text"),
}


def _problem(error: dict, schema: dict) -> str:
    """A validation error in the reader's language (frictionless writes English)."""
    kinds = {f["name"]: f["type"] for f in schema.get("fields", [])}
    kind = error.get("type")
    if kind == "type-error":
        return _("This is not %(expected)s.") % {
            "expected": TYPE_WORDS.get(kinds.get(error.get("field"), ""), _("valid"))
        }
    messages_by_type = {
        "missing-cell": _("This row has fewer cells than the header."),
        "extra-cell": _("This row has more cells than the header."),
        "blank-row": _("This row is empty."),
        "blank-label": _("A column has no name in the header."),
        "duplicate-label": _("Two columns have the same name."),
        "primary-key": _("This row repeats another row's key."),
        "encoding-error": _("The file's text encoding is wrong."),
        "source-error": _("The file could not be read as a table."),
    }
    return messages_by_type.get(kind, error.get("message", ""))


def _preview(upload):
    try:
        rows = staging.rows_of(upload)[:20] if upload.valid else []
    except Exception:  # an invalid cell: the report already says which
        rows = []
    return [[row.get(f["name"]) for f in upload.schema["fields"]] for row in rows]


@staff_required("opendata.publish")
def upload(request, municipality_slug: str, pk: int):
    item = _upload_or_404(request, pk)
    status = 200
    if request.method == "POST":
        if item.published_at is not None:
            messages.error(request, _("This upload is already published."))
            return redirect("opendata-staff:upload", municipality_slug=municipality_slug, pk=pk)
        changes = {}
        for index, field in enumerate(item.schema["fields"]):
            changes[field["name"]] = {
                "type": request.POST.get(f"type-{index}", field["type"]),
                "title": request.POST.get(f"title-{index}", field.get("title", "")),
            }
        try:
            item = staging.revise_schema(item, request.user, changes)
        except ValidationError:
            messages.error(request, _("Choose a type from the list for every column."))
            status = 400
        else:
            if item.valid:
                messages.success(request, _("The file is valid against the schema."))
            else:
                status = 400
    fields = [{"index": i, **f} for i, f in enumerate(item.schema["fields"])]
    return render(
        request,
        "opendata/staff_upload.html",
        {
            "upload": item,
            "fields": fields,
            "types": [(t, TYPE_WORDS[t]) for t in staging.EDITABLE_TYPES],
            "preview": _preview(item),
            "errors": [
                {**e, "problem": _problem(e, item.schema)} for e in item.report.get("errors", [])
            ],
        },
        status=status,
    )


@require_POST
@staff_required("opendata.publish")
def publish(request, municipality_slug: str, pk: int):
    item = _upload_or_404(request, pk)
    try:
        rows = staging.rows_of(item) if item.valid else []
        services.publish_upload(item, request.user, dataset=item.dataset, rows=rows)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("opendata-staff:upload", municipality_slug=municipality_slug, pk=pk)
    messages.success(request, _("Published. Anyone can now find and download it."))
    return redirect(
        "opendata-staff:dataset", municipality_slug=municipality_slug, name=item.dataset.name
    )
