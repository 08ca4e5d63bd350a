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
