"""A category's questions (Open311 attributes), set up by the municipality's administrator: add,
change, reorder, retire and bring back; a list's answers added, renamed and retired. What each
change does to the Open311 service definition (XML and JSON, field by field), to the web and
counter forms, to Open311 POST validation, and to reports that already answered."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from lxml import etree

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.reports import configuration, services
from sportel.reports.models import Category, CategoryAttribute, Report

from .conftest import file_one
from .test_open311 import ATTRIBUTE_FIELDS, DATATYPES, assert_error, json_as_xml_text, xml_value

BASE = "/shkoder/staff/reports/configure/categories/"
OPEN311 = "/open311/v2/"
DEPTH = {
    "code": "water_depth",
    "datatype": "singlevaluelist",
    "required": "on",
    "variable": "on",
    "description_sq": "Sa i thellë është uji?",
    "description_en": "How deep is the water?",
    "datatype_description_sq": "Zgjidhni më të afërtën.",
    "datatype_description_en": "Choose the closest.",
    "new-1-key": "ankle",
    "new-1-name_sq": "Deri te kyçi",
    "new-1-name_en": "Up to the ankle",
    "new-2-key": "knee",
    "new-2-name_sq": "Deri te gjuri",
    "new-2-name_en": "Up to the knee",
    "new-3-key": "",
    "new-3-name_sq": "",
    "new-3-name_en": "",
}


@pytest.fixture
def admin(shkoder, make_staff):
    return make_staff(shkoder, Role.ADMINISTRATOR)


@pytest.fixture
def staff(admin, verified_client):
    return verified_client(admin)


@pytest.fixture
def key(shkoder, categories):
    return services.add_api_key(shkoder, "Question test app")


def definition(code="irrigation-channel", **params):
    """The service definition in XML and JSON, checked to be the same field by field."""
    public = Client()
    responses = {
        fmt: public.get(f"{OPEN311}services/{code}.{fmt}", {"jurisdiction_id": "shkoder", **params})
        for fmt in ("xml", "json")
    }
    assert responses["xml"].status_code == responses["json"].status_code == 200
    root = etree.fromstring(responses["xml"].content)
    body = json.loads(responses["json"].content)
    assert root.tag == "service_definition" and list(body) == ["service_code", "attributes"]
    elements = root.find("attributes").findall("attribute")
    assert len(elements) == len(body["attributes"])
    for element, attribute in zip(elements, body["attributes"], strict=True):
        is_list = attribute["datatype"] in ("singlevaluelist", "multivaluelist")
        expected = ATTRIBUTE_FIELDS + (["values"] if is_list else [])
        assert [c.tag for c in element] == expected == list(attribute)
        assert attribute["datatype"] in DATATYPES
        for name in ATTRIBUTE_FIELDS:
            assert xml_value(element.findtext(name)) == json_as_xml_text(attribute[name]), name
        if is_list:
            assert [
                (v.findtext("key"), v.findtext("name"))
                for v in element.find("values").findall("value")
            ] == [(v["key"], v["name"]) for v in attribute["values"]]
    # Open311: order 1 is asked first; ours are 1..n, as listed.
    assert [a["order"] for a in body["attributes"]] == list(range(1, len(body["attributes"]) + 1))
    return {a["code"]: a for a in body["attributes"]}, [a["code"] for a in body["attributes"]]


def post(key, fmt="json", **attributes):
    data = {
        "jurisdiction_id": "shkoder",
        "api_key": key,
        "service_code": "irrigation-channel",
        "lat": "41.9826",
        "long": "19.4233",
        "description": "Uji del nga kanali.",
        "email": "banor@example.al",
        "attribute[channel_type]": "primary",
    }
    for name, value in attributes.items():
        data[f"attribute[{name}]"] = value
    return Client().post(
        f"{OPEN311}requests.{fmt}?locale=en", {k: v for k, v in data.items() if v is not None}
    )


def logged_in(user) -> Client:
    """A client of its own, logged in as ``user`` with the second factor passed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    own = Client()
    own.force_login(user)
    session = own.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return own


def add_depth(staff, category, **change):
    return staff.post(f"{BASE}{category.pk}/questions/new/", {**DEPTH, **change})


# --- adding a list question: everywhere at once -------------------------------------------------


def test_administrator_adds_a_list_question_that_every_channel_asks(
    shkoder, channel_category, admin, staff, key, clerk
):
    response = add_depth(staff, channel_category)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = CategoryAttribute.objects.get(category=channel_category, code="water_depth")
    assert (question.datatype, question.required, question.variable) == (
        "singlevaluelist",
        True,
        True,
    )
    assert [v["key"] for v in question.values] == ["ankle", "knee"]
    entry = AuditEntry.objects.get(action="reports.question_create")
    assert entry.actor == admin and entry.data["code"] == "water_depth"
    assert entry.data["values"] == {"added": ["ankle", "knee"]}
    # A list question opens its own page after creation, to check its answers.
    assert response["Location"].endswith(f"/questions/{question.pk}/")
    listing = staff.get(f"/en{BASE}{channel_category.pk}/").content.decode()
    assert 'id="question-water_depth"' in listing and "How deep is the water?" in listing

    by_code, order = definition()
    assert order[-1] == "water_depth" and len(order) == 5
    depth = by_code["water_depth"]
    assert depth["required"] is True and depth["variable"] is True
    assert depth["description"] == "Sa i thellë është uji?"
    assert depth["datatype_description"] == "Zgjidhni më të afërtën."
    assert depth["values"] == [
        {"key": "ankle", "name": "Deri te kyçi"},
        {"key": "knee", "name": "Deri te gjuri"},
    ]
    english, _order = definition(locale="en")
    assert english["water_depth"]["values"][1] == {"key": "knee", "name": "Up to the knee"}

    # The web form and the counter ask it.
    web = Client().get(
        "/en/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9826&long=19.4233"
    )
    html = web.content.decode()
    assert 'name="water_depth"' in html and "How deep is the water?" in html
    assert "Up to the knee" in html
    counter = logged_in(clerk).get(
        "/en/shkoder/staff/reports/counter/?channel=counter&category=irrigation-channel"
    )
    assert 'name="water_depth"' in counter.content.decode()

    # Open311 POST checks it: missing (required), unknown value; nothing stored.
    for fmt in ("json", "xml"):
        for value, fragment in ((None, "attribute[water_depth]"), ("waist", "water_depth")):
            refused = post(key, fmt, water_depth=value)
            if fmt == "json":
                body = refused.json()
                assert refused.status_code == 400 and body[0]["code"] == 400
                assert any(fragment in e["description"] for e in body), body
            else:
                root = etree.fromstring(refused.content)
                assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert Report.objects.count() == 0
    accepted = post(key, water_depth="knee")
    assert accepted.status_code == 200, accepted.content
    report = Report.objects.get()
    assert report.attributes["water_depth"] == "knee"


def test_the_web_form_refuses_a_missing_required_answer_then_files_it(
    shkoder, channel_category, staff
):
    assert add_depth(staff, channel_category).status_code == 302
    form = {
        "lat": "41.9826",
        "long": "19.4233",
        "channel_type": "primary",
        "description": "Uji del nga kanali.",
        "email": "a@x.al",
    }
    public = Client()
    url = "/en/shkoder/reports/new/irrigation-channel/"
    refused = public.post(url, form)
    assert refused.status_code == 400
    assert "Answer the question: How deep is the water?" in refused.content.decode()
    assert Report.objects.count() == 0
    assert public.post(url, {**form, "water_depth": "ankle"}).status_code == 302
    assert Report.objects.get().attributes["water_depth"] == "ankle"


@pytest.mark.parametrize(
    ("datatype", "good", "bad", "fragment"),
    [
        ("number", "12,5", "a lot", "give a number"),
        ("datetime", "2026-05-01T08:30", "yesterday", "give a date and time"),
        ("string", "Pranë urës", "one\nline\ntoo many", "one line only"),
        ("text", "Shumë rreshta\nme tekst", None, None),
    ],
)
def test_each_datatype_is_checked_by_open311_post(
    shkoder, channel_category, admin, key, datatype, good, bad, fragment
):
    configuration.save_question(
        channel_category,
        actor=admin,
        data={"code": "extra", "datatype": datatype, "description_sq": "Diçka?", "variable": True},
    )
    by_code, _order = definition()
    assert by_code["extra"]["datatype"] == datatype and "values" not in by_code["extra"]
    if bad is not None:
        refused = post(key, extra=bad)
        assert refused.status_code == 400
        assert any(fragment in e["description"] for e in refused.json()), refused.json()
        assert Report.objects.count() == 0
    assert post(key, extra=good).status_code == 200
    assert Report.objects.get().attributes["extra"]


def test_a_multivaluelist_question_with_several_answers(shkoder, channel_category, admin, key):
    configuration.save_question(
        channel_category,
        actor=admin,
        data={
            "code": "smells",
            "datatype": "multivaluelist",
            "description_sq": "Çfarë ndjeni?",
            "variable": True,
            "values": [
                {"new": True, "key": "sewage", "name_sq": "Ujëra të zeza"},
                {"new": True, "key": "dead-fish", "name_sq": "Peshk i ngordhur"},
            ],
        },
    )
    data = {
        "jurisdiction_id": "shkoder",
        "api_key": key,
        "service_code": "irrigation-channel",
        "lat": "41.9826",
        "long": "19.4233",
        "attribute[channel_type]": "primary",
        "attribute[smells][]": ["sewage", "dead-fish"],
    }
    bad = Client().post(f"{OPEN311}requests.json", {**data, "attribute[smells][]": ["x"]})
    assert bad.status_code == 400 and Report.objects.count() == 0
    assert Client().post(f"{OPEN311}requests.json", data).status_code == 200
    assert Report.objects.get().attributes["smells"] == ["dead-fish", "sewage"]


# --- order ----------------------------------------------------------------------------------------


def test_moving_a_question_changes_the_order_everywhere(shkoder, channel_category, staff):
    _by_code, before = definition()
    assert before == ["channel_type", "cause", "length_m", "fields_dry"]
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    url = f"{BASE}{channel_category.pk}/questions/{length.pk}/move/"
    assert staff.post(url, {"direction": "up"}).status_code == 302
    assert staff.post(url, {"direction": "up"}).status_code == 302
    _by_code, after = definition()
    assert after == ["length_m", "channel_type", "cause", "fields_dry"]
    # At the top already: nothing changes.
    assert staff.post(url, {"direction": "up"}).status_code == 302
    assert definition()[1] == after
    fields = (
        Client()
        .get("/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9826&long=19.4233")
        .content.decode()
    )
    assert fields.index('name="length_m"') < fields.index('name="channel_type"')
    assert staff.post(url, {"direction": "down"}).status_code == 302
    assert definition()[1] == ["channel_type", "length_m", "cause", "fields_dry"]
    entries = AuditEntry.objects.filter(action="reports.question_move")
    assert entries.count() == 3  # the move that changed nothing is not recorded
    assert entries.order_by("pk").last().data["order"] == definition()[1]


# --- retiring -------------------------------------------------------------------------------------


def test_an_answered_question_is_retired_its_answers_stay_then_it_is_asked_again(
    shkoder, channel_category, admin, staff, key, specialist
):
    filed = file_one(
        shkoder, channel_category, answers={"channel_type": "primary", "length_m": "80"}
    )
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    url = f"{BASE}{channel_category.pk}/questions/{length.pk}/active/"
    response = staff.post(f"/en{url}", {"active": "0"}, follow=True)
    assert "is retired" in response.content.decode()
    length.refresh_from_db()
    assert not length.is_active
    by_code, order = definition()
    assert order == ["channel_type", "cause", "fields_dry"] and "length_m" not in by_code
    public = Client()
    form = public.get(
        "/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9826&long=19.4233"
    ).content.decode()
    assert 'name="length_m"' not in form
    # The report that answered keeps its answer, shown to the public and to staff.
    detail = public.get(f"/en/shkoder/reports/r/{filed.pk}/").content.decode()
    assert "How many metres are blocked?" in detail and "80" in detail
    page = logged_in(specialist).get(f"/en/shkoder/staff/reports/{filed.pk}/").content.decode()
    assert "How many metres are blocked?" in page
    # An application still sending it: not asked any more, so not stored.
    assert post(key, length_m="12").status_code == 200
    assert "length_m" not in Report.objects.exclude(pk=filed.pk).get().attributes
    # The code stays taken: a new question cannot reuse it.
    reused = staff.post(
        f"/en{BASE}{channel_category.pk}/questions/new/",
        {**DEPTH, "code": "length_m", "datatype": "text"},
    )
    assert reused.status_code == 400
    assert "Another question of this category has (or had) this code." in reused.content.decode()
    # Back in use: asked again, last.
    assert staff.post(url, {"active": "1"}).status_code == 302
    assert definition()[1] == ["channel_type", "cause", "fields_dry", "length_m"]
    actions = list(
        AuditEntry.objects.filter(action__startswith="reports.question_")
        .order_by("pk")
        .values_list("action", "data__outcome")
    )
    assert actions == [
        ("reports.question_retire", "retired"),
        ("reports.question_restore", "restored"),
    ]


def test_a_question_nobody_answered_is_deleted_and_its_code_is_free(
    shkoder, channel_category, staff
):
    file_one(shkoder, channel_category, answers={"channel_type": "primary"})
    dry = CategoryAttribute.objects.get(category=channel_category, code="fields_dry")
    url = f"/en{BASE}{channel_category.pk}/questions/{dry.pk}/active/"
    assert "is removed" in staff.post(url, {"active": "0"}, follow=True).content.decode()
    assert not CategoryAttribute.objects.filter(pk=dry.pk).exists()
    assert AuditEntry.objects.get(action="reports.question_retire").data["outcome"] == "deleted"
    assert add_depth(staff, channel_category, code="fields_dry").status_code == 302
    assert definition()[1] == ["channel_type", "cause", "length_m", "fields_dry"]


# --- changing ------------------------------------------------------------------------------------


def _edit(question, **change):
    data = {
        "datatype": question.datatype,
        "required": "on" if question.required else "",
        "variable": "on" if question.variable else "",
        "description_sq": question.description_sq,
        "description_en": question.description_en,
        "datatype_description_sq": question.datatype_description_sq,
        "datatype_description_en": question.datatype_description_en,
    }
    for value in question.values:
        data[f"value-{value['key']}-name_sq"] = value.get("name_sq", "")
        data[f"value-{value['key']}-name_en"] = value.get("name_en", "")
    data.update(change)
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/en", "Reports already answered this question, so its type cannot change"),
        ("", "Raportet i janë përgjigjur tashmë kësaj pyetjeje"),
    ],
)
def test_the_type_of_an_answered_question_cannot_change(
    shkoder, channel_category, staff, prefix, message
):
    file_one(shkoder, channel_category, answers={"channel_type": "primary", "length_m": "80"})
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    url = f"{prefix}{BASE}{channel_category.pk}/questions/{length.pk}/"
    assert "answered-note" in staff.get(url).content.decode()
    refused = staff.post(url, _edit(length, datatype="text", description_sq="Gjatësia?"))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert message in html and "id_datatype_error" in html
    length.refresh_from_db()
    assert length.datatype == "number" and length.description_sq != "Gjatësia?"
    assert not AuditEntry.objects.filter(action="reports.question_change").exists()


def test_an_unanswered_question_changes_type_and_texts(shkoder, channel_category, staff):
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    url = f"{BASE}{channel_category.pk}/questions/{length.pk}/"
    response = staff.post(
        url,
        _edit(
            length,
            datatype="text",
            required="on",
            description_sq="Përshkruani gjatësinë",
            datatype_description_en="In your words",
            code="renamed",  # the code never changes
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    length.refresh_from_db()
    assert (length.code, length.datatype, length.required) == ("length_m", "text", True)
    by_code, _order = definition(locale="en")
    assert by_code["length_m"]["datatype"] == "text"
    assert by_code["length_m"]["required"] is True
    assert by_code["length_m"]["datatype_description"] == "In your words"
    entry = AuditEntry.objects.get(action="reports.question_change")
    assert set(entry.data["changed"]) >= {"datatype", "required", "description_sq"}


def test_an_information_only_question_is_shown_not_asked(shkoder, channel_category, admin, key):
    configuration.save_question(
        channel_category,
        actor=admin,
        data={
            "code": "safety",
            "datatype": "text",
            "variable": False,
            "required": True,  # meaningless without input: stored as not required
            "description_sq": "Mos hyni në kanal.",
            "description_en": "Do not step into the channel.",
        },
    )
    by_code, _order = definition()
    assert by_code["safety"]["variable"] is False and by_code["safety"]["required"] is False
    form = (
        Client()
        .get("/en/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9826&long=19.4233")
        .content.decode()
    )
    assert "Do not step into the channel." in form and 'name="safety"' not in form
    assert post(key).status_code == 200


# --- a list's answers ------------------------------------------------------------------------------


def test_a_chosen_answer_is_retired_an_unused_one_deleted_a_new_one_added(
    shkoder, channel_category, staff, key
):
    filed = file_one(shkoder, channel_category, answers={"channel_type": "tertiary"})
    question = CategoryAttribute.objects.get(category=channel_category, code="channel_type")
    url = f"{BASE}{channel_category.pk}/questions/{question.pk}/"
    response = staff.post(
        url,
        _edit(
            question,
            **{
                "value-tertiary-remove": "1",
                "value-primary-remove": "1",
                "value-secondary-name_en": "Secondary channel",
                "new-1-key": "drain",
                "new-1-name_sq": "Kanal kullues",
                "new-1-name_en": "Drain",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.values == [
        {"key": "secondary", "name_sq": "Kanal dytësor", "name_en": "Secondary channel"},
        {"key": "tertiary", "name_sq": "Kanal fushor", "name_en": "Field channel", "retired": True},
        {"key": "drain", "name_sq": "Kanal kullues", "name_en": "Drain"},
    ]
    entry = AuditEntry.objects.get(action="reports.question_change")
    assert entry.data["values"] == {
        "added": ["drain"],
        "renamed": ["secondary"],
        "retired": ["tertiary"],
        "removed": ["primary"],
    }
    by_code, _order = definition(locale="en")
    assert by_code["channel_type"]["values"] == [
        {"key": "secondary", "name": "Secondary channel"},
        {"key": "drain", "name": "Drain"},
    ]
    form = (
        Client()
        .get("/en/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9826&long=19.4233")
        .content.decode()
    )
    assert 'value="drain"' in form and 'value="tertiary"' not in form
    # A retired answer is refused in new reports; the report that chose it still shows it.
    refused = post(key, channel_type="tertiary")
    assert refused.status_code == 400 and Report.objects.count() == 1
    detail = Client().get(f"/en/shkoder/reports/r/{filed.pk}/").content.decode()
    assert "Field channel" in detail
    # A retired key cannot be added again; restoring it brings it back.
    question.refresh_from_db()
    again = staff.post(
        f"/en{url}", _edit(question, **{"new-1-key": "tertiary", "new-1-name_sq": "X"})
    )
    assert again.status_code == 400
    assert "Another answer of this question has (or had) the key tertiary." in (
        again.content.decode()
    )
    assert staff.post(url, _edit(question, **{"value-tertiary-restore": "1"})).status_code == 302
    by_code, _order = definition()
    assert [v["key"] for v in by_code["channel_type"]["values"]] == [
        "secondary",
        "tertiary",
        "drain",
    ]
    assert post(key, channel_type="tertiary").status_code == 200


def test_a_chosen_answer_of_a_multivaluelist_is_retired(shkoder, channel_category, admin):
    file_one(shkoder, channel_category, answers={"channel_type": "primary", "cause": ["silt"]})
    question = CategoryAttribute.objects.get(category=channel_category, code="cause")
    rows = [{"key": v["key"], "remove": True} for v in question.values if v["key"] != "waste"]
    configuration.save_question(
        channel_category,
        actor=admin,
        question=question,
        data={**_edit(question), "values": rows},
    )
    question.refresh_from_db()
    assert [(v["key"], bool(v.get("retired"))) for v in question.values] == [
        ("waste", False),
        ("silt", True),
    ]


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "english"),
    [
        ({"code": "Water Depth!"}, "lower-case letters, digits, _ and -"),
        ({"code": "channel_type"}, "Another question of this category has (or had) this code."),
        ({"description_sq": " "}, "Write the question in Albanian."),
        ({"datatype": "colour"}, "Select a valid choice"),
        ({"datatype": ""}, "Choose the type of answer."),
        (
            {"new-1-key": "", "new-1-name_sq": "", "new-2-key": "", "new-2-name_sq": ""},
            "A list needs at least one answer to choose",
        ),
        ({"new-1-key": "an kle"}, "The key of a new answer is letters, digits"),
        ({"new-2-key": "ankle"}, "Another answer of this question has (or had) the key ankle."),
        ({"new-2-name_sq": ""}, "Give the answer knee a name in Albanian."),
    ],
)
def test_bad_questions_are_explained_and_nothing_is_stored(
    shkoder, channel_category, staff, change, english
):
    response = staff.post(f"/en{BASE}{channel_category.pk}/questions/new/", {**DEPTH, **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and english in html, html[:3000]
    # What was typed is shown again.
    if change.get("new-1-key"):
        assert f'value="{change["new-1-key"]}"' in html
    assert not CategoryAttribute.objects.filter(code="water_depth").exists()
    assert not AuditEntry.objects.filter(action__startswith="reports.question").exists()


def test_a_group_asks_no_questions(shkoder, categories, staff, admin):
    group = Category.objects.get(municipality=shkoder, code="irrigation")
    assert staff.get(f"{BASE}{group.pk}/questions/new/").status_code == 404
    assert "questions-heading" not in staff.get(f"{BASE}{group.pk}/").content.decode()
    with pytest.raises(Exception) as refused:
        configuration.save_question(
            group, actor=admin, data={"code": "x", "datatype": "text", "description_sq": "X?"}
        )
    assert "__all__" in refused.value.message_dict
    assert not CategoryAttribute.objects.filter(category=group).exists()


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLERK, Role.SPECIALIST, Role.MANAGER])
def test_only_the_administrator_changes_questions(
    shkoder, channel_category, make_staff, verified_client, role
):
    client = verified_client(make_staff(shkoder, role))
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    base = f"{BASE}{channel_category.pk}/questions/"
    assert client.get(f"{base}new/").status_code == 403
    assert client.get(f"{base}{length.pk}/").status_code == 403
    assert client.post(f"{base}new/", DEPTH).status_code == 403
    assert client.post(f"{base}{length.pk}/move/", {"direction": "up"}).status_code == 403
    assert client.post(f"{base}{length.pk}/active/", {"active": "0"}).status_code == 403
    assert not CategoryAttribute.objects.filter(code="water_depth").exists()
    assert CategoryAttribute.objects.get(pk=length.pk).is_active
    with pytest.raises(PermissionDenied):
        configuration.save_question(
            channel_category,
            actor=make_staff(shkoder, role),
            data={"code": "x", "datatype": "text", "description_sq": "X?"},
        )


def test_another_municipalitys_administrator_and_a_foreign_question_are_refused(
    shkoder, lezhe, channel_category, make_staff, verified_client, admin
):
    lezhe_admin = verified_client(make_staff(lezhe, Role.ADMINISTRATOR))
    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    assert lezhe_admin.get(f"{BASE}{channel_category.pk}/questions/{length.pk}/").status_code == 403
    refused = lezhe_admin.post(f"{BASE}{channel_category.pk}/questions/{length.pk}/active/")
    assert refused.status_code == 403
    # Lezhë's own pages with Shkodër's ids: not found.
    lezhe_base = "/lezhe/staff/reports/configure/categories/"
    assert lezhe_admin.get(f"{lezhe_base}{channel_category.pk}/questions/new/").status_code == 404
    lezhe_channel = Category.objects.get(municipality=lezhe, code="irrigation-channel")
    foreign = f"{lezhe_base}{lezhe_channel.pk}/questions/{length.pk}/"
    assert lezhe_admin.get(foreign).status_code == 404
    assert lezhe_admin.post(foreign + "active/", {"active": "0"}).status_code == 404
    assert CategoryAttribute.objects.get(pk=length.pk).is_active
    # The service checks too: Lezhë's administrator holds no settings role in Shkodër.
    with pytest.raises(PermissionDenied):
        configuration.set_question_active(
            length, actor=make_staff(lezhe, Role.ADMINISTRATOR), active=False
        )
    # A question of another category of the same municipality, under this one: not found.
    stray = Category.objects.get(municipality=shkoder, code="stray-dogs")
    staff = verified_client(admin)
    mixed = f"{BASE}{stray.pk}/questions/{length.pk}/"
    assert staff.get(mixed).status_code == 404
    assert staff.post(mixed + "move/", {"direction": "up"}).status_code == 404


def test_the_definition_of_lezhe_is_not_changed_by_shkoder(shkoder, lezhe, channel_category, staff):
    assert add_depth(staff, channel_category).status_code == 302
    lezhe_definition = (
        Client()
        .get(f"{OPEN311}services/irrigation-channel.json", {"jurisdiction_id": "lezhe"})
        .json()
    )
    assert "water_depth" not in {a["code"] for a in lezhe_definition["attributes"]}


def test_unknown_service_still_the_standards_404(client, categories):
    from .test_open311 import both

    root, body, x, _ = both(client, "services/no-such-thing", jurisdiction_id="shkoder")
    assert_error(root, body, 404, x, "service_code")


def test_seeding_the_demo_again_keeps_the_administrators_questions(
    shkoder, channel_category, admin
):
    from sportel.reports.catalogue import load_categories

    length = CategoryAttribute.objects.get(category=channel_category, code="length_m")
    configuration.move_question(length, actor=admin, up=True)
    dry = CategoryAttribute.objects.get(category=channel_category, code="fields_dry")
    assert configuration.set_question_active(dry, actor=admin, active=False) == "deleted"
    load_categories(shkoder)  # `sportel demo` seeds on every start
    assert definition()[1] == ["channel_type", "length_m", "cause"]


def test_the_empty_rows_asked_for_come_back_within_limits(shkoder, channel_category, staff):
    url = f"{BASE}{channel_category.pk}/questions/new/"
    for count, rows in (("7", 7), ("99999999999", 4), ("x", 4), ("500", 20)):
        refused = staff.post(url, {**DEPTH, "description_sq": "", "new-count": count})
        assert refused.status_code == 400
        html = refused.content.decode()
        assert html.count('name="new-') - 1 == rows * 3, count  # minus new-count itself
    assert not CategoryAttribute.objects.filter(code="water_depth").exists()


@pytest.mark.parametrize(
    ("prefix", "shown"), [("", "1 maj 2026, 08:30"), ("/en", "1 May 2026, 08:30")]
)
def test_a_datetime_answer_is_shown_in_the_readers_language_and_tiranes_time(
    shkoder, channel_category, admin, specialist, prefix, shown
):
    configuration.save_question(
        channel_category,
        actor=admin,
        data={
            "code": "seen_at",
            "datatype": "datetime",
            "description_sq": "Kur e patë?",
            "description_en": "When did you see it?",
            "variable": True,
        },
    )
    # Stored as an application sent it (in UTC): 06:30 UTC is 08:30 in Tirana in May.
    filed = file_one(
        shkoder,
        channel_category,
        answers={"channel_type": "primary", "seen_at": "2026-05-01T06:30:00+00:00"},
    )
    for page in (
        Client().get(f"{prefix}/shkoder/reports/r/{filed.pk}/"),
        logged_in(specialist).get(f"{prefix}/shkoder/staff/reports/{filed.pk}/"),
    ):
        html = page.content.decode()
        assert page.status_code == 200
        assert shown in html
        assert "2026-05-01T06:30" not in html
