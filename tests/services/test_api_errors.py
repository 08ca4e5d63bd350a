"""The API's one error shape, as docs/api.md promises: every 4xx is ``{"detail": str, "code":
str}`` (field messages under ``errors``), in the caller's language; the OpenAPI document lists
every status an operation can answer; a replayed Idempotency-Key says so."""

import json

import pytest
from django.test import Client

from sportel.services.models import Application, Bundle, Case

from .factories import INFO, submit

API = "/api/v1"
APPLY = f"{API}/municipalities/shkoder/applications"
BODY = {"service": "public-information-request", "data": INFO}


def post(client, url, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers)


def assert_shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code
    return body


# --- the shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "The request body cannot be read as JSON."),
        ("sq", "Trupi i kërkesës nuk lexohet si JSON."),
    ],
)
def test_an_unparsable_body_is_400_in_the_shape(client, citizen, language, detail):
    client.force_login(citizen)
    response = post(client, APPLY, '{"service": "public-inf', **{"Accept-Language": language})
    body = assert_shape(response, 400, "bad_body")
    assert body["detail"] == detail
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("language", "required", "choose"),
    [
        ("en", "This field is required.", "Choose one of: 'online', 'counter', 'kiosk'."),
        (
            "sq",
            "Kjo fushë është e domosdoshme.",
            "Zgjidhni një nga: 'online', 'counter', 'kiosk'.",
        ),
    ],
)
def test_request_validation_is_422_with_a_sentence_and_the_fields(
    client, citizen, language, required, choose
):
    client.force_login(citizen)
    response = post(client, APPLY, {"channel": "fax"}, **{"Accept-Language": language})
    body = assert_shape(response, 422, "invalid_request")
    assert body["errors"] == {"service": [required], "channel": [choose]}
    assert "service" in body["detail"] and "channel" in body["detail"]


def test_a_query_parameter_of_the_wrong_type_is_422_naming_it(verified_client, specialist):
    client = verified_client(specialist)
    response = client.get(f"{API}/municipalities/shkoder/cases?limit=ten&lang=en")
    body = assert_shape(response, 422, "invalid_request")
    assert body["errors"] == {"limit": ["Enter a whole number."]}


@pytest.mark.parametrize(
    ("language", "detail"),
    [("en", "Log in first: this needs an account."), ("sq", "Hyni më parë: kjo kërkon llogari.")],
)
def test_no_session_is_401_in_the_shape(client, catalogue, language, detail):
    for response in (
        client.get(f"{API}/me/applications", headers={"Accept-Language": language}),
        post(client, APPLY, BODY, **{"Accept-Language": language}),
        client.get(f"{API}/municipalities/shkoder/cases", headers={"Accept-Language": language}),
    ):
        assert assert_shape(response, 401, "not_authenticated")["detail"] == detail
    assert not Case.objects.exists()


def test_a_post_without_the_csrf_token_is_403_and_with_it_goes_through(citizen):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    refused = post(client, APPLY, BODY, **{"Accept-Language": "en"})
    body = assert_shape(refused, 403, "csrf_failed")
    assert "X-CSRFToken" in body["detail"]
    assert not Case.objects.exists()
    client.get("/account/")  # any page sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = post(client, APPLY, BODY, **{"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content


def test_staff_refusals_say_why(client, verified_client, shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    client.force_login(specialist)  # second factor not passed
    response = client.get(f"{API}/municipalities/shkoder/cases?lang=en")
    assert assert_shape(response, 403, "second_factor_required")["detail"] == (
        "Complete two-step verification first."
    )
    client.force_login(citizen)
    response = client.get(f"{API}/municipalities/shkoder/cases/{case.number}?lang=en")
    assert assert_shape(response, 403, "forbidden")["detail"] == (
        "You do not have permission to do this in this municipality."
    )
    staff = verified_client(specialist)
    assert_shape(staff.get(f"{API}/municipalities/atlantis/cases"), 404, "not_found")
    assert_shape(staff.get(f"{API}/municipalities/shkoder/cases/SHK-1999-99999"), 404, "not_found")
    url = f"{API}/municipalities/shkoder/cases/SHK-1999-99999/transitions"
    assert_shape(post(staff, url, {"action": "start"}), 404, "not_found")


def test_a_path_the_api_does_not_have_is_404_in_the_shape(client, db):
    response = client.get(f"{API}/no-such-thing", headers={"Accept-Language": "en"})
    assert assert_shape(response, 404, "not_found")["detail"] == "Not found."
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


# --- server errors found by fuzzing -------------------------------------------------------------


@pytest.mark.parametrize("assignee", ["abc", "-1", "1.5", "none; drop"])
def test_a_malformed_assignee_filter_is_400_not_500(verified_client, specialist, assignee):
    client = verified_client(specialist)
    response = client.get(
        f"{API}/municipalities/shkoder/cases", {"assignee": assignee, "lang": "en"}
    )
    body = assert_shape(response, 400, "invalid")
    assert body["errors"] == {
        "assignee": ["Give the assignee as a user id, or “none” for cases nobody is assigned to."]
    }


def test_the_assignee_filter_takes_an_id_or_none(verified_client, shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    client = verified_client(specialist)
    base = f"{API}/municipalities/shkoder/cases"
    assert client.get(base, {"assignee": "none"}).json()["count"] == 1
    assert client.get(base, {"assignee": str(specialist.pk)}).json()["count"] == 0
    case.refresh_from_db()
    assert case.assignee_id is None


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (APPLY, BODY),
        (f"{API}/municipalities/shkoder/drafts", {"service": "public-information-request"}),
    ],
)
def test_an_idempotency_key_over_100_characters_is_400_and_creates_nothing(
    client, citizen, url, body
):
    client.force_login(citizen)
    response = post(client, url, body, **{"Idempotency-Key": "k" * 101, "Accept-Language": "en"})
    body_ = assert_shape(response, 400, "too_long")
    assert body_["errors"] == {
        "Idempotency-Key": ["The Idempotency-Key header is at most 100 characters long."]
    }
    assert not Application.objects.exists()
    # Exactly 100 is allowed, on SQLite and PostgreSQL alike.
    assert post(client, url, body, **{"Idempotency-Key": "k" * 100}).status_code == 201


# --- a replay says it is one --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "model"),
    [
        (APPLY, BODY, Case),
        (f"{API}/municipalities/shkoder/drafts", {"service": "family-certificate"}, Application),
        (
            f"{API}/municipalities/shkoder/life-events/moving-home",
            {"new_address": "Rruga Kiri 3", "consent": True},
            Bundle,
        ),
    ],
)
def test_a_replayed_idempotency_key_returns_the_same_body_and_says_so(
    client, citizen, url, body, model
):
    client.force_login(citizen)
    first = post(client, url, body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    count = model.objects.count()
    again = post(client, url, body, **{"Idempotency-Key": "retry-1"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert model.objects.count() == count
    other = post(client, url, body, **{"Idempotency-Key": "retry-2"})
    assert "Idempotent-Replayed" not in other
    assert model.objects.count() > count


# --- the OpenAPI document lists what each operation can answer ---------------------------------


def _applicable(method: str, path: str, operation: dict) -> set[str]:
    """The error statuses an operation can answer, read from what it takes."""
    parameters = operation.get("parameters", [])
    statuses = set()
    if parameters or "requestBody" in operation:
        statuses.add("422")  # a parameter or a body field of the wrong type
    if any(p["in"] == "path" for p in parameters):
        statuses.add("404")  # an unknown municipality or object
    if "requestBody" in operation:
        statuses.add("400")  # an unparsable body, or a value the domain refuses
    if operation.get("security"):
        statuses.add("401")  # no session
        if method != "get" or "/cases" in path:
            statuses.add("403")  # no CSRF token; for staff also no second factor or role
    if any(p["name"] in ("Idempotency-Key", "assignee") for p in parameters):
        statuses.add("400")
    return statuses


def test_every_operation_declares_every_status_it_can_answer(client):
    schema = client.get(f"{API}/openapi.json").json()
    missing = {}
    checked = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            lacking = _applicable(method, path, operation) - declared
            if lacking:
                missing[f"{method.upper()} {path}"] = sorted(lacking)
            for status in declared - {"200", "201"}:
                if status.startswith("4"):
                    content = operation["responses"][status]["content"]["application/json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Error"}, path
            checked += 1
    assert checked >= 20
    assert not missing, missing
    for path, methods in schema["paths"].items():
        for operation in methods.values():
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                # A create's 201; a note's 200 (the case's transitions take a key for notes).
                created = operation["responses"].get("201") or operation["responses"]["200"]
                assert "Idempotent-Replayed" in created["headers"], path
                assert created["content"]["application/json"]["schema"]["$ref"], path
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code"]
    assert sorted(error["properties"]) == ["code", "detail", "errors"]


# --- every operation, probed with bad input: never a 5xx, always a declared status and the shape


def _url(path: str, values: dict) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _calls(schema):
    """(method, path, operation) for every operation of the OpenAPI document."""
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _check(response, operation, label):
    status = str(response.status_code)
    assert response.status_code < 500, label
    assert status in operation["responses"], f"{label} answered {status}, not declared"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["detail"], str) and isinstance(body["code"], str), label


@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff"])
def test_bad_input_to_every_operation_gets_a_declared_status_in_the_shape(
    client, verified_client, shkoder, citizen, specialist, who
):
    case = submit(shkoder, citizen)
    if who == "citizen":
        client.force_login(citizen)
    elif who == "staff":
        client = verified_client(specialist)
    schema = client.get(f"{API}/openapi.json").json()
    real = {"slug": "shkoder", "number": case.number, "code": case.tracking_code, "draft_id": "1"}
    wrong = {"slug": "atlantis", "number": "X-1", "code": "zz", "draft_id": "999999"}
    for method, path, operation in _calls(schema):
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for values in (real, wrong):
            url = _url(path, values)
            label = f"{who} {method.upper()} {url}"
            if method == "get":
                _check(client.get(url), operation, label)
                for name in query:  # a word where a number, a flag or an id belongs
                    bad = client.get(url, {name: "abc"})
                    _check(bad, operation, f"{label} ?{name}=abc")
                continue
            for body in ("{not json", "[]", "{}", json.dumps({"service": ["x"], "data": 5})):
                response = client.generic(
                    method.upper(), url, body, content_type="application/json"
                )
                _check(response, operation, f"{label} {body}")
