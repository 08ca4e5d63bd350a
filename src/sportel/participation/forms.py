"""Forms of the participation pages (GOV.UK markup through the site's form renderer)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit

CATEGORIES = (
    ("", _("Choose a category")),
    ("roads", _("Roads and pavements")),
    ("green", _("Parks and greenery")),
    ("lighting", _("Street lighting")),
    ("water", _("Water and irrigation")),
    ("culture", _("Culture, sport and youth")),
    ("social", _("Social care")),
    ("other", _("Other")),
)


class ProposalForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        help_text=_("What should be done, in a few words."),
    )
    body = forms.CharField(
        label=_("Description"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Where, why, and who it helps. Plain text."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=CATEGORIES, required=False)
    unit = forms.ModelChoiceField(
        label=_("Administrative unit"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        empty_label=_("The whole municipality"),
    )
    image = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("PNG or JPEG, up to 10 MB. Photos are re-saved without their metadata."),
    )

    def __init__(self, municipality, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = AdministrativeUnit.objects.filter(
            municipality=municipality
        ).order_by("name")
