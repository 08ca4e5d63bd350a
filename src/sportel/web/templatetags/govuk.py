"""Template helpers for GOV.UK Frontend markup."""

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag
def error_summary(form) -> str:
    """The "There is a problem" box listing a form's errors, each linked to its field.

    Rendered once per form: ``{{ form }}`` leaves it out when the page already showed it (with
    ``{% include "web/error_summary.html" %}`` above the ``<h1>``).
    """
    if (
        not form
        or not getattr(form, "errors", None)
        or getattr(form, "_error_summary_shown", False)
    ):
        return ""
    form._error_summary_shown = True
    items: list[tuple[str, str]] = [("", str(error)) for error in form.non_field_errors()]
    for bound_field in form:
        if bound_field.is_hidden:
            items.extend(("", f"{bound_field.label}: {error}") for error in bound_field.errors)
            continue
        target = bound_field.id_for_label or (
            f"{bound_field.auto_id}_0" if bound_field.auto_id else ""
        )
        # The label says which field: "This field is required." alone would not.
        items.extend((target, f"{bound_field.label}: {error}") for error in bound_field.errors)
    return render_to_string("web/forms/error_summary.html", {"items": items})
