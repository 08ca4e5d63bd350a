"""The application forms' engine lives in :mod:`sportel.core.jsonforms`, next to the domain that
validates answers with it; the web layer imports it from there, never the reverse. This name
stays for the views and templates that know it."""

from sportel.core.jsonforms import (
    CONFIRM_SUFFIX,
    PhoneField,
    SchemaForm,
    form_class_for,
    to_json,
    validate,
)

__all__ = ["CONFIRM_SUFFIX", "PhoneField", "SchemaForm", "form_class_for", "to_json", "validate"]
