"""Document codes: 15 random Crockford base32 characters (75 bits) and a check character.

Unguessable (a forged code hits nothing), short enough to type from paper, no look-alike
letters (no I, L, O, U), and a mistyped character or swapped neighbours are caught by the check
(a Luhn mod 32 over the alphabet) before any database lookup.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def _check(body: str) -> str:
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check(body)


def normalise(text: str) -> str | None:
    """The canonical code for what someone typed or scanned, or None if it cannot be one."""
    cleaned = "".join(ch for ch in str(text).upper() if ch.isalnum()).translate(_ALIASES)
    if len(cleaned) != LENGTH or any(ch not in _VALUE for ch in cleaned):
        return None
    if _check(cleaned[:-1]) != cleaned[-1]:
        return None
    return cleaned


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
