"""The floor's HTML forms: a ticket at reception or at a kiosk, a transfer, a device, a booking."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Device, Priority


class TicketForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Queue"), coerce=int, widget=forms.RadioSelect)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("The law gives these groups priority: they are called first."),
    )
    nid = forms.CharField(
        label=_("Personal number (NID), if you want the clerk to have it ready"),
        max_length=14,
        required=False,
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.pk, f"{c.letter} — {c.name}") for c in categories]
        self.fields["priority"].initial = ""


class TransferForm(forms.Form):
    category = forms.TypedChoiceField(label=_("To the queue"), coerce=int, required=False)
    to_counter = forms.TypedChoiceField(label=_("Or to the counter"), coerce=int, required=False)

    def __init__(self, *args, categories=(), counters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("The same queue"))] + [
            (c.pk, f"{c.letter} — {c.name}") for c in categories
        ]
        self.fields["to_counter"].choices = [("", _("Any counter"))] + [
            (c.pk, str(c.number)) for c in counters
        ]


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=12)


class DeviceForm(forms.Form):
    office = forms.TypedChoiceField(label=_("Office"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=Device.Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name"), max_length=100)
    functions = forms.MultipleChoiceField(
        label=_("What the kiosk offers"),
        choices=Device.Function.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    idle_seconds = forms.IntegerField(
        label=_("Idle time before the kiosk returns to its start screen (seconds)"),
        min_value=15,
        max_value=900,
        initial=60,
    )

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [(o.pk, o.name) for o in offices]


class BookingForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Queue"), coerce=int)
    slot = forms.ChoiceField(label=_("Time"))

    def __init__(self, *args, categories=(), slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.pk, f"{c.letter} — {c.name}") for c in categories]
        self.fields["slot"].choices = [(s, label) for s, label in slots]


# --- the administrator's office set-up (configuration.py validates; these only parse) ---------

WEEKDAY_LABELS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
ORDINALS = (_("Served first"), _("Second"), _("Third"), _("Fourth"))


class OfficeForm(forms.Form):
    name_sq = forms.CharField(label=_("Name (Albanian)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    slug = forms.SlugField(
        label=_("Address name (letters, digits and dashes; cannot be changed later)"),
        max_length=60,
        required=False,
    )
    unit = forms.TypedChoiceField(label=_("Administrative unit"), coerce=int, required=False)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)

    def __init__(self, *args, units=(), creating=True, priorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["slug"]
        self.fields["unit"].choices = [("", _("Choose an administrative unit"))] + [
            (u.pk, u.name) for u in units
        ]
        for day, label in enumerate(WEEKDAY_LABELS):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=100,
                help_text=_("e.g. 08:00-16:00 or 08:00-12:00, 13:00-16:00; empty: closed"),
            )
        for place, label in enumerate(ORDINALS, start=1):
            self.fields[f"priority_{place}"] = forms.ChoiceField(
                label=label, choices=[("", "—"), *priorities], required=False
            )

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["hours"] = [data.pop(f"hours_{day}", "") for day in range(7)]
        data["priority_order"] = [data.pop(f"priority_{place}", "") for place in range(1, 5)]
        return data


class CategoryForm(forms.Form):
    letter = forms.CharField(label=_("Letter (ticket prefix)"), max_length=2, required=False)
    name_sq = forms.CharField(label=_("Name (Albanian)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    services = forms.TypedMultipleChoiceField(
        label=_("Services this queue serves"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    default_service_minutes = forms.CharField(
        label=_("Minutes per person until enough tickets are measured"), required=False
    )
    slot_minutes = forms.CharField(label=_("Appointment slot (minutes)"), required=False)
    slot_capacity = forms.CharField(
        label=_("Appointments per slot (0: no appointments)"), required=False
    )
    order = forms.CharField(label=_("Order on the kiosk and screens"), required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = [(s.pk, str(s)) for s in services]


class CounterForm(forms.Form):
    number = forms.CharField(label=_("Counter number"), max_length=3, required=False)
    categories = forms.TypedMultipleChoiceField(
        label=_("Queues this counter serves"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Open for clerks to sign in"), required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.pk, f"{c.letter} — {c.name}") for c in categories]


class KioskNidForm(forms.Form):
    nid = forms.CharField(label=_("Your personal number (NID)"), max_length=14)


class KioskCodeForm(forms.Form):
    code = forms.CharField(label=_("The code we sent by SMS"), max_length=10)
