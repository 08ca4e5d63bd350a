"""Writes on tenancy and people. Views and APIs call these; they never save models themselves."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import audit
from .identifiers import check_identifier
from .models import Business, Municipality, Person


@dataclass
class Registered:
    """What a register_* call did: the row, whether it was created, and any warning to show."""

    obj: Person | Business
    created: bool
    warning: str | None = None


def _checked(value: str, *, kind: str, override_check: bool, field: str) -> tuple[str, str | None]:
    result = check_identifier(value, kind=kind)
    if result.error:
        raise ValidationError({field: result.error})
    if result.warning and not override_check:
        raise ValidationError({field: ValidationError(result.warning, code="check_letter")})
    return result.value, result.warning


def register_person(
    municipality: Municipality,
    *,
    nid: str | None,
    first_name: str,
    last_name: str,
    actor=None,
    override_check: bool = False,
    **details,
) -> Registered:
    """Find or create the person with this NID in the municipality.

    A NID with a bad layout is refused; one whose check letter does not match is refused with
    code ``check_letter`` unless the clerk overrides it. An existing person is returned as is
    (deduplication on NID) and their missing contact details are filled in.
    """
    warning = None
    if nid:
        nid, warning = _checked(nid, kind="nid", override_check=override_check, field="nid")
    if not first_name.strip() or not last_name.strip():
        raise ValidationError({"first_name": _("First and last name are required.")})
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = (
                    Person.objects.select_for_update()
                    .filter(municipality=municipality, nid=nid)
                    .first()
                    if nid
                    else None
                )
                if existing:
                    changed = [k for k, v in details.items() if v and not getattr(existing, k)]
                    for key in changed:
                        setattr(existing, key, details[key])
                    if changed:
                        existing.save(update_fields=changed)
                        audit.record(
                            "person.update",
                            actor=actor,
                            municipality=municipality,
                            obj=existing,
                            subject=existing,
                            subject_user=existing.user,
                            data={"fields": changed},
                        )
                    return Registered(existing, created=False, warning=warning)
                person = Person.objects.create(
                    municipality=municipality,
                    nid=nid or None,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    nid_check_overridden=bool(warning),
                    **details,
                )
                audit.record(
                    "person.create",
                    actor=actor,
                    municipality=municipality,
                    obj=person,
                    subject=person,
                    subject_user=person.user,
                    data={"nid_check_overridden": bool(warning)},
                )
                return Registered(person, created=True, warning=warning)
        except IntegrityError:
            # Another request created the same NID between our read and insert: read theirs.
            if attempt:
                raise
    raise AssertionError("unreachable")


def register_business(
    municipality: Municipality,
    *,
    nipt: str,
    name: str,
    actor=None,
    override_check: bool = False,
    **details,
) -> Registered:
    """Find or create the business with this NIPT in the municipality (deduplicated on NIPT)."""
    nipt, warning = _checked(nipt, kind="nipt", override_check=override_check, field="nipt")
    if not name.strip():
        raise ValidationError({"name": _("The business name is required.")})
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = Business.objects.filter(municipality=municipality, nipt=nipt).first()
                if existing:
                    return Registered(existing, created=False, warning=warning)
                business = Business.objects.create(
                    municipality=municipality, nipt=nipt, name=name.strip(), **details
                )
                audit.record(
                    "business.create", actor=actor, municipality=municipality, obj=business
                )
                return Registered(business, created=True, warning=warning)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")
