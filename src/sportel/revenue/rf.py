"""ISO 11649 structured creditor references ("RF references").

``RF`` + two check digits + 1..21 alphanumeric characters. The check digits make the whole
reference, read ISO 7064 MOD 97-10 style (the first four characters moved to the end, letters
turned into 10..35), leave a remainder of 1 when divided by 97, exactly like an IBAN.
Printed in groups of four (``RF18 SHK2 6P00 0000 0042``); typed with or without spaces.
"""

import re

MAX_BODY = 21
_BODY = re.compile(r"^[0-9A-Z]{1,21}$")


class InvalidReference(ValueError):
    """Not an ISO 11649 reference: wrong shape or wrong check digits."""


# Each letter as its two digits (A = 10 ... Z = 35); digits stay as they are.
_AS_DIGITS = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


def _digits(text: str) -> int:
    # One translate per reference, not one int() per character: an assessment makes one per
    # taxpayer (800 000 for a large municipality).
    return int(text.upper().translate(_AS_DIGITS))


def compact(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def make(body: str) -> str:
    """The RF reference for ``body`` (1..21 of 0-9 A-Z), compact form."""
    body = compact(body)
    if not _BODY.match(body):
        raise InvalidReference(f"an RF body is 1 to {MAX_BODY} characters of 0-9 and A-Z")
    check = 98 - _digits(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def is_valid(value: str) -> bool:
    ref = compact(value)
    if len(ref) < 5 or len(ref) > 25 or not ref.startswith("RF") or not ref[2:4].isdigit():
        return False
    if not _BODY.match(ref[4:]):
        return False
    return _digits(ref[4:] + ref[:4]) % 97 == 1


def validate(value: str) -> str:
    """The compact reference, or :class:`InvalidReference`."""
    ref = compact(value)
    if not is_valid(ref):
        raise InvalidReference("not a valid ISO 11649 creditor reference")
    return ref


def body_of(value: str) -> str:
    return validate(value)[4:]


def grouped(value: str) -> str:
    ref = compact(value)
    return " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))


def candidates_in_text(text: str) -> list[str]:
    """Every valid RF reference a free-text remittance line may hold, longest first. Printed
    references are split in groups by spaces, so a reference followed by a word can read as a
    longer one that happens to be valid too (1 in 97); the caller checks candidates against the
    invoices it knows."""
    tokens = re.sub(r"[^0-9A-Za-z]+", " ", text or "").upper().split()
    found: list[str] = []
    for i, token in enumerate(tokens):
        if not token.startswith("RF") or len(token) < 4 or not token[2:4].isdigit():
            continue
        candidate = ""
        for part in tokens[i:]:
            candidate += part
            if len(candidate) > 25:
                break
            if is_valid(candidate) and candidate not in found:
                found.append(candidate)
    return sorted(found, key=len, reverse=True)


def find_in_text(text: str) -> str | None:
    """The most likely RF reference in free text: the shortest valid one (a reference glued to
    the next word is the unlikely reading)."""
    found = candidates_in_text(text)
    return found[-1] if found else None
