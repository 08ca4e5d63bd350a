"""The one login identifier: a lower-cased email, or a phone number in E.164 (+355...)."""

import re


def login_identifier(value: str) -> str:
    value = (value or "").strip()
    if "@" in value:
        return value.lower()
    digits = re.sub(r"[^\d+]", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+355" + digits[1:]
    elif digits and not digits.startswith("+"):
        digits = "+" + digits
    return digits


def is_phone(value: str) -> bool:
    return bool(re.fullmatch(r"\+\d{8,15}", login_identifier(value)))


def axes_username(request, credentials=None) -> str:
    """django-axes counts failures per login: "Arta@X.al" and "arta@x.al" are one account."""
    if credentials and credentials.get("username"):
        return login_identifier(credentials["username"])
    return login_identifier(request.POST.get("username", "") if request is not None else "")
