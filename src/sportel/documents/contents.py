"""What each kind of certificate states, as its paper counterpart from a civil status office does.

A residence certificate (vërtetim banimi) names the person, their father's name, date of birth
and personal number, the address and the administrative unit it lies in, and says in a sentence
what is certified and what the certificate was asked for. The form's own question ("What do you
need it for?") is not an official field: the answer becomes that sentence. The case number is
printed once, in the header, by the layout.

Other document types keep the (label, value) pairs their caller gives.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext as _

CIVIL_STATUS_TYPES = ("residence_certificate", "family_certificate", "personal_certificate")


def _person_rows(person) -> list[tuple[str, str]]:
    rows = []
    if person.father_name:
        rows.append((_("Father's name"), person.father_name))
    if person.birth_date:
        rows.append((_("Date of birth"), formats.date_format(person.birth_date, "d.m.Y")))
    return rows


def _address_rows(person, municipality) -> list[tuple[str, str]]:
    rows = [(_("Address"), person.address)]
    if person.unit_id:
        rows.append((_("Administrative unit"), person.unit.name))
    rows.append((_("Municipality"), municipality.name))
    return rows


def purpose_line(purpose: str, language: str) -> str:
    """The sentence saying at whose request, and for what, a document was issued."""
    with translation.override(language):
        return _purpose(purpose)


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        return _("Issued at the request of the person concerned.")
    return _("Issued at the request of the person concerned, to be presented for: %(purpose)s.") % {
        "purpose": purpose.rstrip(".")
    }


def civil_status_content(
    document_type: str, *, municipality, person, language: str, purpose: str = ""
) -> tuple[list[tuple[str, str]], str]:
    """(fields, body) of a civil-status certificate about ``person``, in ``language``.

    Raises ValidationError when the register lacks what the certificate must state (a residence
    certificate without an address certifies nothing): the case then waits for a clerk.
    """
    if person is None:
        raise ValidationError(_("A civil status certificate names a person."), code="no_person")
    with translation.override(language):
        name = person.full_name
        rows = _person_rows(person)
        if document_type == "residence_certificate":
            if not (person.address or "").strip():
                raise ValidationError(
                    {
                        "address": _(
                            "The civil register has no address for this person: a clerk must "
                            "record it before a residence certificate can be issued."
                        )
                    }
                )
            rows += _address_rows(person, municipality)
            where = (
                _("in the administrative unit %(unit)s of the Municipality of %(municipality)s")
                % {"unit": person.unit.name, "municipality": municipality.name}
                if person.unit_id
                else _("in the Municipality of %(municipality)s")
                % {"municipality": municipality.name}
            )
            certified = _(
                "It is certified that %(name)s is registered as resident at the address above, "
                "%(where)s, according to the civil status register."
            ) % {"name": name, "where": where}
        elif document_type == "family_certificate":
            if (person.address or "").strip():
                rows += _address_rows(person, municipality)
            certified = _(
                "Certificate of the family of %(name)s as recorded in the civil status register "
                "of the Municipality of %(municipality)s."
            ) % {"name": name, "municipality": municipality.name}
        else:
            certified = _(
                "Personal certificate of %(name)s with the data recorded in the civil status "
                "register of the Municipality of %(municipality)s."
            ) % {"name": name, "municipality": municipality.name}
        return rows, f"{certified}\n\n{_purpose(purpose)}"
