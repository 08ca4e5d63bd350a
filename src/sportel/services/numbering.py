"""Case numbers (``SHK-2026-000123``) and tracking codes.

Numbers are gap-free per municipality and year: the counter row is locked with
``select_for_update`` and incremented in the same transaction that inserts the case, so a
rollback gives the number back and two requests never get the same one. (On SQLite the whole
transaction holds the database write lock, which serialises numbering the same way.)
"""

import secrets

from django.db import IntegrityError, transaction

from .models import CaseCounter

# Crockford's base32 without I, L, O, U: no letters people confuse, nothing spelled by accident.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 12  # 60 random bits: unguessable, and nothing personal in it


def next_case_number(municipality, year: int) -> tuple[int, str]:
    """Take the next number for ``municipality`` in ``year``; must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_case_number must run inside the transaction that uses it")
    counter = (
        CaseCounter.objects.select_for_update().filter(municipality=municipality, year=year).first()
    )
    if counter is None:
        try:
            with transaction.atomic():
                CaseCounter.objects.create(municipality=municipality, year=year, last=0)
        except IntegrityError:
            pass  # another transaction created this year's row first: lock theirs
        counter = CaseCounter.objects.select_for_update().get(municipality=municipality, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, format_case_number(municipality.code, year, counter.last)


def format_case_number(code: str, year: int, seq: int) -> str:
    return f"{code}-{year}-{seq:06d}"


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_code(value: str) -> str:
    """Accept what people type: lower case, spaces, dashes; O→0, I/L→1 as Crockford says."""
    cleaned = (value or "").upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
