"""Forms for the account pages. They parse and check input; services do the writes."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sportel.core.models import Language

from .models import IdentityVerification, KinRelationship

CONTACT_HELP = _("Your email address, or your mobile number (for example 069 123 4567).")


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email or phone number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "The email or phone number and password do not match an account. "
            "Check them and try again."
        ),
        "inactive": _("This account is closed."),
        "unconfirmed": _(
            "You have not confirmed this account yet. Use the link or code we sent you, "
            "or ask for a new one."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.confirmed_at is None:
            raise ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


class SignUpForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    contact = forms.CharField(
        label=_("Email or phone number"),
        max_length=254,
        help_text=CONTACT_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        help_text=_("At least 10 characters; not only numbers, and not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    language = forms.ChoiceField(
        label=_("Language for messages and pages"),
        choices=Language.choices,
        widget=forms.RadioSelect,
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class PhoneCodeForm(forms.Form):
    login = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ResendForm(forms.Form):
    login = forms.CharField(
        label=_("Email or phone number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, login_is_phone: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # The login itself is not edited here: it is shown on the account page.
        del self.fields["phone" if login_is_phone else "email"]


class NidForm(forms.Form):
    nid = forms.CharField(
        label=_("Personal number (NID)"),
        max_length=14,
        help_text=_("The 10 characters on your identity card, for example J00101001C."),
    )
    accept_check_letter = forms.BooleanField(
        label=_("I have checked: this is the number on my identity card"),
        required=False,
    )


class OtpForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class IdentityCheckForm(forms.Form):
    """The clerk's form: the resident's account code, and what the clerk saw on the document."""

    code = forms.CharField(
        label=_("Code shown on the resident's account page"),
        max_length=12,
        help_text=_("Eight letters and digits, for example KQ7M-3XPA."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    nid = forms.CharField(
        label=_("Personal number (NID) on the identity document"),
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    document = forms.ChoiceField(
        label=_("Identity document you saw"),
        choices=IdentityVerification.Document.choices,
        widget=forms.RadioSelect,
    )
    document_seen = forms.BooleanField(
        label=_(
            "I saw this identity document, it is valid, and the person in front of me is the "
            "person it shows"
        ),
        required=False,
    )
    override_check = forms.BooleanField(
        label=_("The number is correct as printed on the document"),
        required=False,
    )
    correct_identity = forms.BooleanField(
        label=_(
            "Correct the identity: the number proven earlier for this account was wrong, and "
            "the document in front of me shows this one"
        ),
        required=False,
    )
    correction_reason = forms.CharField(
        label=_("Why was the earlier number wrong?"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("correct_identity") and not (data.get("correction_reason") or "").strip():
            self.add_error(
                "correction_reason", _("Say why the earlier number was wrong, for the record.")
            )
        return data


class KinForm(forms.Form):
    """The clerk's form for a verified relationship: both numbers from the documents in hand."""

    parent_nid = forms.CharField(
        label=_("Parent's or guardian's personal number (NID), from their identity card"),
        help_text=_("Their account must already be verified (eID, or at this counter)."),
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(
        label=_("Relationship"), choices=KinRelationship.Kind.choices, widget=forms.RadioSelect
    )
    child_nid = forms.CharField(
        label=_("Child's personal number (NID), from the document"),
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    child_first_name = forms.CharField(
        label=_("Child's first name"),
        help_text=_("Only when the child is not in the register yet."),
        max_length=100,
        required=False,
    )
    child_last_name = forms.CharField(
        label=_("Child's last name"),
        help_text=_("Only when the child is not in the register yet."),
        max_length=100,
        required=False,
    )
    child_birth_date = forms.DateField(
        label=_("Child's date of birth"),
        help_text=_("Only when the register has none. For example 27.03.2015."),
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    document = forms.ChoiceField(
        label=_("Document you saw"),
        choices=KinRelationship.Document.choices,
        widget=forms.RadioSelect,
    )
    document_number = forms.CharField(label=_("Document number"), max_length=40)
    document_seen = forms.BooleanField(
        label=_(
            "I saw this original document, and the parent or guardian it names is the person in "
            "front of me"
        ),
        required=False,
    )


class KinRevokeForm(forms.Form):
    relationship = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why is it revoked?"), max_length=200)


class KinSearchForm(forms.Form):
    """The clerk looks up the relationships of one person, by the number on their document."""

    nid = forms.CharField(
        label=_("Personal number (NID) of the parent, guardian or child"),
        help_text=_("Only this person's relationships are shown, and your search is recorded."),
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class KioskLoginForm(LoginForm):
    """The login form on a shared screen: the browser must not offer to remember anything."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "off"
        self.fields["password"].widget.attrs["autocomplete"] = "off"


class UnlockCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code we sent you"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
