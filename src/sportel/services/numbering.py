"""Case numbers (``SHK-2026-000123``) and tracking codes.

Numbers are gap-free per municipality and year: the counter row is locked (by the UPDATE that
increments it) in the same transaction that inserts the case, so a
rollback gives the number back and two requests never get the same one. (On SQLite the whole
transaction holds the database write lock, which serialises numbering the same way.)
"""

import secrets

from django.db import IntegrityError, connection, transaction

from .models import CaseCounter

# Crockford's base32 without I, L, O, U: no letters people confuse, nothing spelled by accident.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 12  # 60 random bits: unguessable, and nothing personal in it


def next_case_number(municipality, year: int) -> tuple[int, str]:
    """Take the next number for ``municipality`` in ``year``; must run inside a transaction.

    One ``UPDATE ... RETURNING`` both locks the counter row until the transaction ends and
    reads the new value; the year's row is created on first use (a racing creator wins, the
    other updates theirs).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_case_number must run inside the transaction that uses it")
    table = CaseCounter._meta.db_table
    sql = (
        f'UPDATE "{table}" SET "last" = "last" + 1 '  # noqa: S608 -- our own table name
        'WHERE "municipality_id" = %s AND "year" = %s RETURNING "last"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [municipality.pk, year])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    CaseCounter.objects.create(municipality=municipality, year=year, last=0)
            except IntegrityError:
                pass  # another transaction created this year's row first: update theirs
            cursor.execute(sql, [municipality.pk, year])
            row = cursor.fetchone()
    seq = row[0]
    return seq, format_case_number(municipality.code, year, seq)


def format_case_number(code: str, year: int, seq: int) -> str:
    return f"{code}-{year}-{seq:06d}"


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_code(value: str) -> str:
    """Accept what people type: lower case, spaces, dashes; O→0, I/L→1 as Crockford says."""
    cleaned = (value or "").upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
