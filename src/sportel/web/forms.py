"""GOV.UK-style form rendering for every Django form: ``{{ form }}`` is all a template needs.

``settings.FORM_RENDERER`` points at :class:`GovukFormRenderer`. It renders

* an error summary at the top of a form that has errors (each message links to its field),
  unless the page already showed one with ``{% include "web/error_summary.html" %}`` (use that
  to put the summary above the page's ``<h1>``, as the GOV.UK pattern does);
* every field as a ``govuk-form-group``: label (or ``<fieldset>``/``<legend>`` for radios and
  checkbox lists), hint from ``help_text``, error message next to the field, and the widget with
  ``aria-describedby`` pointing at the hint and the error;
* "(optional)" after the label of a field that is not required. The browser's own ``required``
  validation is left out on purpose: it would stop the form before our server-side messages,
  which are translated and say what to fix, ever show.

Widgets: text, email, number, url, password, search, ``TelInput`` (below), date (a native date
picker; values are posted as ISO dates, which Django always accepts), select, select multiple,
radios, checkboxes, a single checkbox, textarea and file upload. A class already on a widget
(``govuk-input--width-10``, ``govuk-!-width-one-half``) is kept next to ours.
"""

import copy

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input

# Django's widget templates we replace with GOV.UK markup (the rest only need a CSS class).
WIDGET_TEMPLATES = {
    # form.as_div / form.as_p render like {{ form }} (as_table and as_ul keep Django's markup:
    # their callers wrap them in <table> / <ul>).
    "django/forms/div.html": "web/forms/form.html",
    "django/forms/p.html": "web/forms/form.html",
    "django/forms/widgets/radio.html": "web/forms/widgets/radio.html",
    "django/forms/widgets/checkbox_select.html": "web/forms/widgets/checkbox_select.html",
    "django/forms/widgets/clearable_file_input.html": "web/forms/widgets/file.html",
}


class TelInput(forms.TextInput):
    """A phone number: ``type="tel"`` brings up the phone keypad on mobiles."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "tel", **(attrs or {})})


def _widget_class(widget: forms.Widget) -> str | None:
    """The GOV.UK class for a widget's control, or None when its template places the classes."""
    if widget.is_hidden:
        return None
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return None
    if isinstance(widget, forms.CheckboxInput):
        return "govuk-checkboxes__input"
    if isinstance(widget, forms.Textarea):
        return "govuk-textarea"
    if isinstance(widget, forms.Select):  # also SelectMultiple, NullBooleanSelect
        return "govuk-select"
    if isinstance(widget, forms.FileInput):
        return "govuk-file-upload"
    if isinstance(widget, Input):
        return "govuk-input"
    return None


class GovukBoundField(BoundField):
    """A bound field whose widget carries GOV.UK classes and points at its hint and error."""

    @property
    def hint_id(self) -> str:
        return f"{self.auto_id}_helptext"

    @property
    def error_id(self) -> str:
        return f"{self.auto_id}_error"

    @property
    def described_by(self) -> str:
        """The ids of this field's hint and error message (for a fieldset's aria-describedby)."""
        ids = []
        if self.auto_id and self.help_text:
            ids.append(self.hint_id)
        if self.auto_id and self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def is_checkbox(self) -> bool:
        return isinstance(self.field.widget, forms.CheckboxInput)

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        """``{{ field.label_tag }}`` as a GOV.UK label (no trailing colon)."""
        attrs = dict(attrs or {})
        css = "govuk-fieldset__legend" if tag == "legend" else "govuk-label"
        attrs["class"] = f"{css} {attrs.get('class', '')}".strip()
        suffix = "" if label_suffix is None else label_suffix
        return super().label_tag(contents, attrs, label_suffix=suffix, tag=tag)

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        widget = widget or self.field.widget
        if type(widget) is forms.DateInput and widget.input_type == "text":
            # A native date picker, posting ISO dates (which every locale's input formats accept).
            widget = copy.copy(widget)
            widget.input_type = "date"
            widget.format = "%Y-%m-%d"
        return super().as_widget(widget=widget, attrs=attrs, only_initial=only_initial)

    def build_widget_attrs(self, attrs, widget=None):
        widget = widget or self.field.widget
        attrs = super().build_widget_attrs(attrs, widget)
        attrs.pop("required", None)  # see the module docstring
        css = _widget_class(widget)
        if css:
            classes = [css, widget.attrs.get("class", ""), attrs.get("class", "")]
            if self.errors and css != "govuk-checkboxes__input":
                classes.append(f"{css}--error")
            attrs["class"] = " ".join(c for c in classes if c)
        if isinstance(widget, forms.CheckboxInput) and self.described_by:
            attrs["aria-describedby"] = self.described_by
        return attrs


class GovukFormRenderer(DjangoTemplates):
    """Django's template renderer, with GOV.UK templates for forms, fields and some widgets."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
    bound_field_class = GovukBoundField

    def get_template(self, template_name):
        return super().get_template(WIDGET_TEMPLATES.get(template_name, template_name))
