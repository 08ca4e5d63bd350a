"""The reports pages' forms. They parse input; the rules live in services.py and come back as
``ValidationError``s that :func:`add_errors` puts next to the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sportel.web.forms import TelInput

from .models import CategoryAttribute


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    if form._errors is None:
        form.full_clean()
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = field if field in form.fields else None
            if name is None and field.startswith("attribute[") and field[10:-1] in form.fields:
                name = field[10:-1]
            if name is None and field in ("media", "attachments") and "photo" in form.fields:
                name = "photo"
            for error in errors:
                form.add_error(name, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


class PlaceForm(forms.Form):
    """Where: a pin on the map writes lat/long; typing them, an address or a unit also works."""

    lat = forms.CharField(
        label=_("Latitude"), required=False, max_length=20, help_text=_("For example 41.9826")
    )
    long = forms.CharField(
        label=_("Longitude"), required=False, max_length=20, help_text=_("For example 19.4233")
    )
    address = forms.CharField(
        label=_("Address or a description of the place"), required=False, max_length=250
    )
    unit = forms.ChoiceField(label=_("Administrative unit"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("Choose an administrative unit"))] + [
            (u.slug, u.name) for u in units
        ]
        self.fields["lat"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["long"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


class DetailsForm(forms.Form):
    """What: the category's questions, a description, a photo and how to reach the reporter."""

    description = forms.CharField(
        label=_("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_(
            "A JPEG or PNG photo; its location and camera data are removed before it is stored."
        ),
    )
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"), required=False, max_length=32, widget=TelInput()
    )

    def __init__(self, *args, category=None, language="sq", contact=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = []
        # Open311 variable=false: text shown to the resident, nothing to answer.
        self.notes = []
        fields = {}
        for attribute in category.questions() if category else []:
            if not attribute.variable:
                self.notes.append(
                    (attribute.description(language), attribute.datatype_description(language))
                )
                continue
            label = attribute.description(language)
            hint = attribute.datatype_description(language)
            kind = attribute.datatype
            if kind == CategoryAttribute.Datatype.SINGLEVALUELIST:
                field = forms.ChoiceField(
                    label=label,
                    help_text=hint,
                    required=False,
                    choices=[("", _("Choose")), *attribute.value_names(language)],
                )
            elif kind == CategoryAttribute.Datatype.MULTIVALUELIST:
                field = forms.MultipleChoiceField(
                    label=label,
                    help_text=hint,
                    required=False,
                    choices=attribute.value_names(language),
                    widget=forms.CheckboxSelectMultiple,
                )
            elif kind == CategoryAttribute.Datatype.TEXT:
                field = forms.CharField(
                    label=label,
                    help_text=hint,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            elif kind == CategoryAttribute.Datatype.DATETIME:
                field = forms.CharField(
                    label=label,
                    required=False,
                    help_text=hint or _("Date and time, e.g. 2026-05-01T08:30"),
                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                )
            elif kind == CategoryAttribute.Datatype.NUMBER:
                field = forms.CharField(
                    label=label,
                    help_text=hint,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            else:
                field = forms.CharField(label=label, help_text=hint, required=False)
            # Required questions are checked by services.clean_attributes too (the API's door).
            field.required = attribute.required
            field.error_messages["required"] = _("Answer the question: %(q)s") % {"q": label}
            fields[attribute.code] = field
            self.questions.append(attribute.code)
        # The category's questions come first, in their order.
        self.fields = {**fields, **self.fields}
        if not contact:
            for name in ("first_name", "last_name", "email", "phone"):
                del self.fields[name]

    def answers(self) -> dict:
        data = self.cleaned_data
        return {code: data.get(code) for code in self.questions if data.get(code) not in (None, "")}


class ConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Confirmation code"), max_length=12, help_text=_("The 6 digits we sent you.")
    )


class VoiceForm(forms.Form):
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"), required=False, max_length=32, widget=TelInput()
    )


class ReopenForm(forms.Form):
    text = forms.CharField(
        label=_("What is still wrong?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class ActionForm(forms.Form):
    """One form for every staff action; each action shows only the fields it names."""

    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    public = forms.BooleanField(
        label=_("Show this note to the reporter and the public"), required=False
    )
    photo = forms.FileField(label=_("Photo of the fix"), required=False)
    original = forms.IntegerField(label=_("Number of the original report"), required=False)
    date = forms.DateField(
        label=_("Date of the work"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    team = forms.CharField(label=_("Team"), required=False, max_length=120)

    def __init__(self, *args, action=None, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        wanted = {f.replace("_required", "") for f in (action.fields if action else ())}
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if action is not None and "text_required" in action.fields:
            self.fields["text"].required = True
            self.fields["text"].error_messages["required"] = _(
                "Write what was done: the reporter reads this note."
            )
        if "assignee" in self.fields:
            self.fields["assignee"].choices = [("", _("Nobody in particular"))] + [
                (str(u.pk), u.full_name or u.username) for u in assignees
            ]


class FundingForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (lek)"), max_digits=14, decimal_places=2, required=False
    )
    budget_line = forms.CharField(label=_("Budget line"), max_length=100, required=False)
    decision_number = forms.CharField(
        label=_("Council decision number"), max_length=50, required=False
    )
    decision_date = forms.DateField(
        label=_("Council decision date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CounterForm(forms.Form):
    """A clerk files for a walk-in or a caller."""

    channel = forms.ChoiceField(
        label=_("How did the resident report it?"),
        choices=[("counter", _("In person at the counter")), ("phone", _("By phone"))],
        widget=forms.RadioSelect,
        initial="counter",
    )
    category = forms.ChoiceField(label=_("Category"))
    nid = forms.CharField(
        label=_("Personal number (NID)"),
        required=False,
        max_length=10,
        help_text=_("If the resident shows an identity document."),
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose"))] + [
            (c.code, f"{c.parent.name()} — {c.name()}") for c in categories
        ]


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your email"))
    unit = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("The whole municipality"))] + [
            (u.slug, u.name) for u in units
        ]


# --- configuration (administrators) -------------------------------------------------------------
# The forms parse; configuration.py holds the rules (ranges, codes, tenancy) and its errors come
# back next to the fields through add_errors. A required field says what is missing in the same
# words as configuration.py, which checks again (it is the door every caller goes through).


def _require(form: forms.Form, messages: dict) -> None:
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].required = True
            form.fields[name].error_messages["required"] = message


class CategoryForm(forms.Form):
    code = forms.CharField(
        label=_("Code (Open311 service_code)"),
        max_length=60,
        required=False,
        help_text=_(
            "Lower-case letters, digits and dashes. It cannot change later: applications store it."
        ),
    )
    parent = forms.ChoiceField(label=_("Group"), required=False)
    name_sq = forms.CharField(label=_("Name (Albanian)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    description_sq = forms.CharField(
        label=_("Description (Albanian)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    keywords = forms.CharField(label=_("Keywords"), max_length=300, required=False)
    team = forms.CharField(
        label=_("Team or department"),
        max_length=120,
        required=False,
        help_text=_("Where its reports go when no routing rule for their unit says otherwise."),
    )
    deadline_working_days = forms.CharField(
        label=_("Deadline (working days)"), required=False, max_length=4
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[(str(n), str(n)) for n in range(1, 6)],
        help_text=_("1 (minor) to 5 (danger to people)."),
    )
    duplicate_radius_m = forms.CharField(
        label=_("Duplicate radius (metres)"),
        required=False,
        max_length=5,
        help_text=_("Reports this close are grouped; larger for channels and roads."),
    )
    cluster_window_days = forms.CharField(
        label=_("Grouping window (days)"), required=False, max_length=4
    )
    order = forms.CharField(label=_("Order in the list"), required=False, max_length=4)

    def __init__(self, *args, groups=(), creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("None: this is a group"))] + [
            (str(g.pk), g.name()) for g in groups
        ]
        for name in ("deadline_working_days", "duplicate_radius_m", "cluster_window_days", "order"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
            self.fields[name].widget.attrs.setdefault("class", "govuk-input--width-5")
        if not creating:
            del self.fields["code"]
        _require(
            self,
            {
                "code": _(
                    "The code is lower-case letters, digits and dashes, e.g. blocked-channel."
                ),
                "name_sq": _("Give the name in Albanian."),
                "severity": _("Choose the severity."),
                **{
                    name: _("Give a whole number.")
                    for name in (
                        "deadline_working_days",
                        "duplicate_radius_m",
                        "cluster_window_days",
                        "order",
                    )
                },
            },
        )


class RouteForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    unit = forms.ChoiceField(label=_("Administrative unit"), required=False)
    team = forms.CharField(label=_("Team or department"), max_length=120, required=False)

    def __init__(self, *args, categories=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose"))] + [
            (str(c.pk), f"{c.parent.name()} — {c.name()}") for c in categories
        ]
        self.fields["unit"].choices = [("", _("Anywhere in the municipality"))] + [
            (str(u.pk), u.name) for u in units
        ]
        _require(
            self,
            {
                "category": _("Choose a category of this municipality."),
                "team": _("Name the team or department."),
            },
        )


class AreaWeightForm(forms.Form):
    unit = forms.ChoiceField(label=_("Administrative unit"), required=False)
    weight = forms.CharField(
        label=_("Weight"),
        max_length=6,
        required=False,
        help_text=_("From 0.50 to 5.00; 1 changes nothing, 1.25 counts a quarter more."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-5"}),
    )
    reason = forms.CharField(
        label=_("Reason (shown on the priority list)"), max_length=200, required=False
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("Choose an administrative unit"))] + [
            (str(u.pk), u.name) for u in units
        ]
        _require(
            self,
            {
                "unit": _("Choose an administrative unit of this municipality."),
                "weight": _("Give a weight from %(low)s to %(high)s (1 changes nothing).")
                % {"low": "0.50", "high": "5.00"},
                "reason": _("Say why this area weighs more or less: it is shown publicly."),
            },
        )


class BanForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to ban"), required=False, widget=forms.RadioSelect)
    value = forms.CharField(
        label=_("Report number, email, phone, device_id or IP address"),
        max_length=120,
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    until = forms.DateField(
        label=_("Until (leave empty: until lifted)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        from .models import BannedReporter

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = BannedReporter.Kind.choices
        self.fields["until"].error_messages["invalid"] = _("Give a date, e.g. 2027-01-31.")
        _require(
            self,
            {
                "kind": _("Choose what to ban."),
                "value": _(
                    "Say who to ban: a report number, an email, a phone, a device_id or an IP address."
                ),
                "reason": _("Give the reason; other staff read it."),
            },
        )


class QuestionForm(forms.Form):
    """A category's question (an Open311 attribute). The list's values are rows of their own on
    the page (see configure_views._value_rows); configuration.save_question checks both."""

    code = forms.CharField(
        label=_("Code (Open311 attribute code)"),
        max_length=60,
        required=False,
        help_text=_(
            "Lower-case letters, digits, _ and -, e.g. channel_type. It cannot change later: "
            "applications send answers under it."
        ),
    )
    description_sq = forms.CharField(label=_("Question (Albanian)"), max_length=300, required=False)
    description_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    datatype = forms.ChoiceField(
        label=_("Type of answer"), required=False, widget=forms.RadioSelect
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    variable = forms.BooleanField(
        label=_("Ask for an answer"),
        required=False,
        help_text=_("Untick to show the text to the resident as information only."),
    )
    datatype_description_sq = forms.CharField(
        label=_("Hint (Albanian)"), max_length=300, required=False
    )
    datatype_description_en = forms.CharField(
        label=_("Hint (English)"), max_length=300, required=False
    )

    def __init__(self, *args, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        # The Open311 name beside ours: developers and the API guide speak of it.
        self.fields["datatype"].choices = [
            (value, f"{label} ({value})") for value, label in CategoryAttribute.Datatype.choices
        ]
        if not creating:
            del self.fields["code"]
        _require(
            self,
            {
                "code": _("The code is lower-case letters, digits, _ and -, e.g. channel_type."),
                "description_sq": _("Write the question in Albanian."),
                "datatype": _("Choose the type of answer."),
            },
        )
