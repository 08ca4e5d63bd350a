"""Service application forms from JSON Schema: fields, validation in both languages, round trip."""

from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.utils import translation

from sportel.core.identifiers import with_check_letter
from sportel.web.jsonforms import form_class_for, to_json, validate

GOOD_NID = with_check_letter("J00101001")


def required_sq():
    """Whatever the site's catalogues say for Django's "This field is required." in Albanian."""
    with translation.override("sq"):
        return str(forms.Field.default_error_messages["required"])


BAD_CHECK_NID = GOOD_NID[:9] + ("A" if GOOD_NID[9] != "A" else "B")
GOOD_NIPT = with_check_letter("K31231001")
BAD_CHECK_NIPT = GOOD_NIPT[:9] + ("A" if GOOD_NIPT[9] != "A" else "B")

# A building-permit-like application touching every convention of the module.
SCHEMA = {
    "type": "object",
    "required": ["full_name", "nid", "purpose", "email", "declaration"],
    "x-order": ["nid", "full_name"],
    "properties": {
        "full_name": {
            "type": "string",
            "minLength": 2,
            "maxLength": 40,
            "x-title": {"sq": "Emri i plotë", "en": "Full name"},
            "x-help": {"sq": "Si në letërnjoftim", "en": "As on the identity card"},
        },
        "purpose": {
            "type": "string",
            "enum": ["residence", "business", "other"],
            "x-title": {"sq": "Qëllimi", "en": "Purpose"},
            "x-enum-labels": {
                "sq": ["Banim", "Biznes", "Tjetër"],
                "en": ["Residence", "Business", "Other"],
            },
        },
        "email": {"type": "string", "format": "email", "title": "Email"},
        "phone": {"type": "string", "format": "phone", "x-title": {"sq": "Telefoni"}},
        "nid": {
            "type": "string",
            "format": "nid",
            "x-title": {"sq": "Numri personal", "en": "NID"},
        },
        "nipt": {"type": "string", "format": "nipt", "title": "NIPT"},
        "birth_date": {"type": "string", "format": "date", "title": "Birth date"},
        "floors": {"type": "integer", "minimum": 1, "maximum": 12, "title": "Floors"},
        "area": {"type": "number", "minimum": 0, "maximum": 10000, "description": "m²"},
        "description": {"type": "string", "x-widget": "textarea", "maxLength": 500},
        "cadastral_zone": {
            "type": "string",
            "pattern": "^[0-9]{4}$",
            "x-pattern-message": {"sq": "Katër shifra, p.sh. 8512", "en": "Four digits, e.g. 8512"},
        },
        "parcel": {"type": "string", "pattern": "^[0-9]+/[0-9]+$"},
        "municipality_unit": {
            "type": "integer",
            "enum": [1, 2, 3, 4, 5, 6],
            "x-enum-labels": {"en": ["One", "Two", "Three", "Four", "Five", "Six"]},
        },
        "newsletter": {"type": "boolean", "title": "Send me news"},
        "declaration": {"type": "boolean", "const": True, "title": "I declare it is true"},
    },
}

VALID = {
    "full_name": "Ana Kola",
    "purpose": "business",
    "email": "ana@example.al",
    "nid": GOOD_NID,
    "declaration": "on",
}


def post(**changes):
    data = {**VALID, **changes}
    return {k: v for k, v in data.items() if v is not None}


def form(data=None, language="sq", schema=SCHEMA):
    return form_class_for(schema, language=language)(data=data)


def errors_of(data, schema=SCHEMA):
    f = form(data, schema=schema)
    assert not f.is_valid()
    return f.errors.as_data()


def codes(data, field, schema=SCHEMA):
    return [e.code for e in errors_of(data, schema)[field]]


# --- Fields and their order ------------------------------------------------------------------
def test_fields_follow_x_order_then_the_schema_order():
    assert list(form().fields) == [
        "nid",
        "full_name",
        *[n for n in SCHEMA["properties"] if n not in ("nid", "full_name")],
    ]


def test_each_type_and_format_gets_its_field_and_widget():
    fields = form().fields
    assert isinstance(fields["full_name"], forms.CharField)
    assert fields["full_name"].max_length == 40
    assert isinstance(fields["email"], forms.EmailField)
    assert isinstance(fields["birth_date"], forms.DateField)
    assert fields["birth_date"].widget.input_type == "date"
    assert isinstance(fields["floors"], forms.IntegerField)
    assert isinstance(fields["area"], forms.DecimalField)
    assert isinstance(fields["newsletter"], forms.BooleanField)
    assert isinstance(fields["description"].widget, forms.Textarea)
    assert fields["phone"].widget.input_type == "tel"
    assert isinstance(fields["purpose"].widget, forms.RadioSelect)  # 3 options
    assert isinstance(fields["municipality_unit"].widget, forms.Select)  # 6 options
    assert not isinstance(fields["municipality_unit"].widget, forms.RadioSelect)


def test_required_follows_the_schema_and_booleans_need_const_true():
    fields = form().fields
    assert fields["full_name"].required and fields["nid"].required
    assert not fields["phone"].required
    assert fields["declaration"].required
    assert not fields["newsletter"].required


def test_a_valid_submission_passes():
    f = form(post())
    assert f.is_valid(), f.errors


# --- Labels and hints in the requested language -----------------------------------------------
def test_labels_hints_and_choices_come_in_the_requested_language():
    sq, en = form().fields, form(language="en").fields
    assert sq["full_name"].label == "Emri i plotë" and en["full_name"].label == "Full name"
    assert sq["full_name"].help_text == "Si në letërnjoftim"
    assert en["full_name"].help_text == "As on the identity card"
    assert [label for _v, label in sq["purpose"].choices] == ["Banim", "Biznes", "Tjetër"]
    assert [label for _v, label in en["purpose"].choices] == ["Residence", "Business", "Other"]


def test_labels_fall_back_to_title_then_other_language_then_name():
    sq, en = form().fields, form(language="en").fields
    assert en["phone"].label == "Telefoni"  # only an Albanian x-title
    assert sq["email"].label == "Email"  # title
    assert sq["area"].help_text == "m²"  # description
    assert sq["parcel"].label == "Parcel"  # the property name
    # Choice labels in another language beat raw values.
    assert [label for _v, label in sq["municipality_unit"].choices][1:3] == ["One", "Two"]


def test_a_long_choice_list_starts_with_an_empty_option():
    choices = form().fields["municipality_unit"].choices
    assert choices[0][0] == ""
    assert len(choices) == 7


# --- Constraints, each rejected with a message next to its field --------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", None),
        ("full_name", "   "),
        ("full_name", "A"),
        ("full_name", "A" * 41),
        ("email", "not-an-email"),
        ("purpose", "palace"),
        ("nid", "12345"),
        ("nid", "U00101001C"),
        ("declaration", None),
        ("floors", "0"),
        ("floors", "13"),
        ("floors", "2.5"),
        ("floors", "many"),
        ("area", "-0.01"),
        ("area", "10000.01"),
        ("area", "lots"),
        ("area", "NaN"),
        ("birth_date", "2026-02-30"),
        ("birth_date", "yesterday"),
        ("phone", "12"),
        ("phone", "+355 69 12"),
        ("phone", "call me"),
        ("nipt", "K3123100"),
        ("cadastral_zone", "85a2"),
        ("parcel", "12-3"),
        ("municipality_unit", "7"),
        ("description", "x" * 501),
    ],
)
def test_each_constraint_is_enforced(field, value):
    assert field in errors_of(post(**{field: value}))


def test_optional_fields_may_be_left_empty():
    f = form(post(phone="", nipt="", birth_date="", floors="", area="", municipality_unit=""))
    assert f.is_valid(), f.errors


def test_pattern_is_searched_as_json_schema_does():
    # "^[0-9]+/[0-9]+$" is anchored by the schema itself; an unanchored pattern matches inside.
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "[0-9]{3}"}}}
    assert validate(schema, {"code": "AB123CD"}) == {}
    assert "code" in validate(schema, {"code": "AB12CD"})


# --- Values come back typed, and as JSON -----------------------------------------------------------
def test_values_are_typed_and_normalised():
    f = form(
        post(
            nid=" j0010 1001" + GOOD_NID[9].lower(),
            phone="069 123-4567",
            birth_date="31.12.1990",
            floors="3",
            area="125.50",
            municipality_unit="4",
            newsletter="on",
        )
    )
    assert f.is_valid(), f.errors
    data = f.cleaned_data
    assert data["nid"] == GOOD_NID
    assert data["phone"] == "+355691234567"
    assert data["birth_date"] == date(1990, 12, 31)
    assert data["floors"] == 3
    assert data["area"] == Decimal("125.50")
    assert data["municipality_unit"] == 4  # the enum's own value, an integer
    assert data["newsletter"] is True


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0691234567", "+355691234567"),
        ("+355 69 123 4567", "+355691234567"),
        ("00355 4 222 3333", "+35542223333"),
        ("042223333", "+35542223333"),
        ("+39 06 1234 5678", "+390612345678"),  # the diaspora: any E.164 number
        ("(069) 123.45.67", "+355691234567"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed, stored):
    f = form(post(phone=typed))
    assert f.is_valid(), f.errors
    assert to_json(f)["phone"] == stored


@pytest.mark.parametrize("typed", ["2026-03-01", "01.03.2026", "01/03/2026"])
def test_dates_are_accepted_typed_or_from_a_date_picker(typed):
    f = form(post(birth_date=typed))
    assert f.is_valid(), f.errors
    assert to_json(f)["birth_date"] == "2026-03-01"


def test_a_typed_date_is_redisplayed_in_the_pickers_format():
    # Another field is wrong: the date picker must still show the date typed as 01.03.2026.
    f = form(post(birth_date="01.03.2026", email="bad"))
    assert not f.is_valid()
    assert 'value="2026-03-01"' in str(f["birth_date"])


def test_to_json_gives_json_types():
    f = form(post(birth_date="1990-12-31", floors="3", area="125.50", newsletter=""))
    assert f.is_valid(), f.errors
    assert to_json(f) == {
        "nid": GOOD_NID,
        "full_name": "Ana Kola",
        "purpose": "business",
        "email": "ana@example.al",
        "birth_date": "1990-12-31",
        "floors": 3,
        "area": "125.50",
        "newsletter": False,
        "declaration": True,
    }


def test_round_trip_json_to_form_to_json_is_stable():
    f = form(
        post(phone="069 123 4567", birth_date="31.12.1990", area="0.10", municipality_unit="6")
    )
    assert f.is_valid(), f.errors
    stored = to_json(f)
    assert validate(SCHEMA, stored) == {}
    again = form(stored)  # the stored JSON posted back, as a draft reopened
    assert again.is_valid(), again.errors
    assert to_json(again) == stored


def test_validate_accepts_json_values_as_an_api_client_sends_them():
    data = {
        "full_name": "Ana Kola",
        "purpose": "other",
        "email": "ana@example.al",
        "nid": GOOD_NID,
        "declaration": True,
        "newsletter": False,
        "floors": 2,
        "area": 99.5,
        "municipality_unit": 2,
        "phone": None,
    }
    assert validate(SCHEMA, data) == {}
    assert "declaration" in validate(SCHEMA, {**data, "declaration": False})
    assert "floors" in validate(SCHEMA, {**data, "floors": 2.5})


def test_to_json_refuses_an_invalid_form():
    with pytest.raises(ValueError):
        to_json(form(post(email="bad")))


# --- Identifiers: a wrong layout is an error, a wrong check letter can be confirmed ------------------
def test_nid_with_a_wrong_check_letter_is_a_check_letter_error():
    assert codes(post(nid=BAD_CHECK_NID), "nid") == ["check_letter"]
    assert "nid" in validate(SCHEMA, post(nid=BAD_CHECK_NID))


def test_nid_with_a_wrong_layout_is_an_error_the_confirm_box_cannot_override():
    data = post(nid="J0010100", nid__confirm="on")
    assert codes(data, "nid") == ["invalid"]
    assert "nid__confirm" not in form(data).fields


def test_a_wrong_check_letter_brings_a_confirm_box_under_the_field():
    assert "nid__confirm" not in form().fields
    assert "nid__confirm" not in form(post()).fields
    f = form(post(nid=BAD_CHECK_NID))
    names = list(f.fields)
    assert names[names.index("nid") + 1] == "nid__confirm"
    assert 'name="nid__confirm"' in Template("{{ form }}").render(Context({"form": f}))


def test_confirming_keeps_the_number_as_typed_and_stays_out_of_the_json():
    f = form(post(nid=BAD_CHECK_NID, nid__confirm="on"))
    assert f.is_valid(), f.errors
    assert f.cleaned_data["nid__confirm"] is True
    assert to_json(f)["nid"] == BAD_CHECK_NID
    assert "nid__confirm" not in to_json(f)
    assert validate(SCHEMA, {**to_json(f), "declaration": True, "nid__confirm": True}) == {}


def test_nipt_follows_the_same_rule():
    assert codes(post(nipt=BAD_CHECK_NIPT), "nipt") == ["check_letter"]
    assert form(post(nipt=BAD_CHECK_NIPT, nipt__confirm="on")).is_valid()
    assert form(post(nipt=GOOD_NIPT)).is_valid()
    with translation.override("en"):
        assert "NIPT" in errors_of(post(nipt="K123"))["nipt"][0].messages[0]


# --- Errors in the active language ------------------------------------------------------------------
BAD = {
    "full_name": "",
    "email": "not-an-email",
    "nid": GOOD_NID,
    "purpose": "residence",
    "declaration": True,
    "phone": "12",
    "cadastral_zone": "12",
    "parcel": "x",
}


def test_errors_are_in_albanian_by_default():
    assert required_sq() != "This field is required."
    errors = validate(SCHEMA, BAD)
    assert errors["full_name"] == [required_sq()]
    assert errors["email"] == ["Jepni një adresë email të vlefshme."]
    assert errors["phone"] == ["Shkruani një numër telefoni, si 069 123 4567 ose +355 69 123 4567."]
    assert errors["cadastral_zone"] == ["Katër shifra, p.sh. 8512"]
    assert errors["parcel"] == ["Shkruani vlerën në formatin e kërkuar."]


def test_errors_are_in_english_under_english():
    with translation.override("en"):
        errors = validate(SCHEMA, BAD)
    assert errors["full_name"] == ["This field is required."]
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["phone"] == ["Enter a phone number, like 069 123 4567 or +355 69 123 4567."]
    assert errors["cadastral_zone"] == ["Four digits, e.g. 8512"]
    assert errors["parcel"] == ["Enter the value in the format asked for."]


def test_labels_and_error_language_are_independent():
    # An English form label with Albanian errors: labels follow `language`, errors the request.
    f = form({"nid": GOOD_NID}, language="en")
    assert f.fields["full_name"].label == "Full name"
    assert f.errors["full_name"] == [required_sq()]


def test_confirm_box_label_is_translated():
    f = form(post(nid=BAD_CHECK_NID))
    with translation.override("en"):
        assert str(f.fields["nid__confirm"].label).startswith("The number is correct as on")
    with translation.override("sq"):
        assert str(f.fields["nid__confirm"].label).startswith("Numri është i saktë si në")


def test_a_wrong_check_letter_error_points_to_the_override_box():
    with translation.override("en"):
        errors = form(post(nid=BAD_CHECK_NID)).errors["nid"]
        assert "tick “The number is correct as on the identity document” below" in errors[0]
    with translation.override("sq"):
        errors = form(post(nid=BAD_CHECK_NID)).errors["nid"]
        assert "shënoni më poshtë «Numri është i saktë" in errors[0]


NOT_FUTURE = {
    "type": "object",
    "properties": {"born": {"type": "string", "format": "date", "x-not-future": True}},
}


def test_a_not_future_date_refuses_tomorrow_in_both_languages():
    import datetime as dt

    from sportel.core.calendar import local_today

    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    with translation.override("en"):
        assert validate(NOT_FUTURE, {"born": tomorrow}) == {
            "born": ["This date cannot be in the future."]
        }
    with translation.override("sq"):
        assert validate(NOT_FUTURE, {"born": tomorrow}) == {
            "born": ["Kjo datë nuk mund të jetë në të ardhmen."]
        }
    assert validate(NOT_FUTURE, {"born": local_today().isoformat()}) == {}
    rendered = str(form_class_for(NOT_FUTURE)())
    assert f'max="{local_today().isoformat()}"' in rendered


def test_x_not_future_is_only_for_dates():
    bad = {"type": "object", "properties": {"n": {"type": "string", "x-not-future": True}}}
    with pytest.raises(ValueError):
        form_class_for(bad)


# --- The second, whole-schema check -------------------------------------------------------------------
CONDITIONAL = {
    "type": "object",
    "required": ["applicant_type"],
    "properties": {
        "applicant_type": {"type": "string", "enum": ["person", "business"]},
        "nipt": {"type": "string", "format": "nipt"},
        "share": {"type": "number", "exclusiveMaximum": 100},
        "code": {"type": "string", "not": {"const": "0000"}},
    },
    "if": {"properties": {"applicant_type": {"const": "business"}}},
    "then": {"required": ["nipt"]},
    "additionalProperties": False,
}


def test_keywords_without_a_field_equivalent_are_still_enforced_server_side():
    assert validate(CONDITIONAL, {"applicant_type": "person"}) == {}
    assert validate(CONDITIONAL, {"applicant_type": "business", "nipt": GOOD_NIPT}) == {}
    errors = validate(CONDITIONAL, {"applicant_type": "business"})
    assert errors == {"nipt": [required_sq()]}
    with translation.override("en"):
        assert validate(CONDITIONAL, {"applicant_type": "person", "share": 100}) == {
            "share": ["This value is too large."]
        }
        assert validate(CONDITIONAL, {"applicant_type": "person", "code": "0000"}) == {
            "code": ["This value is not valid."]
        }


def test_fields_the_schema_does_not_know_are_ignored_not_stored():
    f = form_class_for(CONDITIONAL)(data={"applicant_type": "person", "is_admin": "1"})
    assert f.is_valid(), f.errors
    assert to_json(f) == {"applicant_type": "person"}


def test_the_second_check_sees_every_form_value_as_json():
    # Dates as ISO strings (format: date) and Decimals as JSON numbers (minimum, multipleOf).
    schema = {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},
            "fee": {"type": "number", "multipleOf": 0.5},
            "nid": {"type": "string", "format": "nid"},
            "phone": {"type": "string", "format": "phone"},
        },
    }
    data = {"day": "01.02.2026", "fee": "2.5", "nid": BAD_CHECK_NID, "nid__confirm": True}
    data["phone"] = "0691234567"
    assert validate(schema, data) == {}
    with translation.override("en"):
        assert validate(schema, {"fee": "2.25"}) == {"fee": ["This value is not valid."]}


# --- Schemas that break the conventions are refused early ----------------------------------------------
@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array"},
        {"type": "object", "properties": {"x": {"type": "array"}}},
        {"type": "object", "properties": {"x": {"type": "string", "format": "uri"}}},
        {"type": "object", "properties": {"x": {"type": "integer", "format": "email"}}},
        {"type": "object", "properties": {"x": {"type": "string"}}, "x-order": ["y"]},
        {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["y"]},
        {"type": "object", "properties": {"x__confirm": {"type": "string"}}},
        {"type": "object", "properties": {"x": {"type": "string", "x-widget": "slider"}}},
        {"type": "object", "properties": {"x": {"type": "string", "minLength": "two"}}},
        {
            "type": "object",
            "properties": {
                "x": {"type": "string", "enum": ["a", "b"], "x-enum-labels": {"sq": ["A"]}}
            },
        },
    ],
)
def test_a_schema_outside_the_conventions_is_refused(schema):
    with pytest.raises(ValueError):
        form_class_for(schema)


def test_an_unknown_language_is_refused_but_regional_variants_are_understood():
    with pytest.raises(ValueError):
        form_class_for(SCHEMA, language="it")
    assert form_class_for(SCHEMA, language="en-gb") is form_class_for(SCHEMA, language="en")


# --- Rendering ------------------------------------------------------------------------------------------
class _Controls(HTMLParser):
    """Collects form controls, the ids labels point at, and controls wrapped in a label."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.wrapped = [], set(), []
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(attrs)
            if self._label_depth:
                self.wrapped.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


@pytest.mark.parametrize("renderer", ["site", "django"])
@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_rendered_input_has_a_label(language, renderer):
    data = post(nid=BAD_CHECK_NID, email="bad")  # with errors and the confirm box
    Form = form_class_for(SCHEMA, language=language)
    # The site's renderer (settings.FORM_RENDERER) and Django's stock one both label everything.
    f = Form(data) if renderer == "site" else Form(data, renderer=DjangoTemplates())
    with translation.override(language):
        html = Template("{{ form }}").render(Context({"form": f}))
    parser = _Controls()
    parser.feed(html)
    names = {c["name"] for c in parser.controls}
    assert names == set(f.fields)
    for control in parser.controls:
        assert control.get("id") in parser.label_for or control.get("id") in parser.wrapped, control
    assert "Numri personal" in html if language == "sq" else "NID" in html


def test_a_hint_from_the_schema_is_text_never_markup():
    schema = {
        "type": "object",
        "properties": {"x": {"type": "string", "x-help": {"sq": "<script>alert(1)</script> & më"}}},
    }
    html = Template("{{ form }}").render(Context({"form": form_class_for(schema)()}))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; më" in html


def test_an_empty_form_starts_from_the_schemas_defaults():
    schema = {
        "type": "object",
        "properties": {
            "copies": {"type": "integer", "default": 1},
            "language": {"type": "string", "enum": ["sq", "en"], "default": "sq"},
        },
    }
    html = Template("{{ form }}").render(Context({"form": form_class_for(schema)()}))
    assert 'name="copies" value="1"' in html
    assert 'value="sq" id="id_language_0" checked' in html.replace("\n", " ")


@pytest.mark.parametrize("value", ["1e999999", "1" * 31, "0." + "0" * 30 + "1", "Infinity"])
def test_absurd_numbers_are_refused_before_anything_expensive(value):
    assert "area" in errors_of(post(area=value))


def test_properties_may_be_named_like_form_attributes():
    names = ["schema", "language", "identifier_fields", "data", "fields", "errors", "clean"]
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in names}}
    f = form_class_for(schema)(data={n: n.upper() for n in names})
    assert list(f.fields) == names
    assert f.is_valid(), f.errors
    assert to_json(f) == {n: n.upper() for n in names}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", ["Ana", "Kola"]),
        ("full_name", {"first": "Ana"}),
        ("full_name", 42),
        ("full_name", True),
        ("declaration", "no"),
        ("declaration", 1),
        ("declaration", ["on"]),
        ("floors", True),
        ("floors", [2]),
        ("area", {"m2": 5}),
        ("nid__confirm", "yes please"),
    ],
)
def test_validate_refuses_values_of_the_wrong_json_type(field, value):
    data = {**VALID, "declaration": True, field: value}
    if field == "nid__confirm":
        data["nid"] = BAD_CHECK_NID
    with translation.override("en"):
        errors = validate(SCHEMA, data)
    assert errors[field if field != "nid__confirm" else "nid__confirm"] == [
        "This value is not valid."
    ]


def test_validate_takes_checkbox_strings_as_a_browser_posts_them():
    assert validate(SCHEMA, {**VALID, "declaration": "on", "newsletter": ""}) == {}
    assert validate(SCHEMA, {**VALID, "declaration": "true", "newsletter": "false"}) == {}
    assert "declaration" in validate(SCHEMA, {**VALID, "declaration": "false"})


def test_the_confirm_box_works_on_a_prefixed_form():
    Form = form_class_for(SCHEMA)
    data = {f"applicant-{k}": v for k, v in post(nid=BAD_CHECK_NID).items()}
    assert not Form(data, prefix="applicant").is_valid()
    f = Form({**data, "applicant-nid__confirm": "on"}, prefix="applicant")
    assert f.is_valid(), f.errors
    assert to_json(f)["nid"] == BAD_CHECK_NID


def test_form_classes_are_reused_per_schema_and_language():
    assert form_class_for(SCHEMA) is form_class_for(dict(SCHEMA))
    assert form_class_for(SCHEMA) is not form_class_for(SCHEMA, language="en")


def test_dependent_fields_are_required_only_when_what_they_depend_on_is_there():
    schema = {
        "type": "object",
        "properties": {
            "owner_nid": {"type": "string", "format": "nid"},
            "owner_name": {"type": "string"},
            "owner_phone": {"type": "string", "format": "phone"},
            "agent": {"type": "string"},
            "mandate": {"type": "string"},
        },
        "dependentRequired": {"owner_nid": ["owner_name", "owner_phone"], "agent": ["mandate"]},
    }
    assert validate(schema, {}) == {}
    assert validate(schema, {"agent": "Studio Ark"}) == {"mandate": [required_sq()]}
    assert validate(schema, {"owner_nid": GOOD_NID, "owner_name": "Ana"}) == {
        "owner_phone": [required_sq()]
    }
