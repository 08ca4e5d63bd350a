"""Verified relationships: a proven parent or legal guardian acting for a minor (decision 0010).

A clerk records one at the counter (``people.verify``) after seeing the parent's proven account
and the birth certificate or the court decision; the document's kind and number are kept. It is
never edited: revoking appends a :class:`KinRevocation`. It grants something only while

- it is not revoked,
- the account is still proven (eID or counter) to be the parent it was recorded for,
- the child is under 18 (by the birth date on the relationship, Europe/Tirane).

Services decide which documents a relationship may obtain (``services.identity``).
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.identifiers import check_identifier
from sportel.core.models import Person
from sportel.core.services import register_person

from . import permissions
from .models import KinRelationship, KinRevocation, User

# Sent on commit: kin_verified.send(sender=KinRelationship, relationship=).
kin_verified = Signal()

ADULT_AGE = 18


def _today() -> date:
    return timezone.localdate()


def turns_adult(birth_date: date) -> date:
    try:
        return birth_date.replace(year=birth_date.year + ADULT_AGE)
    except ValueError:  # born on 29 February: adult on 1 March
        return date(birth_date.year + ADULT_AGE, 3, 1)


def is_minor(birth_date: date | None, on: date | None = None) -> bool:
    return birth_date is not None and (on or _today()) < turns_adult(birth_date)


def record_relationship(
    municipality,
    *,
    clerk,
    parent_nid: str,
    child_nid: str,
    child_first_name: str = "",
    child_last_name: str = "",
    child_birth_date: date | None = None,
    kind: str,
    document: str,
    document_number: str,
    document_seen: bool,
) -> KinRelationship:
    """A clerk records that the account proven to be ``parent_nid`` is the parent or guardian of
    the minor with ``child_nid`` in this municipality's register, from the document they saw.

    The parent's account must already be proven (eID or counter): the relationship is the
    person's, never a typed number's. The child's birth date comes from the register, or from
    the clerk when the register has none (it is then written to the register too).
    """
    role = permissions.require(clerk, municipality, "people.verify")
    errors = {}
    if not document_seen:
        errors["document_seen"] = _(
            "Confirm that you saw the birth certificate or the court decision."
        )
    if kind not in KinRelationship.Kind.values:
        errors["kind"] = _("Choose the relationship the document shows.")
    if document not in KinRelationship.Document.values:
        errors["document"] = _("Choose the document you saw.")
    number = (document_number or "").strip()
    if not number:
        errors["document_number"] = _("Type the document's number.")
    parent = check_identifier(parent_nid, kind="nid")
    if parent.error:
        errors["parent_nid"] = parent.error
    child = check_identifier(child_nid, kind="nid")
    if child.error:
        errors["child_nid"] = child.error
    if errors:
        raise ValidationError(errors)
    if parent.value == child.value:
        raise ValidationError({"child_nid": _("The child's number is the parent's number.")})
    accounts = list(User.objects.filter(nid=parent.value, nid_verified=True, is_active=True))
    if len(accounts) != 1:
        raise ValidationError(
            {
                "parent_nid": _(
                    "No account is proven to hold this personal number. The parent first "
                    "verifies their own identity (eID, or at the counter with their identity "
                    "card)."
                )
            }
        )
    account = accounts[0]
    if account.pk == clerk.pk:
        raise PermissionDenied(_("You cannot record a relationship of your own."))
    with transaction.atomic():
        person = (
            Person.objects.select_for_update()
            .filter(municipality=municipality, nid=child.value)
            .first()
        )
        if person is None:
            if not (child_first_name.strip() and child_last_name.strip()):
                raise ValidationError(
                    {
                        "child_first_name": _(
                            "The child is not in the register yet: type their first and last "
                            "name from the document."
                        )
                    }
                )
            details = {"birth_date": child_birth_date} if child_birth_date else {}
            person = register_person(
                municipality,
                nid=child.value,
                first_name=child_first_name,
                last_name=child_last_name,
                actor=clerk,
                override_check=True,
                **details,
            ).obj
        born = person.birth_date or child_birth_date
        if born is None:
            raise ValidationError(
                {
                    "child_birth_date": _(
                        "The register has no date of birth for this child: type it from the "
                        "document."
                    )
                }
            )
        if child_birth_date and person.birth_date and child_birth_date != person.birth_date:
            raise ValidationError(
                {
                    "child_birth_date": _(
                        "The register gives a different date of birth (%(date)s). Check the "
                        "document; the register is corrected by the civil status office."
                    )
                    % {"date": person.birth_date.strftime("%d.%m.%Y")}
                }
            )
        if not person.birth_date:
            Person.objects.filter(pk=person.pk).update(birth_date=born)
        if not is_minor(born):
            raise ValidationError(
                {"child_birth_date": _("The child is 18 or older: they apply for themselves.")}
            )
        if active_relationship(account, person) is not None:
            raise ValidationError(
                {"child_nid": _("This relationship is already recorded and in force.")}
            )
        relationship = KinRelationship.objects.create(
            user=account,
            parent_nid=parent.value,
            child=person,
            kind=kind,
            child_birth_date=born,
            document=document,
            document_number=number,
            municipality=municipality,
            verified_by=clerk,
        )
        audit.record(
            "account.kin_verified",
            actor=clerk,
            municipality=municipality,
            obj=relationship,
            subject_user=account,
            subject=person,
            role=role,
            data={"kind": kind, "document": document},
        )
        transaction.on_commit(
            lambda: kin_verified.send(sender=KinRelationship, relationship=relationship)
        )
    return relationship


def revoke_relationship(municipality, *, clerk, relationship_id: int, reason: str) -> KinRevocation:
    """A clerk ends a relationship recorded in their municipality (a mistake, a court decision)."""
    role = permissions.require(clerk, municipality, "people.verify")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the relationship is revoked.")})
    with transaction.atomic():
        relationship = (
            KinRelationship.objects.select_for_update()
            .filter(pk=relationship_id, municipality=municipality)
            .first()
        )
        if relationship is None:
            raise ValidationError({"relationship": _("There is no such relationship here.")})
        if KinRevocation.objects.filter(relationship=relationship).exists():
            raise ValidationError({"relationship": _("This relationship is already revoked.")})
        revocation = KinRevocation.objects.create(
            relationship=relationship, revoked_by=clerk, reason=reason[:200]
        )
        audit.record(
            "account.kin_revoked",
            actor=clerk,
            municipality=municipality,
            obj=relationship,
            subject_user=relationship.user,
            subject=relationship.child,
            role=role,
            data={"kind": relationship.kind},
        )
    return revocation


def grants(relationship: KinRelationship | None, user=None, on: date | None = None) -> bool:
    """Does this relationship let ``user`` (its account by default) act for the child today?"""
    if relationship is None:
        return False
    user = user or relationship.user
    return bool(
        user is not None
        and user.pk == relationship.user_id
        and user.nid_verified
        and user.nid == relationship.parent_nid
        and not KinRevocation.objects.filter(relationship_id=relationship.pk).exists()
        and is_minor(relationship.child_birth_date, on)
    )


def active_relationship(user, person) -> KinRelationship | None:
    """The relationship by which ``user`` may act for ``person`` today, or None."""
    if user is None or person is None or not getattr(user, "is_authenticated", False):
        return None
    rows = (
        KinRelationship.objects.filter(user=user, child=person, revocation__isnull=True)
        .select_related("verified_by", "municipality", "child")
        .order_by("-at", "-pk")
    )
    return next((row for row in rows if grants(row, user)), None)


def relationship_to(user, municipality, nid: str) -> KinRelationship | None:
    """The latest relationship (in force or not) of ``user`` to the person with ``nid`` here."""
    if user is None or not nid:
        return None
    return (
        KinRelationship.objects.filter(user=user, municipality=municipality, child__nid=nid)
        .select_related("child", "verified_by")
        .order_by("-at", "-pk")
        .first()
    )


def relationships_of(user) -> list[dict]:
    """The account's relationships, newest first, each with whether it is in force today."""
    rows = (
        KinRelationship.objects.filter(user=user)
        .select_related("child", "municipality", "verified_by", "revocation")
        .order_by("-at", "-pk")
    )
    result = []
    for row in rows:
        revocation = getattr(row, "revocation", None)
        result.append(
            {
                "relationship": row,
                "revocation": revocation,
                "adult_on": turns_adult(row.child_birth_date),
                "in_force": grants(row, user),
            }
        )
    return result


SEARCH_REASON = "relationships: search by personal number"


def find_relationships(municipality, *, clerk, nid: str) -> list[KinRelationship]:
    """The relationships recorded in ``municipality`` whose parent or child holds ``nid``, for
    the clerk who searched for that number; nothing else is listed.

    Each search that shows people is a read of their data: one ``person.read`` entry per person
    shown (the child's register entry, the parent's account), which they see under "who
    accessed my data".
    """
    role = permissions.require(clerk, municipality, "people.verify")
    check = check_identifier(nid, kind="nid")
    if check.error:
        raise ValidationError({"nid": check.error})
    found = list(
        KinRelationship.objects.filter(municipality=municipality)
        .filter(Q(parent_nid=check.value) | Q(child__nid=check.value))
        .select_related("user", "child", "child__municipality", "child__user", "verified_by")
        .select_related("revocation")
        .order_by("-at", "-pk")
    )
    if not found:
        return found
    with transaction.atomic():
        children = {row.child_id: row.child for row in found}
        for child in children.values():
            audit.record_read(clerk, child, reason=SEARCH_REASON, role=role)
        for user in {row.user_id: row.user for row in found}.values():
            audit.record(
                "person.read",
                actor=clerk,
                municipality=municipality,
                obj=user,
                subject_user=user,
                role=role,
                reason=SEARCH_REASON,
            )
    return found


def children_of(user, municipality) -> list[Person]:
    """The persons a clerk recorded ``user`` as parent or guardian of in ``municipality`` (in
    force or not: an application for them is then filed and waits for staff when it must)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    seen: dict[int, Person] = {}
    rows = (
        KinRelationship.objects.filter(user=user, municipality=municipality)
        .select_related("child")
        .order_by("child__first_name", "child__pk")
    )
    for row in rows:
        seen.setdefault(row.child_id, row.child)
    return list(seen.values())
