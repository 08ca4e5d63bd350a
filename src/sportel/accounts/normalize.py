"""The one login identifier: a lower-cased email, or a phone number in E.164 (+355...).

What a valid phone number is, and its E.164 form, is core's one rule (:mod:`sportel.core.phones`).
"""

import re

from sportel.core import phones


def login_identifier(value: str) -> str:
    value = (value or "").strip()
    if "@" in value:
        return value.lower()
    e164 = phones.to_e164(value)
    if e164 is not None:
        return e164
    # Not a valid number (today's rule): compacted as the rule before it did, so a login made
    # under the older, looser rule still finds its account.
    digits = re.sub(r"[^\d+]", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+355" + digits[1:]
    return digits


def is_phone(value: str) -> bool:
    return phones.is_phone(value)


def axes_username(request, credentials=None) -> str:
    """django-axes counts failures per login: "Arta@X.al" and "arta@x.al" are one account."""
    if credentials and credentials.get("username"):
        return login_identifier(credentials["username"])
    return login_identifier(request.POST.get("username", "") if request is not None else "")
