"""The fixed forms of the services pages (the application form itself comes from the service's
JSON Schema through ``sportel.core.jsonforms``). They only parse input; the rules that decide
whether an input is acceptable live in ``services.py`` and come back as ``ValidationError``s
that :func:`add_service_errors` puts next to the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sportel.core.identifiers import check_identifier
from sportel.web.forms import TelInput
from sportel.web.jsonforms import PhoneField

from . import workflow
from .models import IdentityDocument


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: next to the field it names when the form
    has that field, at the top of the form otherwise."""
    if form._errors is None:
        form.full_clean()
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


def unit_choices(units) -> list[tuple[str, str]]:
    return [("", _("Choose an administrative unit"))] + [(u.slug, u.name) for u in units]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for a service"), required=False, max_length=100, strip=True)


class UnitForm(forms.Form):
    """Where the applicant lives: routes the case to the right office (assignment rules)."""

    unit = forms.ChoiceField(
        label=_("Administrative unit"),
        required=False,
        help_text=_("Where you live, or where the request is about."),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.slug: u for u in units}
        self.fields["unit"].choices = unit_choices(units)

    def unit_obj(self):
        return self.units.get(self.cleaned_data.get("unit") or "")


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a file"),
        help_text=_("PDF, PNG or JPEG, up to 10 MB. Photos are re-saved without their metadata."),
    )


class BusinessForm(forms.Form):
    """The business an application is filed for (services for businesses, or either)."""

    nipt = forms.CharField(label=_("NIPT"), max_length=20, required=False)
    business_name = forms.CharField(label=_("Business name"), max_length=200, required=False)
    nipt_confirm = forms.BooleanField(
        label=_("I have checked the NIPT against the registration certificate: keep it as typed."),
        required=False,
    )

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.business_required = required
        if required:
            self.fields["nipt"].required = True
            self.fields["business_name"].required = True
        else:
            self.fields["nipt"].help_text = _("Only when you apply for a business.")

    def business(self) -> dict | None:
        nipt = self.cleaned_data.get("nipt", "").strip()
        if not nipt:
            return None
        return {"nipt": nipt, "name": self.cleaned_data.get("business_name", "").strip()}


CHECK_LETTER_OVERRIDE = _(
    "If the card really shows it, tick “The number is correct as on the card” below."
)


class WalkInForm(forms.Form):
    """The counter identifies a walk-in by the personal number on their identity card."""

    nid = forms.CharField(
        label=_("Personal number (NID)"),
        max_length=14,
        help_text=_("As printed on the identity card, for example J00101001C."),
    )
    confirm_check_letter = forms.BooleanField(
        label=_("The number is correct as on the card"),
        help_text=_("Tick only when the identity card really shows this number."),
        required=False,
    )
    identity_document = forms.ChoiceField(
        label=_("Identity document you saw"),
        choices=IdentityDocument.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "Say which identity document of the applicant you saw: identity card or passport."
            )
        },
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = PhoneField(label=_("Phone"), max_length=32, required=False, widget=TelInput)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(
        label=_("Language for messages"),
        choices=[("sq", "Shqip"), ("en", "English")],
        initial="sq",
        widget=forms.RadioSelect,
    )

    def clean(self):
        cleaned = super().clean()
        nid = cleaned.get("nid")
        if nid:
            check = check_identifier(nid, kind="nid")
            if check.error:
                self.add_error("nid", ValidationError(check.error, code="layout"))
            elif check.warning and not cleaned.get("confirm_check_letter"):
                # A warning the clerk can override (DESIGN.md): say how, next to the field.
                message = f"{check.warning} {CHECK_LETTER_OVERRIDE}"
                self.add_error("nid", ValidationError(message, code="check_letter"))
            cleaned["nid"] = check.value
            cleaned["check_warning"] = bool(check.warning)
        return cleaned


class CounterExtrasForm(forms.Form):
    """What only the counter adds to an application: the cash taken and a scanned document."""

    fee_paid = forms.BooleanField(label=_("The applicant paid the fee in cash"), required=False)
    attachment = forms.FileField(
        label=_("Scanned document"),
        required=False,
        help_text=_("PDF, PNG or JPEG, up to 10 MB."),
    )


class AnswerForm(forms.Form):
    message = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    file = forms.FileField(
        label=_("Attach a file"), required=False, help_text=_("PDF, PNG or JPEG, up to 10 MB.")
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)


class MovingHomeForm(forms.Form):
    """Moving home: asked once, used for every request it implies."""

    new_address = forms.CharField(label=_("Your new address"), max_length=200)
    previous_address = forms.CharField(
        label=_("Your previous address"), max_length=200, required=False
    )
    unit = forms.ChoiceField(label=_("Administrative unit of the new address"), required=False)
    moving_date = forms.DateField(label=_("Date of the move"), required=False)
    household_members = forms.IntegerField(
        label=_("People moving with you, you included"), min_value=1, max_value=30, initial=1
    )
    has_car = forms.BooleanField(
        label=_("I have a car and want a resident parking permit"), required=False
    )
    vehicle_plate = forms.CharField(
        label=_("Registration plate"),
        max_length=12,
        required=False,
        help_text=_("Only if you have a car, for example SH123AB."),
    )
    consent = forms.BooleanField(required=False)

    def __init__(self, *args, units=(), consent_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.slug: u for u in units}
        self.fields["unit"].choices = unit_choices(units)
        self.fields["consent"].label = consent_text


# --- staff --------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = forms.ChoiceField(label=_("Administrative unit"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, services=(), units=(), assignees=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("All services"))] + [
            (s.code, s.current_version.name()) for s in services
        ]
        self.fields["status"].choices = [("", _("All open cases"))] + [
            (code, label) for code, label in workflow.STATE_LABELS.items()
        ]
        self.fields["unit"].choices = [("", _("All units"))] + [(u.slug, u.name) for u in units]
        choices = [("", _("Anyone")), ("none", _("Nobody yet"))]
        if user is not None:
            choices.append((str(user.pk), _("Me")))
        choices += [(str(u.pk), u.full_name or u.username) for u in assignees if u != user]
        self.fields["assignee"].choices = choices


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"))
    note = forms.CharField(label=_("Note for the assignee"), required=False)

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.assignees = {str(u.pk): u for u in assignees}
        self.fields["assignee"].choices = [
            (str(u.pk), u.full_name or u.username) for u in assignees
        ]


class RequestInfoForm(forms.Form):
    message = forms.CharField(
        label=_("What the applicant must provide"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The applicant sees this. The legal clock stops until they answer."),
    )


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason for the extension"))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(label=_("Show this note to the applicant"), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason told to the applicant"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        help_text=_("The law and article the rejection rests on."),
    )


class FeePaidForm(forms.Form):
    receipt = forms.CharField(label=_("Cash receipt number"), required=False)


class AnswerForApplicantForm(AnswerForm):
    """The counter answers a request for information on the applicant's behalf."""
