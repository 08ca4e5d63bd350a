"""Who the applicant is: the Person behind an account, the assurance a service asks for."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sportel.core.models import Municipality, Person
from sportel.core.services import register_person

from .models import AssuranceLevel, Case


def is_applicant(actor, case: Case) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if case.applicant_user_id == actor.pk:
        return True
    person = case.applicant_person
    return person is not None and person.user_id == actor.pk


def _split_name(full_name: str) -> tuple[str, str]:
    parts = (full_name or "").split()
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    return (parts[0], "-") if parts else ("-", "-")


def person_for_user(municipality: Municipality, user, *, actor=None) -> Person:
    """The municipality's Person for a signed-in citizen, created from the account if needed."""
    person = Person.objects.filter(municipality=municipality, user=user).first()
    if person is None and user.nid:
        person = Person.objects.filter(municipality=municipality, nid=user.nid).first()
        if person is not None and person.user_id is None:
            Person.objects.filter(pk=person.pk).update(user=user)
            person.user = user
    if person is None:
        first, last = _split_name(user.full_name)
        person = register_person(
            municipality,
            nid=user.nid or None,
            first_name=first,
            last_name=last,
            actor=actor or user,
            override_check=True,
            email=user.email,
            phone=user.phone,
            user=user,
            preferred_language=user.language,
        ).obj
    return person


def _check_assurance(user, level: str) -> None:
    if level == AssuranceLevel.SUBSTANTIAL and not user.nid:
        raise ValidationError(
            _("This service needs your personal number (NID): link it to your account first."),
            code="assurance",
        )
    if level == AssuranceLevel.HIGH and not user.nid_verified:
        raise ValidationError(
            _(
                "This service needs an identity confirmed by the national eID: log in with "
                "e-Albania, or apply at the counter with your identity card."
            ),
            code="assurance",
        )
