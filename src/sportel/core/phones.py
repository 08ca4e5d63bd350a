"""The one rule for phone numbers: what is valid, and how it is stored (E.164, ``+355691234567``).

Every form, API and account function asks this module; before it, the form fields and the
account code each had a regular expression of their own and disagreed (``69 123 4567`` became
``+691234567`` at sign-up; ``12345678`` was a login; a mobile number one digit short passed both).

Numbers are read the way people write them: a national number (``069 123 4567``, ``04 223 4567``,
or without the leading 0) is Albanian; ``00`` or ``+`` starts an international one. Validity is
Google's libphonenumber metadata (the ``phonenumbers`` package): the number must exist in its
country's numbering plan, so a mobile number one digit short is refused.
"""

import re

import phonenumbers

DEFAULT_REGION = "AL"
# What may stand between the digits: spaces, dots, dashes, brackets, a slash. Letters may not
# (libphonenumber would otherwise drop trailing text or read vanity letters as digits).
TYPED = re.compile(r"^\+?[0-9\s.\-()/]+$")


def to_e164(value: str) -> str | None:
    """The number in E.164 if ``value`` is a valid phone number as typed, else None."""
    value = (value or "").strip()
    if not value or not TYPED.match(value):
        return None
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_phone(value: str) -> bool:
    """Whether ``value`` is a valid phone number, however it is written."""
    return to_e164(value) is not None


def is_e164(value: str) -> bool:
    """Whether ``value`` is a valid number already written as stored (``+355691234567``)."""
    return isinstance(value, str) and to_e164(value) == value
