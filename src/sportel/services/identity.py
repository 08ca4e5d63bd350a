"""Who the applicant is: the Person behind an account, the assurance a service asks for, and
whether the account was *proven* to be the person a case is about (decision 0010).

A personal number the account typed is a claim: it never links the account to the register
entry (``core.Person``) holding that number, so an account applies as a person without a
personal number until the national eID or a clerk with the identity document proves who it is
(``accounts.identity``). Then :func:`attach_proven_identity` links its register entry and open
cases.
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from sportel.accounts import identity as accounts_identity
from sportel.accounts import kin
from sportel.core import audit, prepared
from sportel.core.models import AdministrativeUnit, Municipality, Person
from sportel.core.services import register_person

from . import workflow
from .models import AssuranceLevel, Case, CaseEvent, Channel


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


def _registered_person(municipality: Municipality, nid: str) -> Person | None:
    """The register entry with this personal number, with its administrative unit (a
    certificate prints it: one statement fewer). On every submission of a proven resident:
    on PostgreSQL a prepared statement (what the ORM spends building it is most of its cost)."""
    if not prepared.enabled():
        return (
            Person.objects.filter(municipality=municipality, nid=nid)
            .select_related("unit")
            .order_by("pk")
            .first()
        )
    q = connection.ops.quote_name
    person, unit = q(Person._meta.db_table), q(AdministrativeUnit._meta.db_table)
    columns = f"{prepared.columns(Person, 'p')}, {prepared.columns(AdministrativeUnit, 'u')}"
    sql = (
        f"SELECT {columns} FROM {person} p"  # noqa: S608 -- our own tables and columns
        f" LEFT JOIN {unit} u ON u.{q('id')} = p.{q('unit_id')}"
        f" WHERE p.{q('municipality_id')} = %s AND p.{q('nid')} = %s ORDER BY p.{q('id')} LIMIT 1"
    )
    with prepared.cursor() as cursor:
        cursor.execute(sql, [municipality.pk, nid])
        row = cursor.fetchone()
    if row is None:
        return None
    found, end = prepared.instance(Person, row)
    Person.unit.field.set_cached_value(found, prepared.instance(AdministrativeUnit, row, end)[0])
    return found


def person_for_user(municipality: Municipality, user, *, actor=None) -> Person:
    """The municipality's Person for a signed-in citizen, created from the account if needed.

    Only a *proven* personal number finds or creates the register entry with that number; an
    account with a typed (claimed) number gets an entry of its own without one.
    """
    if user.nid_verified and user.nid:
        # With its administrative unit: a certificate prints it (one statement fewer).
        registered = _registered_person(municipality, user.nid)
        if registered is not None:
            if registered.user_id != user.pk:
                Person.objects.filter(pk=registered.pk).update(user=user)
                registered.user = user
            return registered
        own = Person.objects.filter(municipality=municipality, user=user, nid__isnull=True)
        own = own.first()
        if own is not None:
            Person.objects.filter(pk=own.pk).update(nid=user.nid)
            own.nid = user.nid
            return own
        nid = user.nid
    else:
        own = Person.objects.filter(municipality=municipality, user=user, nid__isnull=True)
        own = own.first()
        if own is not None:
            return own
        nid = None
    first, last = _split_name(user.full_name)
    return register_person(
        municipality,
        nid=nid,
        first_name=first,
        last_name=last,
        actor=actor or user,
        override_check=True,
        email=user.email,
        phone=user.phone,
        user=user,
        preferred_language=user.language,
    ).obj


def _check_assurance(user, level: str) -> None:
    """May this account apply at all? (Whether a document is issued is :func:`identity_proven`.)

    *Substantial* services take the application from an account with at least a typed personal
    number, so staff can find the records; the case then waits for staff until the identity is
    proven. *High* services need the national eID.
    """
    if level == AssuranceLevel.SUBSTANTIAL and not user.nid:
        raise ValidationError(
            _("This service needs your personal number (NID): link it to your account first."),
            code="assurance",
        )
    if level == AssuranceLevel.HIGH and accounts_identity.level_of(user) != "high":
        raise ValidationError(
            _(
                "This service needs an identity confirmed by the national eID: log in with "
                "e-Albania, or apply at the counter with your identity card."
            ),
            code="assurance",
        )


def needs_proven_identity(case: Case) -> bool:
    """Is the case about a person, so that deciding or issuing needs their identity proven?"""
    version = case.service_version
    return bool(version.output_document_type) or version.assurance_level in (
        AssuranceLevel.SUBSTANTIAL,
        AssuranceLevel.HIGH,
    )


def identity_proven(case: Case) -> bool:
    """Was the person this case is about proven to be its applicant?

    At the counter the clerk saw the identity document (recorded on the case). Online and at a
    kiosk, the account must be proven (eID or counter) to be the person the case names.
    """
    if case.channel == Channel.COUNTER:
        return bool(case.identity_document)
    person = case.applicant_person
    if case.on_behalf_nid:
        return kin_relationship(case) is not None
    return person is not None and accounts_identity.is_proven_person(
        case.applicant_user, person.nid
    )


def kin_relationship(case: Case):
    """The verified relationship by which the applicant acts for the person the case names, when
    the service allows one and it is in force today (the child still a minor); else None."""
    person = case.applicant_person
    if (
        case.channel == Channel.COUNTER
        or not case.on_behalf_nid
        or not case.service_version.allows_relationship
        or person is None
        or person.nid != case.on_behalf_nid
    ):
        return None
    return kin.active_relationship(case.applicant_user, person)


def on_behalf_person(municipality: Municipality, user, nid: str) -> Person | None:
    """The register entry an application on behalf of ``nid`` is about: the child of a
    relationship a clerk recorded for this account here (in force or not: staff then see why it
    waits). None when there is no such relationship: a typed number is a claim and never reaches
    a register entry (decision 0010)."""
    relationship = kin.relationship_to(user, municipality, nid)
    return relationship.child if relationship is not None else None


def require_proven_identity(case: Case) -> None:
    """``ValidationError`` (code ``identity_unproven``) when the case may not be decided yet."""
    refusal = identity_refusal(case)
    if refusal is not None:
        raise refusal


def identity_refusal(case: Case) -> ValidationError | None:
    """The refusal :func:`require_proven_identity` raises, or None (for the action table)."""
    if needs_proven_identity(case) and not identity_proven(case):
        return ValidationError(
            _(
                "The applicant's identity is not proven: nothing about a person is approved or "
                "issued until they log in with the national eID or show their identity document "
                "at a counter."
            ),
            code="identity_unproven",
        )
    return None


def identity_summary(case: Case) -> dict:
    """What the staff case file shows: who filed, and how (or whether) the identity was proven."""
    user = case.applicant_user
    verification = accounts_identity.latest_verification(user) if user else None
    return {
        "channel": case.channel,
        "clerk": (case.clerk.full_name or case.clerk.username) if case.clerk else "",
        "login": user.username if user else "",
        "proven": identity_proven(case),
        "needs_proof": needs_proven_identity(case),
        "document": case.get_identity_document_display() if case.identity_document else "",
        "method": verification.method if verification else "",
        "seen": verification.get_document_display()
        if verification and verification.document
        else "",
        "at": verification.at if verification else None,
        "verified_by": (
            (verification.verified_by.full_name or verification.verified_by.username)
            if verification and verification.verified_by
            else ""
        ),
        "office": verification.municipality.name
        if verification and verification.municipality
        else "",
        "claimed_nid": user.nid if user and not user.nid_verified else "",
        "account_proven": bool(user and user.nid_verified),
        "on_behalf": _on_behalf_summary(case),
    }


def _on_behalf_summary(case: Case) -> dict | None:
    """For whom an account applied, and the relationship that allows it (or why none does)."""
    if not case.on_behalf_nid:
        return None
    person = case.applicant_person
    about = person is not None and person.nid == case.on_behalf_nid
    relationship = kin.relationship_to(case.applicant_user, case.municipality, case.on_behalf_nid)
    in_force = kin_relationship(case)
    return {
        "nid": case.on_behalf_nid,
        "name": f"{person.first_name} {person.last_name}" if about else "",
        "allowed": case.service_version.allows_relationship,
        "relationship": relationship,
        "in_force": in_force is not None,
        "kind": relationship.get_kind_display() if relationship else "",
        "document": relationship.get_document_display() if relationship else "",
        "document_number": relationship.document_number if relationship else "",
        "verified_by": (
            (relationship.verified_by.full_name or relationship.verified_by.username)
            if relationship
            else ""
        ),
        "at": relationship.at if relationship else None,
        "why_not": "" if in_force else _why_no_relationship(case, relationship),
    }


def _why_no_relationship(case: Case, relationship) -> str:
    if not case.service_version.allows_relationship:
        return _("This service is issued online only to the person it names.")
    if relationship is None:
        return _("No relationship to this person was verified by a clerk: a claim, not checked.")
    if getattr(relationship, "revocation", None) is not None:
        return _("The relationship was revoked.")
    if not kin.is_minor(relationship.child_birth_date):
        return _("The child is now 18 or older.")
    return _("The account is no longer proven to be the parent or guardian recorded.")


@receiver(accounts_identity.identity_verified, dispatch_uid="services.attach_proven_identity")
def _on_identity_verified(sender, user, nid, method, **kwargs):
    attach_proven_identity(user, nid=nid, method=method)


def attach_proven_identity(user, *, nid: str, method: str) -> None:
    """An account was just proven to be the person with ``nid``: in every municipality, its own
    entry without a number becomes that person's entry, or its open cases move to the register
    entry that already holds the number. Each case gets an internal history line."""
    from .history import append_event

    for own in Person.objects.filter(user=user, nid__isnull=True).select_related("municipality"):
        with transaction.atomic():
            registered = Person.objects.filter(municipality=own.municipality, nid=nid).first()
            if registered is None:
                Person.objects.filter(pk=own.pk).update(nid=nid)
                target = own
            else:
                Person.objects.filter(pk=registered.pk).update(user=user)
                target = registered
            cases = Case.objects.select_for_update().filter(
                applicant_user=user, applicant_person=own
            )
            for case in cases.exclude(status__in=workflow.FINAL_STATES):
                Case.objects.filter(pk=case.pk).update(applicant_person=target)
                case.applicant_person = target
                append_event(
                    case,
                    actor=None,
                    kind=CaseEvent.Kind.NOTE,
                    action="note",
                    visibility=CaseEvent.Visibility.INTERNAL,
                    text=f"identity proven ({method}): the case is now the register entry's",
                    data={"identity": method},
                )
            if target is registered:
                audit.record(
                    "person.account_linked",
                    actor=None,
                    municipality=own.municipality,
                    obj=registered,
                    subject=registered,
                    data={"method": method},
                )


@receiver(kin.kin_verified, dispatch_uid="services.attach_kin_cases")
def _on_kin_verified(sender, relationship, **kwargs):
    attach_kin_cases(relationship)


def attach_kin_cases(relationship) -> None:
    """A clerk just verified a relationship: the account's open cases filed on behalf of the
    child (about the account's own entry until now) become the child's, with a history line."""
    from .history import append_event

    child = relationship.child
    with transaction.atomic():
        cases = Case.objects.select_for_update().filter(
            municipality=child.municipality,
            applicant_user=relationship.user,
            on_behalf_nid=child.nid,
        )
        for case in cases.exclude(status__in=workflow.FINAL_STATES).exclude(applicant_person=child):
            Case.objects.filter(pk=case.pk).update(applicant_person=child)
            case.applicant_person = child
            append_event(
                case,
                actor=None,
                kind=CaseEvent.Kind.NOTE,
                action="note",
                visibility=CaseEvent.Visibility.INTERNAL,
                text=f"relationship verified ({relationship.kind}): the case is now the child's",
                data={"relationship": relationship.pk},
            )
