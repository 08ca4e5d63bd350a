"""Albanian personal numbers (NID, "numri personal") and business numbers (NIPT).

Both share one layout, ``^[A-T0-9][0-9]{8}[A-Z]$``, and one check letter: letters are valued by
their index in ``WABCDEFGHIJKLMNOPQRSTUV``, digits by themselves; the first nine characters are
weighted 1,1,2,3,4,5,6,7,8 and the check letter is ``ALPHABET[sum % 23]``.

A wrong layout is an error. A wrong check letter is only a warning, because old documents carry
numbers issued before the rule was applied consistently: the clerk may override it.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ALPHABET = "WABCDEFGHIJKLMNOPQRSTUV"
WEIGHTS = (1, 1, 2, 3, 4, 5, 6, 7, 8)
LAYOUT = re.compile(r"^[A-T0-9][0-9]{8}[A-Z]$")


@dataclass(frozen=True)
class IdentifierCheck:
    value: str
    error: str | None = None
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.warning is None


def normalize(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def _char_value(char: str) -> int:
    return int(char) if char.isdigit() else ALPHABET.index(char)


def check_letter(first_nine: str) -> str:
    """The check letter for the first nine characters of a NID or NIPT."""
    total = sum(w * _char_value(c) for w, c in zip(WEIGHTS, first_nine, strict=True))
    return ALPHABET[total % 23]


def check_identifier(value: str, *, kind: str = "nid") -> IdentifierCheck:
    """Validate a NID or NIPT: layout errors are errors, check-letter mismatches warnings."""
    normalized = normalize(value)
    label = _("personal number (NID)") if kind == "nid" else _("NIPT")
    if not LAYOUT.match(normalized):
        return IdentifierCheck(
            normalized,
            error=_(
                "The %(label)s must be 10 characters: a letter A–T or a digit, eight digits, "
                "and a final letter (for example J12345678X)."
            )
            % {"label": label},
        )
    if check_letter(normalized[:9]) != normalized[9]:
        return IdentifierCheck(
            normalized,
            warning=_(
                "The last letter of this %(label)s does not match its check letter. "
                "Check the number against the identity document."
            )
            % {"label": label},
        )
    return IdentifierCheck(normalized)


def with_check_letter(first_nine: str) -> str:
    """A valid identifier from nine characters (used by demo data and tests)."""
    return first_nine + check_letter(first_nine)
