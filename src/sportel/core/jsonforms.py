"""Application forms described in JSON Schema, rendered as accessible Django forms.

A service describes what an applicant fills in as a JSON Schema (Draft 2020-12). This module
turns that schema into a Django form class (``{{ form }}`` renders it GOV.UK-style through the
site's form renderer), validates submissions server-side, and gives back JSON-ready data::

    Form = form_class_for(schema, language="en")
    form = Form(request.POST)
    if form.is_valid():
        application.data = to_json(form)

    errors = validate(schema, data)      # {"field": ["message", ...]}, {} when valid

Schema conventions
------------------
Top level: ``"type": "object"``, ``"properties"``, ``"required"`` (list of names) and optional
``"x-order"`` (list of names shown first, in that order; the other properties follow in the
order they are written). Any other Draft 2020-12 keyword at the top level (``if``/``then``,
``dependentRequired``, ``allOf`` ...) is enforced by the second check described below.

Each property:

=====================  =================================================================
``type``               ``string``, ``integer``, ``number`` (a Decimal, never a float, at
                       most 30 significant digits) or
                       ``boolean`` (a checkbox; with ``"const": true`` it must be ticked,
                       e.g. a declaration).
``format``             strings only: ``email``, ``date`` (ISO ``YYYY-MM-DD``; the form also
                       accepts ``DD.MM.YYYY`` and ``DD/MM/YYYY``), ``nid`` (personal number),
                       ``nipt`` (business number), ``phone`` (stored as E.164; a national
                       number starting with one 0 is taken as Albanian, +355).
``enum``               the allowed values (strings or integers): radios for up to 5 values,
                       a select list for more. ``x-enum-labels`` ``{"sq": [...], "en": [...]}``
                       gives one label per value, in the same order.
``maxLength``,         string length limits; ``pattern`` a regular expression searched in
``minLength``,         the value, as JSON Schema does (anchor it with ``^...$`` to match the
``pattern``            whole value); ``x-pattern-message`` ``{"sq", "en"}`` says what is
                       expected when it does not match.
``minimum``,           inclusive limits for ``integer`` and ``number``.
``maximum``
``x-title``,           ``{"sq": ..., "en": ...}``: the label and the hint, in the requested
``x-help``             language; they fall back to ``title`` / ``description``, then to the
                       other language, then (label only) to the property name.
``x-widget``           ``textarea`` for a multi-line string.
``x-not-future``       ``true`` on a ``date``: a date after today (Europe/Tirane) is an
                       error, e.g. a date of birth or of death.
``default``            the value an empty form starts with.
=====================  =================================================================

Identifiers (``nid``, ``nipt``) are checked with :mod:`sportel.core.identifiers`: a wrong
layout is an error. A wrong check letter is an error with code ``check_letter`` too, but it
can be overridden, as the design allows for old documents: when a posted number has a wrong
check letter the redisplayed form gains a checkbox ``<name>__confirm`` ("The number is correct
as on the identity document") under the field, and the error says to tick it if the document
really shows that number; posting it ticked (or
``"<name>__confirm": true`` in the data given to :func:`validate`) accepts the number as typed.
The override is not part of :func:`to_json`'s output; read ``form.cleaned_data`` to record it.

Labels and hints come in ``language``; error messages come in the active language (Albanian
by default; English under ``translation.override("en")``), so an API handler gets them in the
caller's language.

Never trust the widget: after Django's field validation, the form also validates the data
:func:`to_json` would return against the whole schema with :mod:`jsonschema` (numbers as JSON
numbers, dates as ISO strings), so every keyword of the schema is enforced server-side, even
those the form does not turn into fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.html import conditional_escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from sportel.core import identifiers, phones

__all__ = ["CONFIRM_SUFFIX", "SchemaForm", "form_class_for", "to_json", "validate"]

LANGUAGES = ("sq", "en")
CONFIRM_SUFFIX = "__confirm"
RADIO_LIMIT = 5  # up to this many choices show as radios (all visible), more as a select list
TYPES = ("string", "integer", "number", "boolean")
FORMATS = ("email", "date", "nid", "nipt", "phone")
MAX_DIGITS = 30  # a number field's significant digits, decimals included
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]

# --- Messages the form says (msgids in English; the core app's catalogue translates them) -----
MESSAGES = {
    "phone": _("Enter a phone number, like 069 123 4567 or +355 69 123 4567."),
    "pattern": _("Enter the value in the format asked for."),
    "format": _("Enter the value in the format asked for."),
    "enum": _("Select one of the options."),
    "minimum": _("This value is too small."),
    "maximum": _("This value is too large."),
    "too_short": _("This value is too short."),
    "too_long": _("This value is too long."),
    # Django's own message, so a field left empty reads the same on every form of the site.
    "required": forms.Field.default_error_messages["required"],
    "unexpected": _("This form does not accept this field."),
    "invalid": _("This value is not valid."),
    "future": _("This date cannot be in the future."),
    "choose": _("Choose an option"),
    "confirm": _("The number is correct as on the identity document"),
    "confirm_hint": _(
        "If the document really shows it, tick “The number is correct as on the identity "
        "document” below."
    ),
}

# jsonschema keyword → the message of the second, whole-schema check.
_SCHEMA_KEYWORD_MESSAGES = {
    "pattern": "pattern",
    "format": "format",
    "enum": "enum",
    "const": "invalid",
    "minimum": "minimum",
    "exclusiveMinimum": "minimum",
    "maximum": "maximum",
    "exclusiveMaximum": "maximum",
    "minLength": "too_short",
    "maxLength": "too_long",
    "additionalProperties": "unexpected",
    "unevaluatedProperties": "unexpected",
}


# --- Reading the schema --------------------------------------------------------------------
def _text(prop: Mapping[str, Any], key: str, fallback_key: str, language: str) -> str | None:
    """x-title/x-help in ``language``; else title/description; else the other language."""
    texts = prop.get(key)
    if isinstance(texts, Mapping) and texts.get(language):
        return str(texts[language])
    if prop.get(fallback_key):
        return str(prop[fallback_key])
    if isinstance(texts, Mapping):
        for other in LANGUAGES:
            if texts.get(other):
                return str(texts[other])
    return None


def _enum_labels(prop: Mapping[str, Any], language: str) -> list[str]:
    values = prop["enum"]
    labels = prop.get("x-enum-labels") or {}
    for lang in (language, *LANGUAGES):
        chosen = labels.get(lang) if isinstance(labels, Mapping) else None
        if chosen:
            if len(chosen) != len(values):
                raise ValueError(
                    f"x-enum-labels[{lang!r}] has {len(chosen)} labels for {len(values)} values"
                )
            return [str(label) for label in chosen]
    return [str(value) for value in values]


def _field_order(schema: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties") or {}
    order = list(schema.get("x-order") or [])
    unknown = [name for name in order if name not in properties]
    if unknown:
        raise ValueError(f"x-order names properties the schema does not have: {unknown}")
    if len(set(order)) != len(order):
        raise ValueError("x-order lists a property twice")
    return order + [name for name in properties if name not in order]


def _check_schema(schema: Mapping[str, Any]) -> None:
    """Refuse a schema this module cannot render faithfully: a service's mistake, found early."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from exc
    if schema.get("type") != "object":
        raise ValueError('a form schema needs "type": "object" at the top level')
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in properties:
            raise ValueError(f"required names {name!r}, which is not a property")
    for name, prop in properties.items():
        if name.endswith(CONFIRM_SUFFIX):
            raise ValueError(f"{name!r}: names ending in {CONFIRM_SUFFIX} are reserved")
        if prop.get("type") not in TYPES:
            raise ValueError(f"{name!r}: type must be one of {', '.join(TYPES)}")
        fmt = prop.get("format")
        if fmt is not None and (prop["type"] != "string" or fmt not in FORMATS):
            raise ValueError(f"{name!r}: format must be one of {', '.join(FORMATS)} on a string")
        if "enum" in prop:
            if prop["type"] not in ("string", "integer"):
                raise ValueError(f"{name!r}: enum is for string or integer properties")
            _enum_labels(prop, "sq")
        if prop.get("x-not-future") and fmt != "date":
            raise ValueError(f"{name!r}: x-not-future is for date strings")
        if prop.get("x-widget") not in (None, "textarea"):
            raise ValueError(f"{name!r}: the only x-widget is textarea")


# --- Fields ----------------------------------------------------------------------------------
def normalize_phone(value: str) -> str:
    """A phone number in E.164 (+355691234567) by core's one rule; as typed when invalid."""
    return phones.to_e164(value) or (value or "").strip()


def _valid_phone(value: str) -> bool:
    """A valid number already in E.164 (what forms store and the API accepts)."""
    return phones.is_e164(value)


class PhoneField(forms.CharField):
    """A phone number, typed any usual way, kept in E.164."""

    default_error_messages = {"invalid": MESSAGES["phone"]}

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_phone(value) if value not in self.empty_values else value

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and not _valid_phone(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class IdentifierField(forms.CharField):
    """A NID or NIPT: normalised (upper case, no spaces); a wrong layout is an error here.

    The check letter is the form's business (:meth:`SchemaForm.clean`), because its override
    is a second field.
    """

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return identifiers.normalize(value) if value not in self.empty_values else value

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values:
            error = identifiers.check_identifier(value, kind=self.kind).error
            if error:
                raise ValidationError(error, code="invalid")


class TelInput(forms.TextInput):
    input_type = "tel"


def not_in_future(value: date) -> None:
    """``x-not-future``: a date of birth or of death cannot be after today (in Tirana)."""
    from sportel.core.calendar import local_today

    if value and value > local_today():
        raise ValidationError(MESSAGES["future"], code="future")


class SchemaDateInput(forms.DateInput):
    """A native date picker: browsers post ISO dates, and without one people type them."""

    input_type = "date"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if "max" in context["widget"]["attrs"]:  # x-not-future: the picker offers no later day
            from sportel.core.calendar import local_today

            context["widget"]["attrs"]["max"] = local_today().isoformat()
        return context

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value):
        # Redisplayed as typed (31.12.2026) the date picker would show nothing: the typed date
        # would be lost. Any date the field accepts is shown back in ISO.
        if isinstance(value, str):
            for input_format in DATE_INPUT_FORMATS:
                try:
                    return datetime.strptime(value.strip(), input_format).date().isoformat()
                except ValueError:
                    continue
            return value
        return super().format_value(value)


def _string_field(prop: Mapping[str, Any], common: dict[str, Any]) -> forms.Field:
    fmt = prop.get("format")
    lengths = {"max_length": prop.get("maxLength"), "min_length": prop.get("minLength")}
    if fmt == "email":
        return forms.EmailField(
            **common,
            **lengths,
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        )
    if fmt == "date":
        field = forms.DateField(**common, input_formats=DATE_INPUT_FORMATS, widget=SchemaDateInput)
        if prop.get("x-not-future"):
            field.validators.append(not_in_future)
            field.widget.attrs["max"] = ""  # filled per render: see SchemaDateInput.get_context
        return field
    if fmt in ("nid", "nipt"):
        return IdentifierField(
            kind=fmt,
            **common,
            widget=forms.TextInput(
                attrs={
                    "spellcheck": "false",
                    "autocapitalize": "characters",
                    "class": "govuk-input--width-10",
                }
            ),
        )
    if fmt == "phone":
        return PhoneField(
            **common,
            widget=TelInput(attrs={"autocomplete": "tel", "class": "govuk-input--width-20"}),
        )
    widget = forms.Textarea(attrs={"rows": 5}) if prop.get("x-widget") == "textarea" else None
    field = forms.CharField(**common, **lengths, **({"widget": widget} if widget else {}))
    if prop.get("pattern"):
        field.validators.append(PatternValidator(prop["pattern"], prop.get("x-pattern-message")))
    return field


class PatternValidator(RegexValidator):
    """JSON Schema's ``pattern`` (searched, not anchored), saying the schema's own message."""

    def __init__(self, pattern: str, messages: Mapping[str, str] | None = None):
        super().__init__(regex=pattern, message=MESSAGES["pattern"], code="pattern")
        self.messages = dict(messages) if isinstance(messages, Mapping) else {}

    def __call__(self, value):
        try:
            super().__call__(value)
        except ValidationError:
            language = (get_language() or "sq").split("-")[0]
            own = self.messages.get(language) or next(
                (self.messages[lang] for lang in LANGUAGES if self.messages.get(lang)), None
            )
            raise ValidationError(own or MESSAGES["pattern"], code="pattern") from None


def _enum_field(prop: Mapping[str, Any], common: dict[str, Any], language: str) -> forms.Field:
    values = list(prop["enum"])
    choices = [
        (str(v), label) for v, label in zip(values, _enum_labels(prop, language), strict=True)
    ]
    by_key = {str(v): v for v in values}
    if len(values) <= RADIO_LIMIT:
        widget: forms.Widget = forms.RadioSelect
    else:
        widget = forms.Select
        choices = [("", MESSAGES["choose"]), *choices]
    return forms.TypedChoiceField(
        **common,
        choices=choices,
        coerce=by_key.__getitem__,
        empty_value=None,
        widget=widget,
    )


def _build_field(name: str, prop: Mapping[str, Any], *, required: bool, language: str):
    common: dict[str, Any] = {
        "required": required,
        "label": _text(prop, "x-title", "title", language) or name.replace("_", " ").capitalize(),
        # Django renders help_text unescaped (|safe); a schema's hint is text, never markup.
        "help_text": conditional_escape(_text(prop, "x-help", "description", language) or ""),
    }
    if "default" in prop:
        common["initial"] = prop["default"]
    kind = prop["type"]
    if "enum" in prop:
        return _enum_field(prop, common, language)
    if kind == "string":
        return _string_field(prop, common)
    if kind == "integer":
        return forms.IntegerField(
            **common, min_value=prop.get("minimum"), max_value=prop.get("maximum")
        )
    if kind == "number":
        limits = {
            key: Decimal(str(prop[schema_key]))
            for key, schema_key in (("min_value", "minimum"), ("max_value", "maximum"))
            if schema_key in prop
        }
        # MAX_DIGITS keeps "1e999999" from becoming a million-digit number further on.
        return forms.DecimalField(**common, **limits, max_digits=MAX_DIGITS)
    # boolean: unticked means False, which satisfies "required"; only const true must be ticked.
    common["required"] = prop.get("const") is True
    return forms.BooleanField(**common)


# --- The form --------------------------------------------------------------------------------
class SchemaForm(forms.Form):
    """Base of every generated form; ``schema`` and ``language`` are set on the subclass."""

    schema: dict[str, Any] = {}
    validator: Draft202012Validator
    language: str = "sq"
    identifier_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self._add_check_letter_overrides()

    def _add_check_letter_overrides(self) -> None:
        """Under each identifier posted with a wrong check letter, a checkbox to keep it."""
        fields = {}
        for name, field in self.fields.items():
            fields[name] = field
            if name in self.identifier_fields:
                raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                if raw and isinstance(raw, str) and self._check(name, raw).warning:
                    fields[name + CONFIRM_SUFFIX] = forms.BooleanField(
                        required=False, label=MESSAGES["confirm"]
                    )
        self.fields = fields

    def _check(self, name: str, value: str) -> identifiers.IdentifierCheck:
        return identifiers.check_identifier(value, kind=self.fields[name].kind)

    def clean(self):
        cleaned = super().clean()
        for name in self.identifier_fields:
            value = cleaned.get(name)
            if value and not cleaned.get(name + CONFIRM_SUFFIX):
                warning = self._check(name, value).warning
                if warning:
                    # The override is a checkbox under the field: the message points to it.
                    message = f"{warning} {MESSAGES['confirm_hint']}"
                    self.add_error(name, ValidationError(message, code="check_letter"))
        if not self.errors:
            self._validate_against_schema()
        return self.cleaned_data

    def _validate_against_schema(self) -> None:
        """The second check: the whole schema, on the data as it will be stored."""
        instance = _schema_instance(_json_data(self))
        said = set()
        for error in self.validator.iter_errors(instance):
            for field, key, code in _locate(error, self.fields):
                if (field, key) not in said:  # one message per field and kind of problem
                    said.add((field, key))
                    self.add_error(field, ValidationError(MESSAGES[key], code=code))


def _locate(error, fields) -> list[tuple[str | None, str, str]]:
    """(field or None for the whole form, message key, code) for one jsonschema error."""
    if error.validator in ("required", "dependentRequired"):
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        expected = error.validator_value
        if isinstance(expected, Mapping):  # dependentRequired: {"a": ["b", "c"]} when "a" is there
            expected = [n for key, names in expected.items() if key in instance for n in names]
        missing = [n for n in expected if n not in instance]
        located = [(n if n in fields else None, "required", "required") for n in missing]
        return located or [(None, "invalid", "schema")]
    path = list(error.absolute_path)
    field = path[0] if path and path[0] in fields else None
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        field = None
    key = _SCHEMA_KEYWORD_MESSAGES.get(error.validator, "invalid")
    return [(field, key, "schema")]


def _json_data(form: forms.Form) -> dict[str, Any]:
    """The cleaned values of the schema's properties, empty optional ones left out."""
    data: dict[str, Any] = {}
    properties = form.schema.get("properties") or {}
    for name in properties:
        if name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        if value is None or value == "":
            continue
        data[name] = value
    return data


def _schema_instance(data: Mapping[str, Any]) -> dict[str, Any]:
    """What JSON would hold: Decimals as JSON numbers, dates as ISO strings."""
    instance = {}
    for name, value in data.items():
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, date):
            value = value.isoformat()
        instance[name] = value
    return instance


FORMAT_CHECKER = FormatChecker(["email", "date"])


@FORMAT_CHECKER.checks("nid")
@FORMAT_CHECKER.checks("nipt")
def _identifier_layout(value: object) -> bool:
    # The layout only: a wrong check letter may have been confirmed on purpose.
    return not isinstance(value, str) or bool(identifiers.LAYOUT.match(value))


@FORMAT_CHECKER.checks("phone")
def _phone_format(value: object) -> bool:
    return not isinstance(value, str) or _valid_phone(value)


# --- Public API --------------------------------------------------------------------------------
def form_class_for(schema: dict, *, language: str = "sq") -> type[forms.Form]:
    """A Django form class for a service's JSON Schema, labelled in ``language``.

    Raises ValueError for a schema that breaks the conventions in this module's docstring.
    Classes are cached per schema and language, so calling this per request is cheap.
    """
    language = (language or "").split("-")[0].lower()  # "en-gb" → "en", as get_language() says
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    # Not sort_keys: the order of "properties" is the order of the fields.
    return _cached_form_class(json.dumps(schema), language)


@lru_cache(maxsize=512)
def _cached_form_class(schema_json: str, language: str) -> type[SchemaForm]:
    schema = json.loads(schema_json)
    _check_schema(schema)
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    fields = {
        name: _build_field(name, properties[name], required=name in required, language=language)
        for name in _field_order(schema)
    }
    form_class = type("JsonSchemaForm", (SchemaForm,), {**fields, "__module__": __name__})
    # Set after the class exists: the metaclass has taken the fields out of the class namespace
    # by then, so a property called "schema" or "language" stays a field.
    form_class.schema = schema
    form_class.validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    form_class.language = language
    form_class.identifier_fields = tuple(
        name for name, field in fields.items() if isinstance(field, IdentifierField)
    )
    return form_class


def validate(schema: dict, data: dict, *, language: str = "sq") -> dict[str, list[str]]:
    """Server-side validation of submitted data: field name → messages ({} when valid).

    ``data`` is what a client sent: JSON values (what :func:`to_json` returns) or the strings a
    browser posts. A value of the wrong JSON type (a list for a name, "no" for a checkbox) is
    an error, never coerced. Messages are in the active language; errors not about one field
    are under ``"__all__"``.
    """
    if not isinstance(data, Mapping):
        raise ValueError("data must be a JSON object")
    form_class = form_class_for(schema, language=language)
    form_data, wrong_type = _as_form_data(form_class.schema, data)
    form = form_class(data=form_data)
    errors = (
        {}
        if form.is_valid()
        else {
            field: [error["message"] for error in errors]
            for field, errors in form.errors.get_json_data().items()
        }
    )
    for name in wrong_type:  # its value was withheld from the form: say why, not "required"
        errors[name] = [str(MESSAGES["invalid"])]
    return errors


def _scalar_of_type(kind: str, value: object) -> bool:
    """Whether a JSON value may stand for a string, integer or number field (form strings may)."""
    if isinstance(value, str):
        return True
    if kind == "string" or isinstance(value, bool):
        return False
    return isinstance(value, int | float | Decimal)


_CHECKBOX_STRINGS = {"true": True, "on": True, "1": True, "false": False, "0": False, "": False}


def _as_form_data(schema: Mapping[str, Any], data: Mapping[str, Any]):
    """JSON values as a browser would post them, and the names whose value has the wrong type."""
    properties = schema.get("properties") or {}
    out: dict[str, Any] = {}
    wrong_type: list[str] = []
    for name, value in data.items():
        if name.endswith(CONFIRM_SUFFIX):
            kind = "boolean"
        elif name in properties:
            kind = properties[name]["type"]
        else:
            continue  # not part of this form: ignored, as a browser's extra field would be
        if value is None:
            continue
        if kind == "boolean":
            if isinstance(value, str) and value.strip().lower() in _CHECKBOX_STRINGS:
                value = _CHECKBOX_STRINGS[value.strip().lower()]
            if not isinstance(value, bool):
                wrong_type.append(name)
                continue
            out[name] = value
        elif _scalar_of_type(kind, value):
            out[name] = str(value)
        else:
            wrong_type.append(name)
    return out, wrong_type


def to_json(form: forms.Form) -> dict[str, Any]:
    """A valid form's data, JSON-serialisable: dates ISO, Decimals as strings, empties left out."""
    if not form.is_valid():
        raise ValueError("to_json needs a valid form")
    out: dict[str, Any] = {}
    for name, value in _json_data(form).items():
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out
