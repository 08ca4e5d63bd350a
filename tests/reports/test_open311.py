"""Open311 GeoReport v2 conformance: every response checked field by field against the
specification (http://wiki.open311.org/GeoReport_v2) and mySociety's servicerequestupdates, in
XML and JSON alike, with the standard's errors, HTTP codes and limits."""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from lxml import etree

from sportel.reports import services
from sportel.reports.models import Report, ReportEvent

from .conftest import file_one, jpeg, photo_upload

BASE = "/open311/v2/"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]
UPDATE_STATUSES = {
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
}


@pytest.fixture
def key(shkoder, categories):
    return services.add_api_key(shkoder, "FixMyStreet test")


def both(client, path, method="get", **params):
    """The same call in XML and JSON: (xml root, json body, the two responses)."""
    responses = {}
    for fmt in ("xml", "json"):
        call = getattr(client, method)
        responses[fmt] = call(f"{BASE}{path}.{fmt}", params)
    x, j = responses["xml"], responses["json"]
    assert x.status_code == j.status_code, (x.content, j.content)
    assert x["Content-Type"] == "text/xml; charset=utf-8"
    assert j["Content-Type"] == "application/json; charset=utf-8"
    assert x.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(x.content), json.loads(j.content), x, j


def xml_value(text):
    return text or ""


def json_as_xml_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_same_rows(root, rows, item, fields):
    """Each XML ``item`` has exactly ``fields`` in order; the JSON row the same keys and values."""
    items = root.findall(item)
    assert [child.tag for child in root] == [item] * len(items)
    assert len(items) == len(rows)
    for element, row in zip(items, rows, strict=True):
        assert [child.tag for child in element][: len(fields)] == fields
        assert list(row)[: len(fields)] == fields
        for name in fields:
            assert xml_value(element.findtext(name)) == json_as_xml_text(row[name]), name


def assert_error(root, body, status, response, fragment=""):
    assert response.status_code == status
    assert root.tag == "errors"
    assert [child.tag for child in root] == ["error"] * len(body)
    assert body and all(set(e) == {"code", "description"} for e in body)
    assert all(e["code"] == status for e in body)
    assert [int(e.findtext("code")) for e in root] == [status] * len(body)
    assert [e.findtext("description") for e in root] == [e["description"] for e in body]
    if fragment:
        assert any(fragment in e["description"] for e in body), body


# --- discovery and services -----------------------------------------------------------------


def test_discovery(client, categories):
    root, body, *_ = both(client, "discovery")
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    assert W3C.match(body["changeset"])
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] in {"production", "test"}
    assert endpoint["formats"] == ["text/xml", "application/json"]
    (xml_endpoint,) = root.find("endpoints").findall("endpoint")
    assert [f.text for f in xml_endpoint.find("formats").findall("format")] == endpoint["formats"]
    assert xml_endpoint.findtext("url") == endpoint["url"]


def test_service_list_field_by_field(client, shkoder, categories):
    root, body, *_ = both(client, "services", jurisdiction_id="shkoder")
    assert root.tag == "services"
    assert_same_rows(root, body, "service", SERVICE_FIELDS)
    codes = [row["service_code"] for row in body]
    assert "irrigation-channel" in codes and "stray-dogs" in codes and "noise" in codes
    assert "irrigation" not in codes  # a group is not a service
    for row in body:
        assert row["type"] in {"realtime", "batch", "blackbox"}
        assert isinstance(row["metadata"], bool)
    channel = next(r for r in body if r["service_code"] == "irrigation-channel")
    assert channel["metadata"] is True
    assert channel["service_name"] == "Kanal vaditës i bllokuar"
    assert channel["group"] == "Ujitje dhe kullim"
    bench = next(r for r in body if r["service_code"] == "park-furniture")
    assert bench["metadata"] is False


def test_service_list_in_english(client, categories):
    response = client.get(
        f"{BASE}services.json", {"jurisdiction_id": "shkoder"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    channel = next(r for r in response.json() if r["service_code"] == "irrigation-channel")
    assert channel["service_name"] == "Blocked irrigation channel"
    assert channel["group"] == "Irrigation and drainage"


def test_service_definition_field_by_field(client, categories):
    root, body, *_ = both(client, "services/irrigation-channel", jurisdiction_id="shkoder")
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert list(body) == ["service_code", "attributes"]
    assert body["service_code"] == root.findtext("service_code") == "irrigation-channel"
    xml_attributes = root.find("attributes").findall("attribute")
    assert len(xml_attributes) == len(body["attributes"]) == 4
    orders = []
    for element, attribute in zip(xml_attributes, body["attributes"], strict=True):
        is_list = attribute["datatype"] in ("singlevaluelist", "multivaluelist")
        expected = ATTRIBUTE_FIELDS + (["values"] if is_list else [])
        assert [c.tag for c in element] == expected
        assert list(attribute) == expected
        assert attribute["datatype"] in DATATYPES
        assert isinstance(attribute["variable"], bool) and isinstance(attribute["required"], bool)
        assert isinstance(attribute["order"], int) and attribute["order"] > 0
        orders.append(attribute["order"])
        for name in ATTRIBUTE_FIELDS:
            assert xml_value(element.findtext(name)) == json_as_xml_text(attribute[name])
        if is_list:
            xml_values = element.find("values").findall("value")
            assert [(v.findtext("key"), v.findtext("name")) for v in xml_values] == [
                (v["key"], v["name"]) for v in attribute["values"]
            ]
            assert all(list(v) == ["key", "name"] for v in attribute["values"])
    assert len(set(orders)) == len(orders)
    by_code = {a["code"]: a for a in body["attributes"]}
    assert by_code["channel_type"]["required"] is True
    assert by_code["cause"]["datatype"] == "multivaluelist"
    assert by_code["length_m"]["datatype"] == "number"


def test_unknown_service_code_and_jurisdiction(client, categories):
    root, body, x, _ = both(client, "services/no-such-thing", jurisdiction_id="shkoder")
    assert_error(root, body, 404, x, "service_code")
    root, body, x, _ = both(client, "services", jurisdiction_id="atlantis")
    assert_error(root, body, 404, x, "jurisdiction_id")
    root, body, x, _ = both(client, "services", jurisdiction_id="")
    assert_error(root, body, 400, x, "jurisdiction_id")
    root, body, x, _ = both(client, "services")
    assert_error(root, body, 400, x, "jurisdiction_id")


def test_lezhe_services_are_lezhes(client, shkoder, lezhe, categories):
    from sportel.reports.models import Category

    Category.objects.filter(municipality=lezhe, code="noise").update(name_sq="Zhurmë në Lezhë")
    shk = client.get(f"{BASE}services.json", {"jurisdiction_id": "shkoder"}).json()
    lez = client.get(f"{BASE}services.json", {"jurisdiction_id": "lezhe"}).json()
    assert next(r for r in lez if r["service_code"] == "noise")["service_name"] == "Zhurmë në Lezhë"
    assert next(r for r in shk if r["service_code"] == "noise")["service_name"] == "Zhurmë e tepërt"


# --- POST requests ----------------------------------------------------------------------------


def _post_data(key, **extra):
    data = {
        "jurisdiction_id": "shkoder",
        "api_key": key,
        "service_code": "irrigation-channel",
        "lat": "41.9826",
        "long": "19.4233",
        "description": "Kanali është bllokuar; shkruani në banor@example.al ose 0691234567.",
        "attribute[channel_type]": "secondary",
        "attribute[cause][]": ["waste", "silt"],
        "attribute[length_m]": "120",
        "email": "banor@example.al",
        "first_name": "Arta",
        "last_name": "Gjoka",
        "phone": "0691234567",
        "device_id": "device-1",
        "account_id": "fms-42",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_request_then_read_it_back(client, key, fmt, channel_category):
    response = client.post(f"{BASE}requests.{fmt}", _post_data(key))
    assert response.status_code == 200, response.content
    if fmt == "xml":
        root = etree.fromstring(response.content)
        assert root.tag == "service_requests"
        (item,) = root.findall("request")
        assert [c.tag for c in item] == ["service_request_id", "service_notice", "account_id"]
        request_id = item.findtext("service_request_id")
        assert item.findtext("account_id") == "fms-42"
    else:
        (item,) = response.json()
        assert list(item) == ["service_request_id", "service_notice", "account_id"]
        request_id = item["service_request_id"]
    report = Report.objects.get(pk=int(request_id))
    assert report.channel == "open311" and report.status == "open"
    assert report.attributes == {
        "channel_type": "secondary",
        "cause": ["silt", "waste"],
        "length_m": "120",
    }
    assert report.cluster is not None and report.cluster.voices == 1
    root, body, *_ = both(client, f"requests/{request_id}", jurisdiction_id="shkoder")
    assert root.tag == "service_requests"
    assert_same_rows(root, body, "request", REQUEST_FIELDS)
    (row,) = body
    assert row["service_request_id"] == request_id
    assert row["status"] == "open"
    assert row["service_code"] == "irrigation-channel"
    assert row["service_name"] == "Kanal vaditës i bllokuar"
    assert row["lat"] == 41.9826 and row["long"] == 19.4233
    assert row["agency_responsible"] == "Drejtoria e Ujitjes dhe Kullimit"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(row[name]), row[name]
    # Personal data never leaves: no contact, and the description's email and phone are hidden.
    text = json.dumps(body)
    assert "banor@example.al" not in text and "0691234567" not in text and "Gjoka" not in text
    assert "[email]" in row["description"] and "[phone]" in row["description"]


def test_post_with_address_only_and_token_lookup(client, key, channel_category):
    data = _post_data(key, lat=None, long=None, address_string="Kanali pranë shkollës, Dajç")
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 200, response.content
    report = Report.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert report.lat is None and report.address == "Kanali pranë shkollës, Dajç"
    root, body, *_ = both(client, f"tokens/{report.token}", jurisdiction_id="shkoder")
    assert root.tag == "service_requests"
    assert_same_rows(root, body, "request", ["service_request_id", "token"])
    assert body == [{"service_request_id": str(report.pk), "token": str(report.token)}]
    root, body, x, _ = both(
        client, "tokens/00000000-0000-0000-0000-000000000000", jurisdiction_id="shkoder"
    )
    assert_error(root, body, 404, x, "token")
    # Another jurisdiction does not know the token.
    root, body, x, _ = both(client, f"tokens/{report.token}", jurisdiction_id="lezhe")
    assert_error(root, body, 404, x)


def test_multipart_media_upload_is_reencoded_and_served(client, key, channel_category):
    from PIL import Image

    data = _post_data(key)
    data["media"] = photo_upload(content=jpeg(exif_gps=True))
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 200, response.content
    request_id = response.json()[0]["service_request_id"]
    row = client.get(f"{BASE}requests/{request_id}.json", {"jurisdiction_id": "shkoder"}).json()[0]
    assert row["media_url"].startswith("http://testserver/open311/v2/media/")
    media = client.get(row["media_url"].removeprefix("http://testserver"))
    assert media.status_code == 200 and media["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(media.streaming_content)))
    assert dict(image.getexif()) == {}


BAD_INPUT = [
    ("missing location", {"lat": None, "long": None}, 400, "lat"),
    ("outside the municipality", {"lat": "40.10", "long": "19.95"}, 400, "lat/long: Ky vend"),
    ("not a number", {"lat": "north", "long": "19.4"}, 400, "lat/long: Gjerësia"),
    ("unknown service code", {"service_code": "spaceships"}, 404, "service_code"),
    ("no service code", {"service_code": ""}, 400, "service_code"),
    ("wrong number attribute", {"attribute[length_m]": "very long"}, 400, "attribute[length_m]"),
    (
        "value not in the list",
        {"attribute[channel_type]": "canal-grande"},
        400,
        "attribute[channel_type]",
    ),
    (
        "a required attribute missing",
        {"attribute[channel_type]": ""},
        400,
        "attribute[channel_type]",
    ),
    ("empty jurisdiction_id", {"jurisdiction_id": ""}, 400, "jurisdiction_id"),
    ("unknown jurisdiction_id", {"jurisdiction_id": "atlantis"}, 404, "jurisdiction_id"),
    ("bad api_key", {"api_key": "o311_forged"}, 403, "api_key"),
    ("no api_key", {"api_key": None}, 403, "api_key"),
    ("bad email", {"email": "not-an-email"}, 400, "email"),
]


@pytest.mark.parametrize(
    ("case", "change", "status", "fragment"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_gets_the_standards_error_and_nothing_is_stored(
    client, key, channel_category, case, change, status, fragment
):
    data = _post_data(key, **change)
    for fmt in ("xml", "json"):
        response = client.post(f"{BASE}requests.{fmt}", data)
        if fmt == "xml":
            root = etree.fromstring(response.content)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
            assert fragment in root.find("error/description").text or any(
                fragment in (e.findtext("description") or "") for e in root
            )
        else:
            body = response.json()
            assert any(fragment in e["description"] for e in body), body
            assert all(e["code"] == status for e in body)
        assert response.status_code == status
    assert Report.objects.count() == 0
    assert ReportEvent.objects.count() == 0


def test_errors_in_english_when_the_client_asks(client, key, channel_category):
    data = _post_data(key, lat="40.10", long="19.95")
    response = client.post(f"{BASE}requests.json?locale=en", data)
    assert response.json() == [
        {"code": 400, "description": "lat/long: This place is outside the municipality of Shkodër."}
    ]
    response = client.post(f"{BASE}requests.json", data, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert "outside the municipality" in response.json()[0]["description"]


def test_another_municipalitys_key_is_refused(client, lezhe, key, channel_category):
    lezhe_key = services.add_api_key(lezhe, "Lezhë app")
    response = client.post(f"{BASE}requests.json", _post_data(lezhe_key))
    assert response.status_code == 403
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.jpg", b"<?php system($_GET['c']); ?>"),
        ("doc.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
    ],
)
def test_fake_images_are_refused(client, key, channel_category, name, content):
    data = _post_data(key)
    data["media"] = photo_upload(name=name, content=content)
    response = client.post(f"{BASE}requests.xml", data)
    assert response.status_code == 400
    root = etree.fromstring(response.content)
    assert root.tag == "errors" and "media" in root.findtext("error/description")
    assert Report.objects.count() == 0


def test_oversized_images_are_refused(client, key, channel_category, settings):
    settings.SPORTEL_MAX_UPLOAD_PIXELS = 1000
    data = _post_data(key)
    data["media"] = photo_upload(content=jpeg(size=(100, 100)))
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 400
    assert "media" in response.json()[0]["description"]
    assert Report.objects.count() == 0


def test_posts_are_rate_limited_per_key(client, key, channel_category, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SPORTEL_OPEN311_POSTS_PER_KEY_MINUTE = 2
    codes = [
        client.post(f"{BASE}requests.json", _post_data(key, email=f"r{n}@x.al")).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    body = client.post(f"{BASE}requests.xml", _post_data(key)).content
    assert etree.fromstring(body).findtext("error/code") == "429"
    cache.clear()


# --- GET requests: filters and limits ----------------------------------------------------------


def test_get_requests_filters(client, shkoder, channel_category, specialist):
    from sportel.reports import actions
    from sportel.reports.models import Category

    pothole = Category.objects.get(municipality=shkoder, code="pothole")
    a = file_one(shkoder, channel_category, email="a@x.al")
    b = file_one(
        shkoder,
        pothole,
        email="b@x.al",
        answers={},
        lat=Decimal("42.0683"),
        long=Decimal("19.5126"),
    )
    actions.perform(b, "fix", actor=specialist, text="Mbushur me asfalt")
    root, body, *_ = both(client, "requests", jurisdiction_id="shkoder")
    assert_same_rows(root, body, "request", REQUEST_FIELDS)
    assert [r["service_request_id"] for r in body] == [str(b.pk), str(a.pk)]  # newest first
    by_id = {r["service_request_id"]: r for r in body}
    assert by_id[str(b.pk)]["status"] == "closed"
    assert by_id[str(b.pk)]["status_notes"] == "Mbushur me asfalt"

    def ids(**p):
        return [
            r["service_request_id"]
            for r in client.get(f"{BASE}requests.json", {"jurisdiction_id": "shkoder", **p}).json()
        ]

    assert ids(status="open") == [str(a.pk)]
    assert ids(status="closed") == [str(b.pk)]
    assert ids(status="open,closed") == [str(b.pk), str(a.pk)]
    assert ids(service_code="pothole") == [str(b.pk)]
    assert ids(service_code="pothole,irrigation-channel") == [str(b.pk), str(a.pk)]
    assert ids(service_request_id=f"{a.pk}") == [str(a.pk)]
    assert ids(service_request_id=f"{a.pk},{b.pk}", status="open") == [str(b.pk), str(a.pk)]
    assert ids(jurisdiction_id="lezhe") == []
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    assert ids(start_date=tomorrow) == []
    assert ids(page_size="1") == [str(b.pk)]
    assert ids(page_size="1", page="2") == [str(a.pk)]
    assert ids(page_size="1", page="3") == []


def test_unconfirmed_reports_are_not_public(client, shkoder, channel_category):
    report = file_one(shkoder, channel_category, confirmed=False)
    assert report.status == "unconfirmed"
    assert client.get(f"{BASE}requests.json", {"jurisdiction_id": "shkoder"}).json() == []
    response = client.get(f"{BASE}requests/{report.pk}.json", {"jurisdiction_id": "shkoder"})
    assert response.status_code == 404


def test_request_of_another_jurisdiction_is_not_found(client, shkoder, channel_category):
    report = file_one(shkoder, channel_category)
    root, body, x, _ = both(client, f"requests/{report.pk}", jurisdiction_id="lezhe")
    assert_error(root, body, 404, x, "service_request_id")


LIMIT_ERRORS = [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45"}, "end_date"),
    ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "before"),
    ({"page_size": "1001"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page": "x"}, "page"),
    ({"status": "pending"}, "status"),
    ({"service_request_id": "1;DROP"}, "service_request_id"),
]


@pytest.mark.parametrize(("params", "fragment"), LIMIT_ERRORS)
def test_get_requests_limits_and_bad_arguments(client, categories, params, fragment):
    root, body, x, _ = both(client, "requests", jurisdiction_id="shkoder", **params)
    assert_error(root, body, 400, x, fragment)


def test_unknown_service_code_filter_is_404(client, categories):
    root, body, x, _ = both(client, "requests", jurisdiction_id="shkoder", service_code="ufo")
    assert_error(root, body, 404, x, "service_code")


def test_default_window_is_ninety_days_and_at_most_1000_records(client, shkoder, channel_category):
    now = timezone.now()
    old = file_one(shkoder, channel_category, email="old@x.al")
    Report.objects.filter(pk=old.pk).update(requested_at=now - timedelta(days=91))
    template = Report.objects.get(pk=file_one(shkoder, channel_category, email="t@x.al").pk)
    rows = []
    for n in range(1005):
        template.pk = None
        template.token = __import__("uuid").uuid4()
        template.requested_at = now - timedelta(minutes=n + 1)
        rows.append(
            Report(
                **{f.attname: getattr(template, f.attname) for f in Report._meta.concrete_fields}
            )
        )
    Report.objects.bulk_create(rows)
    body = client.get(f"{BASE}requests.json", {"jurisdiction_id": "shkoder"}).json()
    assert len(body) == 1000
    assert str(old.pk) not in {r["service_request_id"] for r in body}
    xml = etree.fromstring(
        client.get(f"{BASE}requests.xml", {"jurisdiction_id": "shkoder"}).content
    )
    assert len(xml.findall("request")) == 1000
    second = client.get(f"{BASE}requests.json", {"jurisdiction_id": "shkoder", "page": "2"}).json()
    assert len(second) == 6  # 1005 copies + the template - 1000 on the first page
    # The 91-day-old report is found when asked for explicitly.
    start = (now - timedelta(days=95)).isoformat()
    end = (now - timedelta(days=90)).isoformat()
    found = client.get(
        f"{BASE}requests.json", {"jurisdiction_id": "shkoder", "start_date": start, "end_date": end}
    ).json()
    assert [r["service_request_id"] for r in found] == [str(old.pk)]


def test_extensions_add_extended_attributes(client, shkoder, channel_category, specialist):
    from sportel.reports import actions

    a = file_one(
        shkoder, channel_category, email="a@x.al", photos=services.check_photos([photo_upload()])
    )
    b = file_one(shkoder, channel_category, email="b@x.al", n=1)
    actions.perform(b, "mark_duplicate", actor=specialist, original=a, text="Same channel")
    actions.perform(a, "note", actor=specialist, text="Crew booked, call 0691234567", public=True)
    root, body, *_ = both(client, "requests", jurisdiction_id="shkoder", extensions="true")
    fields = [
        "detailed_status",
        "duplicate",
        "parent_service_request_id",
        "cluster_id",
        "administrative_unit",
        "notes",
        "photos",
    ]
    by_id = {r["service_request_id"]: r for r in body}
    for element in root.findall("request"):
        assert [c.tag for c in element] == [*REQUEST_FIELDS, "extended_attributes"]
        row = by_id[element.findtext("service_request_id")]
        extended = element.find("extended_attributes")
        assert [c.tag for c in extended] == fields
        assert list(row["extended_attributes"]) == fields
        for name in (
            "detailed_status",
            "duplicate",
            "parent_service_request_id",
            "cluster_id",
            "administrative_unit",
        ):
            assert xml_value(extended.findtext(name)) == json_as_xml_text(
                row["extended_attributes"][name]
            )
        assert [p.text for p in extended.find("photos")] == row["extended_attributes"]["photos"]
        assert [
            (n.findtext("datetime"), n.findtext("description")) for n in extended.find("notes")
        ] == [(n["datetime"], n["description"]) for n in row["extended_attributes"]["notes"]]
    dup = by_id[str(b.pk)]["extended_attributes"]
    assert dup["duplicate"] is True and dup["parent_service_request_id"] == str(a.pk)
    assert dup["detailed_status"] == "DUPLICATE"
    orig = by_id[str(a.pk)]["extended_attributes"]
    assert orig["notes"][-1]["description"] == "Crew booked, call [phone]"
    assert len(orig["photos"]) == 1
    plain = client.get(f"{BASE}requests.json", {"jurisdiction_id": "shkoder"}).json()
    assert all("extended_attributes" not in r for r in plain)


# --- servicerequestupdates (mySociety) -------------------------------------------------------


def test_service_request_updates_get_and_post(client, shkoder, key, channel_category, specialist):
    from sportel.reports import actions

    report = file_one(shkoder, channel_category)
    actions.perform(report, "start", actor=specialist, text="Ekipi është nisur")
    actions.perform(report, "note", actor=specialist, text="Internal only", public=False)
    actions.perform(report, "fix", actor=specialist, text="Kanali u pastrua")
    root, body, *_ = both(client, "servicerequestupdates", jurisdiction_id="shkoder")
    assert root.tag == "service_request_updates"
    assert_same_rows(root, body, "request_update", UPDATE_FIELDS)
    assert [(u["status"], u["description"]) for u in body] == [
        ("IN_PROGRESS", "Ekipi është nisur"),
        ("FIXED", "Kanali u pastrua"),
    ]
    assert all(u["status"] in UPDATE_STATUSES and W3C.match(u["updated_datetime"]) for u in body)
    # A FixMyStreet-style client says it is not fixed: OPEN reopens it.
    data = {
        "jurisdiction_id": "shkoder",
        "api_key": key,
        "service_request_id": str(report.pk),
        "update_id": "fms-7",
        "status": "OPEN",
        "description": "Still blocked at the bridge",
        "updated_datetime": timezone.now().isoformat(),
    }
    response = client.post(f"{BASE}servicerequestupdates.xml", data)
    assert response.status_code == 200, response.content
    root = etree.fromstring(response.content)
    assert root.tag == "service_request_updates"
    assert [c.tag for c in root.find("request_update")] == ["update_id"]
    update_id = root.findtext("request_update/update_id")
    report.refresh_from_db()
    assert report.status == "open" and report.cluster.reopenings == 1
    # The same update again (a retry) is not applied twice.
    again = client.post(f"{BASE}servicerequestupdates.json", data).json()
    assert again == [{"update_id": update_id}]
    assert ReportEvent.objects.filter(external_id="fms-7").count() == 1
    bad = client.post(f"{BASE}servicerequestupdates.json", {**data, "api_key": "nope"})
    assert bad.status_code == 403
    missing = client.post(
        f"{BASE}servicerequestupdates.json",
        {**data, "service_request_id": "999999", "update_id": "x"},
    )
    assert missing.status_code == 404
    wrong = client.post(
        f"{BASE}servicerequestupdates.json", {**data, "status": "MAYBE", "update_id": "y"}
    )
    assert wrong.status_code == 400 and "status" in wrong.json()[0]["description"]
    span = client.get(
        f"{BASE}servicerequestupdates.json",
        {
            "jurisdiction_id": "shkoder",
            "start_date": "2026-01-01T00:00:00Z",
            "end_date": "2026-12-01T00:00:00Z",
        },
    )
    assert span.status_code == 400


def test_wrong_methods_and_formats(client, categories):
    assert client.delete(f"{BASE}requests.json").status_code == 405
    assert client.get(f"{BASE}requests.csv", {"jurisdiction_id": "shkoder"}).status_code == 404


# --- Idempotency-Key (as the services API takes it) ------------------------------------------


def _stored_counts():
    from sportel.core.models import AuditEntry
    from sportel.reports.models import ClusterVoice, ReportPhoto

    return (
        Report.objects.count(),
        ReportEvent.objects.count(),
        ReportPhoto.objects.count(),
        ClusterVoice.objects.count(),
        AuditEntry.objects.count(),
    )


def test_post_request_replayed_with_its_idempotency_key(
    client, shkoder, lezhe, key, channel_category
):
    headers = {"Idempotency-Key": "fms-retry-1"}
    data = _post_data(key, media=photo_upload())
    first = client.post(f"{BASE}requests.xml", data, headers=headers)
    assert first.status_code == 200, first.content
    assert "Idempotent-Replayed" not in first
    request_id = etree.fromstring(first.content).findtext("request/service_request_id")
    stored = _stored_counts()
    # The client retries (its connection dropped): the first answer again, nothing stored twice.
    again = client.post(
        f"{BASE}requests.json", _post_data(key, media=photo_upload()), headers=headers
    )
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == [
        {"service_request_id": request_id, "service_notice": None, "account_id": "fms-42"}
    ]
    xml_again = client.post(f"{BASE}requests.xml", _post_data(key), headers=headers)
    assert xml_again["Idempotent-Replayed"] == "true"
    assert etree.fromstring(xml_again.content).findtext("request/service_request_id") == request_id
    assert _stored_counts() == stored
    # Another key is another report; the same key from another application is too.
    other = client.post(f"{BASE}requests.json", _post_data(key), headers={"Idempotency-Key": "2"})
    assert "Idempotent-Replayed" not in other
    assert other.json()[0]["service_request_id"] != request_id
    second_app = services.add_api_key(shkoder, "Another app")
    theirs = client.post(f"{BASE}requests.json", _post_data(second_app), headers=headers)
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()[0]["service_request_id"] not in (
        request_id,
        other.json()[0]["service_request_id"],
    )
    assert Report.objects.count() == stored[0] + 2


def test_too_long_idempotency_key_is_the_standards_400(client, key, channel_category):
    stored = _stored_counts()
    for fmt in ("xml", "json"):
        response = client.post(
            f"{BASE}requests.{fmt}", _post_data(key), headers={"Idempotency-Key": "k" * 101}
        )
        assert response.status_code == 400
        if fmt == "json":
            (error,) = response.json()
            assert error["code"] == 400 and "Idempotency-Key" in error["description"]
        else:
            root = etree.fromstring(response.content)
            assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert _stored_counts() == stored
    ok = client.post(
        f"{BASE}requests.json", _post_data(key), headers={"Idempotency-Key": "k" * 100}
    )
    assert ok.status_code == 200


def test_service_request_update_replayed_with_its_idempotency_key(
    client, shkoder, key, channel_category
):
    report = file_one(shkoder, channel_category)
    data = {
        "jurisdiction_id": "shkoder",
        "api_key": key,
        "service_request_id": str(report.pk),
        "status": "OPEN",
        "description": "Ende e bllokuar te ura",
    }
    headers = {"Idempotency-Key": "upd-1"}
    first = client.post(f"{BASE}servicerequestupdates.json", data, headers=headers)
    assert first.status_code == 200, first.content
    assert "Idempotent-Replayed" not in first
    stored = _stored_counts()
    again = client.post(f"{BASE}servicerequestupdates.xml", data, headers=headers)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert (
        etree.fromstring(again.content).findtext("request_update/update_id")
        == (first.json()[0]["update_id"])
    )
    assert _stored_counts() == stored
    # Without a key (and without update_id) a second comment is a second update.
    plain = client.post(f"{BASE}servicerequestupdates.json", data)
    assert plain.json()[0]["update_id"] != first.json()[0]["update_id"]
    assert ReportEvent.objects.filter(report=report, action="comment").count() == 2


def test_times_are_w3c_in_local_time_with_the_offset_of_their_season(
    client, shkoder, channel_category
):
    """Winter (+01:00) and summer (+02:00) times, as the database writes them on PostgreSQL and
    Python on SQLite: the same text either way."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    utc = ZoneInfo("UTC")
    winter = file_one(shkoder, channel_category, email="w@x.al")
    summer = file_one(shkoder, channel_category, email="s@x.al", n=50)
    Report.objects.filter(pk=winter.pk).update(
        requested_at=datetime(2026, 1, 15, 7, 5, 9, tzinfo=utc),
        updated_at=datetime(2026, 1, 15, 23, 30, tzinfo=utc),
        expected_at=None,
    )
    Report.objects.filter(pk=summer.pk).update(
        requested_at=datetime(2026, 7, 15, 22, 30, tzinfo=utc),
        updated_at=datetime(2026, 7, 16, 1, 0, tzinfo=utc),
    )
    body = client.get(
        f"{BASE}requests.json",
        {
            "jurisdiction_id": "shkoder",
            "service_request_id": f"{winter.pk},{summer.pk}",
        },
    ).json()
    rows = {row["service_request_id"]: row for row in body}
    assert rows[str(winter.pk)]["requested_datetime"] == "2026-01-15T08:05:09+01:00"
    assert rows[str(winter.pk)]["updated_datetime"] == "2026-01-16T00:30:00+01:00"
    assert rows[str(winter.pk)]["expected_datetime"] is None
    assert rows[str(summer.pk)]["requested_datetime"] == "2026-07-16T00:30:00+02:00"
    assert rows[str(summer.pk)]["updated_datetime"] == "2026-07-16T03:00:00+02:00"
    xml = etree.fromstring(
        client.get(
            f"{BASE}requests.xml",
            {"jurisdiction_id": "shkoder", "service_request_id": str(winter.pk)},
        ).content
    )
    assert xml.findtext("request/requested_datetime") == "2026-01-15T08:05:09+01:00"
