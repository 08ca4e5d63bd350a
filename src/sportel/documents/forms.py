from django import forms
from django.utils.translation import gettext_lazy as _

from .verification import max_upload_bytes


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Document code"),
        help_text=_("The 16 characters printed under the QR code, e.g. 7K3M-Q9TX-2HBD-R4ZC."),
        max_length=40,
    )


class UploadForm(forms.Form):
    document = forms.FileField(label=_("PDF document"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _("The PDF file you received (at most %(mb)s MB).") % {
            "mb": max_upload_bytes() // (1024 * 1024)
        }

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is too large: documents we issue are far smaller than %(mb)s MB.")
                % {"mb": max_upload_bytes() // (1024 * 1024)},
                code="too_large",
            )
        return upload


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown on the public verification page; no personal data."),
    )
