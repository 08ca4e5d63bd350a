"""Keyed hashes that name a reporter or a banned value without saying anything about them."""

import hashlib
import hmac
import re
import secrets

from django.conf import settings


def reporter_key(*, account=None, person=None, email: str = "", phone: str = "", device=""):
    """A keyed hash naming the reporter, so one person's ten reports count once and the key
    itself says nothing about them. The strongest identity given wins."""
    if account is not None:
        basis = f"account:{account.pk}"
    elif person is not None:
        basis = f"person:{person.pk}"
    elif email:
        basis = f"email:{email.strip().lower()}"
    elif phone:
        basis = "phone:" + re.sub(r"\D", "", phone)[-9:]
    elif device:
        basis = f"device:{device}"
    else:
        basis = f"anonymous:{secrets.token_hex(8)}"
    return hmac.new(settings.SECRET_KEY.encode(), basis.encode(), hashlib.sha256).hexdigest()


def ban_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
