"""Open311 GeoReport v2 server at ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2), with
mySociety's ``servicerequestupdates`` and FixMyStreet-style ``extensions=true``.

Every resource is served as ``.xml`` (lxml; the required format) and ``.json``, with the
standard's field names and order. ``jurisdiction_id`` is the municipality's slug and is required
(this endpoint serves many jurisdictions). Errors use the standard's shape — ``<errors><error>
<code/><description/></error></errors>`` or ``[{"code": .., "description": ..}]`` — with the HTTP
code it names: 400 (missing or bad argument), 403 (api_key), 404 (not found), 429 (too many).
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from sportel.core import idempotency, prepared
from sportel.core.models import Municipality

from . import services, workflow
from .models import Category, Open311Key, Report, ReportEvent, ReportPhoto

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"
MAX_DAYS = 90
MAX_RECORDS = 1000
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML element of each item of a list-valued field.
LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "photos": "photo",
}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = descriptions or ("error",)


# --- rendering ----------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_value(parent, name: str, value, _sub=etree.SubElement) -> None:
    # The hot path of a 1000-record answer (17 fields a row): exact type checks, most common
    # first, and lxml's SubElement bound once.
    element = _sub(parent, name)
    kind = type(value)
    if kind is str:
        element.text = value
    elif value is None:
        element.text = ""
    elif kind is dict:
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif kind is list:
        item = LIST_ITEMS.get(name, "item")
        for inner in value:
            _xml_value(element, item, inner)
    else:
        element.text = _text(value)


def render(fmt: str, root: str, item: str | None, body, status: int = 200) -> HttpResponse:
    """``body``: a list of dicts (each an ``item`` under ``root``) or one dict (``root`` itself)."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, default=str)
    else:
        top = etree.Element(root)
        if isinstance(body, list):
            for row in body:
                _xml_value(top, item, row)
        else:
            for key, value in body.items():
                _xml_value(top, key, value)
        content = etree.tostring(top, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(content, status=status, content_type=FORMATS[fmt])


def error_response(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    rows = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt, "errors", "error", rows, status=status)


def _validation_descriptions(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{field}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)


def endpoint(methods=("GET",)):
    """Wrap a view: format check, the standard's errors, no CSRF (API keys, not cookies)."""

    def decorate(view):
        @csrf_exempt
        @require_http_methods(list(methods))
        def wrapped(request, fmt, **kwargs):
            try:
                with translation.override(_client_language(request)):
                    return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, *exc.descriptions)
            except ValidationError as exc:
                return error_response(fmt, 400, *_validation_descriptions(exc))
            except PermissionDenied as exc:
                return error_response(fmt, 403, str(exc) or "Forbidden")
            except Http404:
                return error_response(fmt, 404, "Not found")

        wrapped.__name__ = view.__name__
        return wrapped

    return decorate


def _client_language(request) -> str:
    """``locale`` (sq, en) when given, else the Accept-Language header; Albanian by default.
    (Outside the pages' language prefix, Django's LocaleMiddleware would always say sq.)"""
    wanted = (request.GET.get("locale") or "").lower()[:2]
    if wanted not in ("sq", "en"):
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        wanted = next(
            (
                code
                for code, _q in translation.trans_real.parse_accept_lang_header(header)
                if code[:2] in ("sq", "en")
            ),
            "sq",
        )[:2]
    return wanted


# --- arguments ----------------------------------------------------------------------------------


def _params(request):
    return request.POST if request.method == "POST" else request.GET


def _jurisdiction(request) -> Municipality:
    slug = _params(request).get("jurisdiction_id") or request.GET.get("jurisdiction_id") or ""
    slug = slug.strip()
    if not slug:
        raise Open311Error(400, "jurisdiction_id was not provided")
    municipality = Municipality.objects.filter(slug=slug, is_active=True).first()
    if municipality is None:
        raise Open311Error(404, f"jurisdiction_id not found: {slug[:60]}")
    return municipality


def _api_key(request, municipality, *, required=True):
    key = (_params(request).get("api_key") or request.GET.get("api_key") or "").strip()
    row = services.key_for(municipality, key)
    if row is None and (required or key):
        raise Open311Error(403, "Invalid api_key")
    return row


def _rate_limit(request, api_key) -> None:
    """Fixed one-minute windows per client address and per api_key (the cache is shared when
    Redis is configured, so the limit holds across app servers)."""
    window = int(timezone.now().timestamp() // 60)
    limits = [
        (
            f"o311:ip:{_client_ip(request)}:{window}",
            getattr(settings, "SPORTEL_OPEN311_POSTS_PER_IP_MINUTE", 120),
        ),
    ]
    if api_key is not None:
        limits.append(
            (
                f"o311:key:{api_key.pk}:{window}",
                getattr(settings, "SPORTEL_OPEN311_POSTS_PER_KEY_MINUTE", 6000),
            )
        )
    for cache_key, limit in limits:
        cache.add(cache_key, 0, timeout=120)
        try:
            count = cache.incr(cache_key)
        except ValueError:
            count = 1
        if count > limit:
            raise Open311Error(429, "Too many requests; try again in a minute")


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _w3c(name: str, value: str) -> datetime:
    parsed = parse_datetime(value.strip()) if value and len(value) < 40 else None
    if parsed is None:
        raise Open311Error(400, f"{name} is not a W3C date and time, e.g. 2026-05-01T08:30:00Z")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _date_window(params) -> tuple[datetime, datetime]:
    """start_date/end_date: by default the last 90 days; a span over 90 days is refused."""
    start = _w3c("start_date", params["start_date"]) if params.get("start_date") else None
    end = _w3c("end_date", params["end_date"]) if params.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date")
    if start and end and end - start > timedelta(days=MAX_DAYS):
        raise Open311Error(400, f"The date range may be at most {MAX_DAYS} days")
    if end is None:
        end = min(timezone.now(), start + timedelta(days=MAX_DAYS)) if start else timezone.now()
    if start is None:
        start = end - timedelta(days=MAX_DAYS)
    return start, end


def _int(params, name, default, *, low, high) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return value


_TZ = None


def _dt(value) -> str | None:
    global _TZ
    if value is None:
        return None
    if _TZ is None:
        import zoneinfo

        _TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return value.astimezone(_TZ).isoformat(timespec="seconds")


def _lang() -> str:
    return (get_language() or "sq")[:2]


# --- discovery and services ---------------------------------------------------------------------


@endpoint()
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:root"))
    body = {
        "changeset": CHANGESET,
        "contact": "Write to the municipality's one-stop shop, or to the platform operator.",
        "key_service": (
            "Ask the municipality's administrator (staff page: Open311 keys) or the platform "
            "operator (sportel open311 add-key <municipality> <app>) for an api_key."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", None, body)


def _services_of(municipality):
    return (
        Category.objects.filter(municipality=municipality, is_active=True, parent__isnull=False)
        .select_related("parent")
        .prefetch_related("attributes")
        .order_by("order", "code")
    )


@endpoint()
def service_list(request, fmt):
    municipality = _jurisdiction(request)
    lang = _lang()
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name(lang),
            "description": c.description(lang),
            "metadata": any(a.variable for a in c.questions()),
            "type": "realtime",
            "keywords": c.keywords,
            "group": c.parent.name(lang),
        }
        for c in _services_of(municipality)
    ]
    return render(fmt, "services", "service", rows)


@endpoint()
def service_definition(request, fmt, code):
    municipality = _jurisdiction(request)
    category = _services_of(municipality).filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code not found: {code[:60]}")
    lang = _lang()
    body = {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description(lang) or None,
                "order": a.order,
                "description": a.description(lang),
                **(
                    {"values": [{"key": k, "name": n} for k, n in a.value_names(lang)]}
                    if a.datatype in ("singlevaluelist", "multivaluelist")
                    else {}
                ),
            }
            for a in category.questions()
        ],
    }
    return render(fmt, "service_definition", None, body)


# --- requests -----------------------------------------------------------------------------------


def _media_url(request, photo: ReportPhoto) -> str:
    extension = "png" if photo.content_type == "image/png" else "jpg"
    return request.build_absolute_uri(
        reverse("open311:media", kwargs={"pk": photo.pk, "ext": extension})
    )


# The columns a request row needs: read as tuples (a thousand model instances with every column
# would cost more than the SQL itself).
_ROW_FIELDS = (
    "pk",
    "status",
    "category_id",
    "public_description",
    "team",
    "requested_at",
    "updated_at",
    "expected_at",
    "address",
    "unit__name",
    "lat",
    "long",
    "duplicate_of_id",
    "cluster_id",
)


def _w3c_sql(column: str):
    """PostgreSQL writes the W3C date and time itself, in the platform's time zone with its
    offset (``2026-05-01T08:30:00+02:00``, as :func:`_dt` does): for a thousand rows, parsing
    three timestamps each into Python and formatting them again costs more than the query."""
    from django.db.models.expressions import RawSQL

    local = f"({column} AT TIME ZONE %s)"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    sql = (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE "
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI') "
        f"ELSE '+' || to_char({offset}, 'HH24:MI') END END"
    )
    # ``column`` is one of the model's own column names (never input); the zone is a parameter.
    return RawSQL(sql, [settings.TIME_ZONE] * sql.count("%s"))  # noqa: S611


def _row_values(reports) -> list[tuple]:
    """The rows as tuples; on PostgreSQL with the three times already W3C text."""
    from django.db import connections

    if connections[reports.db].vendor != "postgresql":
        return [
            (*row[:5], _dt(row[5]), _dt(row[6]), _dt(row[7]), *row[8:])
            for row in reports.values_list(*_ROW_FIELDS)
        ]
    table = Report._meta.db_table
    times = {
        f"w3c_{name}": _w3c_sql(f'"{table}"."{name}"')
        for name in ("requested_at", "updated_at", "expected_at")
    }
    fields = [
        f"w3c_{name}" if name in ("requested_at", "updated_at", "expected_at") else name
        for name in _ROW_FIELDS
    ]
    return list(reports.annotate(**times).values_list(*fields))


def _request_rows(request, reports, *, extensions) -> list[dict]:
    rows = _row_values(reports)
    if not rows:
        return []
    # Notes and photos of the page's reports by the page's own query as a subquery: a list of a
    # thousand ids as parameters cost more to build and parse than the rows themselves.
    page = reports.values("pk")
    lang = _lang()
    names = {
        c.pk: (c.code, c.name(lang))
        for c in Category.objects.filter(pk__in={row[2] for row in rows}).only(
            "pk", "code", "name_sq", "name_en"
        )
    }
    notes: dict[int, list] = {}
    for report_id, at, to_status, text in (
        ReportEvent.objects.filter(report_id__in=page, public=True)
        .exclude(text="")
        .order_by("at", "pk")
        .values_list("report_id", "at", "to_status", "text")
    ):
        notes.setdefault(report_id, []).append((at, to_status, text))
    photos: dict[int, list] = {}
    media = request.build_absolute_uri(reverse("open311:root")) + "media/"
    for report_id, pk, content_type, after in (
        ReportPhoto.objects.filter(report_id__in=page)
        .order_by("pk")
        .values_list("report_id", "pk", "content_type", "after")
    ):
        url = f"{media}{pk}.{'png' if content_type == 'image/png' else 'jpg'}"
        photos.setdefault(report_id, []).append((url, after))
    out = []
    for (
        pk,
        status,
        category_id,
        description,
        team,
        requested,
        updated,
        expected,
        address,
        unit,
        lat,
        long,
        duplicate_of,
        cluster,
    ) in rows:
        code, name = names[category_id]
        report_notes = notes.get(pk, [])
        report_photos = photos.get(pk, [])
        before = [url for url, after in report_photos if not after]
        row = {
            "service_request_id": str(pk),
            "status": workflow.OPEN311_STATUS[status],
            "status_notes": report_notes[-1][2] if report_notes else None,
            "service_name": name,
            "service_code": code,
            "description": description,
            "agency_responsible": team or None,
            "service_notice": None,
            "requested_datetime": requested,
            "updated_datetime": updated,
            "expected_datetime": expected,
            "address": address or unit or None,
            "address_id": None,
            "zipcode": None,
            "lat": float(lat) if lat is not None else None,
            "long": float(long) if long is not None else None,
            "media_url": before[0] if before else None,
        }
        if extensions:
            row["extended_attributes"] = {
                "detailed_status": workflow.OPEN311_UPDATE_STATUS[status],
                "duplicate": duplicate_of is not None,
                "parent_service_request_id": str(duplicate_of) if duplicate_of else None,
                "cluster_id": str(cluster) if cluster else None,
                "administrative_unit": unit,
                "notes": [
                    {
                        "datetime": _dt(at),
                        "status": workflow.OPEN311_UPDATE_STATUS.get(to_status or status),
                        "description": text,
                    }
                    for at, to_status, text in report_notes
                ],
                "photos": [url for url, _after in report_photos],
            }
        out.append(row)
    return out


def _public(municipality):
    return Report.objects.filter(municipality=municipality, status__in=workflow.PUBLIC_STATES)


@endpoint(methods=("GET", "POST"))
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    municipality = _jurisdiction(request)
    params = request.GET
    extensions = params.get("extensions", "").lower() == "true"
    reports = _public(municipality)
    if params.get("service_request_id"):
        ids = [i.strip() for i in params["service_request_id"].split(",") if i.strip()]
        if not all(i.isdigit() for i in ids) or len(ids) > MAX_RECORDS:
            raise Open311Error(400, "service_request_id must be a comma-separated list of ids")
        reports = reports.filter(pk__in=[int(i) for i in ids])
    else:
        if params.get("service_code"):
            codes = [c.strip() for c in params["service_code"].split(",") if c.strip()]
            known = set(
                Category.objects.filter(municipality=municipality, code__in=codes).values_list(
                    "code", flat=True
                )
            )
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise Open311Error(404, f"service_code not found: {', '.join(unknown)[:100]}")
            reports = reports.filter(category__code__in=codes)
        if params.get("status"):
            wanted = {s.strip().lower() for s in params["status"].split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status must be open, closed, or both")
            states = set()
            if "open" in wanted:
                states |= workflow.OPEN_STATES
            if "closed" in wanted:
                states |= workflow.CLOSED_STATES
            reports = reports.filter(status__in=states)
        start, end = _date_window(params)
        reports = reports.filter(requested_at__gte=start, requested_at__lte=end)
    page_size = _int(params, "page_size", MAX_RECORDS, low=1, high=MAX_RECORDS)
    page = _int(params, "page", 1, low=1, high=1_000_000)
    reports = reports.order_by("-requested_at", "-pk")[(page - 1) * page_size : page * page_size]
    return render(
        fmt, "service_requests", "request", _request_rows(request, reports, extensions=extensions)
    )


def _attributes_from(params) -> dict:
    """``attribute[code]=v`` and ``attribute[code][]=v1&attribute[code][]=v2``."""
    answers: dict = {}
    for name in params:
        if not name.startswith("attribute[") or "]" not in name:
            continue
        code = name[len("attribute[") : name.index("]")]
        values = params.getlist(name)
        answers[code] = values if name.endswith("[]") or len(values) > 1 else values[0]
    return answers


def _jurisdiction_and_key(request) -> tuple[Municipality, Open311Key]:
    """The jurisdiction and the api_key of a write. In the common case one statement (the key's
    row joined to its municipality, which must be the jurisdiction); when that finds nothing,
    the two lookups apart, to say which of the two is wrong."""
    slug = (request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    if slug and key:
        row = (
            Open311Key.objects.select_related("municipality")
            .filter(
                key_hash=Open311Key.hash(key),
                revoked_at__isnull=True,
                municipality__slug=slug,
                municipality__is_active=True,
            )
            .first()
        )
        if row is not None:
            return row.municipality, row
    municipality = _jurisdiction(request)
    return municipality, _api_key(request, municipality)


# The configuration rows a write reads (the key, its municipality, the category with its
# questions and routing rules), kept per process and used while a fingerprint of those very
# rows, read in one statement with the key check, is unchanged: an edit, a revoked key or a
# switched-off category shows at the next request of every process (PostgreSQL; elsewhere the
# rows are read each time).
_CONFIGURATION: dict[tuple[str, str, str], tuple] = {}
_CONFIGURATION_SIZE = 500
_FINGERPRINT = """
SELECT encode(sha256(convert_to(k::text || m::text || coalesce((
    SELECT c::text
        || coalesce((SELECT p::text FROM {category} p WHERE p.id = c.parent_id), '')
        || coalesce((SELECT string_agg(a::text, '|' ORDER BY a.id) FROM {attribute} a
                     WHERE a.category_id = c.id), '')
        || coalesce((SELECT string_agg(r::text, '|' ORDER BY r.id) FROM {route} r
                     WHERE r.category_id = c.id), '')
    FROM {category} c
    WHERE c.municipality_id = m.id AND c.code = %s AND c.is_active AND c.parent_id IS NOT NULL
), '-'), 'UTF8')), 'hex')
FROM {key} k JOIN {municipality} m ON m.id = k.municipality_id
WHERE k.key_hash = %s AND k.revoked_at IS NULL AND m.slug = %s AND m.is_active
"""


def _fingerprint_sql() -> str:
    from .models import CategoryAttribute, RoutingRule

    def table(model):
        return connection.ops.quote_name(model._meta.db_table)

    return _FINGERPRINT.format(
        category=table(Category),
        attribute=table(CategoryAttribute),
        route=table(RoutingRule),
        key=table(Open311Key),
        municipality=table(Municipality),
    )


def _write_context(request, code: str) -> tuple[Municipality, Open311Key, Category | None]:
    """The jurisdiction, the api_key and the category ``code`` of a write (None when there is
    no such active category): from this process's cache when their rows are unchanged."""
    slug = (request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    fingerprint = None
    if slug and key and code and connection.vendor == "postgresql":
        key_hash = Open311Key.hash(key)
        with prepared.cursor() as cursor:
            cursor.execute(_fingerprint_sql(), [code, key_hash, slug])
            row = cursor.fetchone()
        if row is not None:
            fingerprint = row[0]
            cached = _CONFIGURATION.get((slug, key_hash, code))
            if cached is not None and cached[0] == fingerprint:
                return cached[1:]
    municipality, api_key = _jurisdiction_and_key(request)
    category = None
    if code:
        # The questions and the routing rules come along: filing reads both.
        category = _services_of(municipality).filter(code=code).prefetch_related("routes").first()
    if fingerprint is not None and category is not None:
        if len(_CONFIGURATION) >= _CONFIGURATION_SIZE:
            _CONFIGURATION.clear()
        _CONFIGURATION[(slug, Open311Key.hash(key), code)] = (
            fingerprint,
            municipality,
            api_key,
            category,
        )
    return municipality, api_key, category


def _post_request(request, fmt):
    params = request.POST
    code = (params.get("service_code") or "").strip()
    municipality, api_key, category = _write_context(request, code)
    _rate_limit(request, api_key)
    if not code:
        raise Open311Error(400, "service_code was not provided")
    if category is None:
        raise Open311Error(404, f"service_code not found: {code[:60]}")
    if not (
        (params.get("lat") and params.get("long"))
        or params.get("address_string", "").strip()
        or params.get("address_id", "").strip()
    ):
        raise Open311Error(400, "lat and long, address_string or address_id is required")
    errors: dict = {}
    place = answers = None
    try:
        place = services.parse_place(
            municipality,
            lat=params.get("lat", ""),
            long=params.get("long", ""),
            address=params.get("address_string", "") or params.get("address_id", ""),
        )
    except ValidationError as exc:
        errors.update({("lat/long" if k == "lat" else k): v for k, v in exc.message_dict.items()})
    try:
        answers = services.clean_attributes(category, _attributes_from(params))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        photos = services.check_photos(request.FILES.getlist("media"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    email = (params.get("email") or "").strip()
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["email is not a valid address"]
    if errors:
        raise ValidationError(errors)
    key = _idempotency_key(request)
    with idempotency.writes() as inserted:
        filed = services.file_report(
            municipality,
            category=category,
            place=place,
            description=params.get("description", ""),
            answers=answers,
            channel=Report.Channel.OPEN311,
            first_name=params.get("first_name", ""),
            last_name=params.get("last_name", ""),
            email=email,
            phone=params.get("phone", ""),
            device_id=params.get("device_id", "") or params.get("account_id", ""),
            language=_lang(),
            photos=photos,
            api_key=api_key,
            client_ip=_client_ip(request),
            idempotency_key=key,
        )
    body = [
        {
            "service_request_id": str(filed.report.pk),
            "service_notice": None,
            "account_id": params.get("account_id") or None,
        }
    ]
    response = render(fmt, "service_requests", "request", body)
    idempotency.replayed(response, filed.report, inserted)
    return response


def _idempotency_key(request) -> str:
    """The ``Idempotency-Key`` header (as the services API takes it), at most 100 characters."""
    key = request.headers.get(idempotency.HEADER, "")
    if len(key) > idempotency.MAX_LENGTH:
        raise Open311Error(
            400, f"{idempotency.HEADER} is at most {idempotency.MAX_LENGTH} characters long"
        )
    return key


@endpoint()
def request_detail(request, fmt, request_id):
    municipality = _jurisdiction(request)
    if not request_id.isdigit():
        raise Open311Error(404, f"service_request_id not found: {request_id[:40]}")
    reports = _public(municipality).filter(pk=int(request_id))
    rows = _request_rows(
        request, reports, extensions=request.GET.get("extensions", "").lower() == "true"
    )
    if not rows:
        raise Open311Error(404, f"service_request_id not found: {request_id}")
    return render(fmt, "service_requests", "request", rows)


@endpoint()
def token_detail(request, fmt, token):
    municipality = _jurisdiction(request)
    import uuid

    try:
        value = uuid.UUID(token)
    except ValueError:
        raise Open311Error(404, "token not found") from None
    report = Report.objects.filter(municipality=municipality, token=value).first()
    if report is None:
        raise Open311Error(404, "token not found")
    body = [{"service_request_id": str(report.pk), "token": str(report.token)}]
    return render(fmt, "service_requests", "request", body)


# --- mySociety's servicerequestupdates -----------------------------------------------------------


def update_row(request, event: ReportEvent) -> dict:
    photos = list(event.photos)
    return {
        "update_id": str(event.pk),
        "service_request_id": str(event.report_id),
        "status": workflow.OPEN311_UPDATE_STATUS[event.to_status or event.report.status],
        "updated_datetime": _dt(event.at),
        "description": event.text,
        "media_url": _media_url(request, photos[0]) if photos else None,
    }


@endpoint(methods=("GET", "POST"))
def updates_view(request, fmt):
    from django.db.models import Prefetch

    municipality = _jurisdiction(request)
    if request.method == "POST":
        return _post_update(request, fmt, municipality)
    _api_key(request, municipality, required=False)
    start, end = _date_window(request.GET)
    events = (
        ReportEvent.objects.filter(
            municipality=municipality,
            public=True,
            report__status__in=workflow.PUBLIC_STATES,
            at__gte=start,
            at__lte=end,
        )
        .exclude(action="file")
        .select_related("report")
        .prefetch_related(
            Prefetch(
                "reportphoto_set", queryset=ReportPhoto.objects.order_by("pk"), to_attr="photos"
            )
        )
        .order_by("at", "pk")[:MAX_RECORDS]
    )
    rows = [update_row(request, e) for e in events]
    return render(fmt, "service_request_updates", "request_update", rows)


def _post_update(request, fmt, municipality):
    api_key = _api_key(request, municipality)
    _rate_limit(request, api_key)
    params = request.POST
    request_id = (params.get("service_request_id") or "").strip()
    if not request_id:
        raise Open311Error(400, "service_request_id was not provided")
    report = (
        _public(municipality).filter(pk=int(request_id)).first() if request_id.isdigit() else None
    )
    if report is None:
        raise Open311Error(404, f"service_request_id not found: {request_id[:40]}")
    key = _idempotency_key(request)
    photos = services.check_photos(request.FILES.getlist("media"))
    with idempotency.writes() as inserted:
        event = services.post_update(
            report,
            api_key=api_key,
            status=params.get("status", ""),
            description=params.get("description", ""),
            external_id=params.get("update_id", ""),
            photos=photos,
            idempotency_key=key,
        )
    body = [{"update_id": str(event.pk)}]
    response = render(fmt, "service_request_updates", "request_update", body)
    idempotency.replayed(response, event, inserted)
    return response


# --- media --------------------------------------------------------------------------------------


def media(request, pk, ext):
    """A report's photo (already re-encoded, metadata stripped), for public reports only."""
    photo = (
        ReportPhoto.objects.filter(pk=pk, report__status__in=workflow.PUBLIC_STATES)
        .only("file", "content_type")
        .first()
    )
    if photo is None:
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def root(request):
    raise Http404


F = r"\.(?P<fmt>json|xml)$"
app_name = "open311"
urlpatterns = [
    re_path(r"^$", root, name="root"),
    re_path(r"^discovery" + F, discovery, name="discovery"),
    re_path(r"^services" + F, service_list, name="services"),
    re_path(r"^services/(?P<code>[\w.-]+?)" + F, service_definition, name="service"),
    re_path(r"^requests" + F, requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[\w-]+?)" + F, request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[\w-]+?)" + F, token_detail, name="token"),
    re_path(r"^servicerequestupdates" + F, updates_view, name="updates"),
    re_path(r"^media/(?P<pk>\d+)\.(?P<ext>jpg|png)$", media, name="media"),
]
