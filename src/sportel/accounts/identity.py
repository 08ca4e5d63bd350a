"""Identity assurance: when a personal number (NID) on an account is *proven*, and by whom.

A number the account typed itself is a claim (``User.nid`` with ``nid_verified`` False): it helps
staff find records, and it never lets the account act as that person. A number becomes verified
in exactly two ways, each recorded (:class:`IdentityVerification`, append-only) and audited:

- ``eid``: the national eID (OIDC) asserted it at login;
- ``counter``: a clerk saw the identity document with the resident at the counter, and the
  resident proved they hold the account by reading out a one-time code shown on its page.

What each eIDAS level means here (docs/decisions/0010-identity-assurance.md): *low* is a
confirmed account; *substantial* is an identity proven either way; *high* is an identity asserted
by the national eID. Services decide what a level allows (services/identity.py).

When an account becomes verified, :data:`identity_verified` is sent on commit so that modules
holding records of the person (the register in core, open cases) can attach them.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.identifiers import check_identifier

from . import permissions
from .models import IdentityCheckCode, IdentityVerification, User

# Sent on commit: identity_verified.send(sender=User, user=, nid=, method=).
identity_verified = Signal()

CODE_LIFETIME = timedelta(minutes=30)
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B: read aloud safely
CODE_LENGTH = 8
MAX_WRONG_CODES = 5


def level_of(user) -> str:
    """The eIDAS level an account reaches today: ``low``, ``substantial`` or ``high``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    if user.nid_verified and user.nid_verified_via == IdentityVerification.Method.EID:
        return "high"
    if user.nid_verified:
        return "substantial"
    return "low" if user.confirmed_at else ""


def is_proven_person(user, nid: str | None) -> bool:
    """Was ``user`` proven (eID or counter) to be the person with personal number ``nid``?"""
    return bool(
        nid
        and user is not None
        and getattr(user, "is_authenticated", False)
        and user.nid_verified
        and user.nid == nid
    )


def _hash(code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def new_counter_code(user: User) -> str:
    """A one-time code the resident reads out at the counter to prove they hold this account.

    A new code replaces the previous one; only its hash is stored; it expires after 30 minutes.
    """
    IdentityCheckCode.objects.filter(user=user, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    IdentityCheckCode.objects.create(
        user=user, code_hash=_hash(code), expires_at=timezone.now() + CODE_LIFETIME
    )
    audit.record("account.identity_code", actor=user, obj=user, subject_user=user)
    return f"{code[:4]}-{code[4:]}"


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def account_for_code(code: str) -> User | None:
    """The account whose current, unused counter code this is, or None."""
    code = normalize_code(code)
    if len(code) != CODE_LENGTH:
        return None
    row = (
        IdentityCheckCode.objects.select_related("user")
        .filter(code_hash=_hash(code), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return row.user if row else None


def verify_at_counter(
    municipality,
    *,
    clerk,
    code: str,
    nid: str,
    document: str,
    document_seen: bool,
    override_check: bool = False,
    correction_reason: str = "",
) -> IdentityVerification:
    """A clerk proves an account's identity: the resident is present with an identity document.

    The clerk needs ``people.verify`` here; the resident's code proves they hold the account;
    ``nid`` is typed from the document (a wrong layout is an error; a wrong check letter needs
    ``override_check``). An account proven by the eID keeps its number: a different one here is
    refused. An account proven at a counter with a different number is refused too, unless
    the clerk corrects the identity explicitly, saying why (``correction_reason``): the account
    is then unlinked from the register entries of the earlier number (:func:`_unlink_number`).
    Everything is audited in the clerk's municipality.
    """
    role = permissions.require(clerk, municipality, "people.verify")
    if not document_seen:
        raise ValidationError(
            {"document_seen": _("Confirm that you saw the identity document and the person.")}
        )
    if document not in IdentityVerification.Document.values:
        raise ValidationError({"document": _("Choose the identity document you saw.")})
    check = check_identifier(nid, kind="nid")
    if check.error:
        raise ValidationError({"nid": check.error})
    if check.warning and not override_check:
        raise ValidationError({"nid": ValidationError(check.warning, code="check_letter")})
    with transaction.atomic():
        code_row = (
            IdentityCheckCode.objects.select_for_update()
            .filter(
                code_hash=_hash(normalize_code(code)),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if code_row is None:
            raise ValidationError(
                {
                    "code": _(
                        "This code is not valid or has expired. Ask the resident to open "
                        "their account page and show a new code."
                    )
                }
            )
        user = User.objects.select_for_update().get(pk=code_row.user_id)
        if user.pk == clerk.pk:
            raise PermissionDenied(_("You cannot verify your own identity."))
        if (
            user.nid_verified
            and user.nid_verified_via == IdentityVerification.Method.EID
            and user.nid != check.value
        ):
            raise ValidationError(
                {
                    "nid": _(
                        "This account's personal number was confirmed by the national eID and "
                        "is different. Check the document."
                    )
                }
            )
        reason = (correction_reason or "").strip()
        if user.nid_verified and user.nid != check.value:
            if not reason:
                raise ValidationError(
                    {
                        "nid": ValidationError(
                            _(
                                "This account was already proven, at a counter, to hold a "
                                "different personal number. If the earlier check was wrong, "
                                "tick “Correct the identity” and say why: the account is then "
                                "unlinked from the earlier person's records."
                            ),
                            code="nid_differs",
                        )
                    }
                )
            _unlink_number(user, clerk=clerk, municipality=municipality, role=role, reason=reason)
        code_row.used_at = timezone.now()
        code_row.save(update_fields=["used_at"])
        return _record(
            user,
            nid=check.value,
            method=IdentityVerification.Method.COUNTER,
            clerk=clerk,
            municipality=municipality,
            document=document,
            role=role,
            check_overridden=bool(check.warning),
        )


def _unlink_number(user: User, *, clerk, municipality, role: str, reason: str) -> None:
    """The "correct identity" step: the number this account was proven to hold was wrong.

    Every register entry the account is linked to under that number stops being its: an entry
    that was the earlier person's (linked when the account was proven, audited as
    ``person.account_linked``) loses the link; the account's own entry, which only took the
    earlier number, loses the number and takes the new one when the new proof is recorded.
    Relationships recorded for the earlier number stop granting by themselves (``kin.grants``
    compares the account's number with the relationship's). Each step is audited with the
    clerk's reason; the person behind the earlier number sees it under "who accessed my data".
    """
    from sportel.core.models import AuditEntry, Person

    old = user.nid
    entries = list(Person.objects.select_for_update().filter(user=user, nid=old))
    linked = set(
        AuditEntry.objects.filter(
            action="person.account_linked",
            object_type="core.person",
            object_id__in=[str(p.pk) for p in entries],
        ).values_list("object_id", flat=True)
    )
    for person in entries:
        if str(person.pk) in linked:
            Person.objects.filter(pk=person.pk).update(user=None)
            action = "person.account_unlinked"
        else:
            Person.objects.filter(pk=person.pk).update(nid=None)
            action = "person.number_removed"
        audit.record(
            action,
            actor=clerk,
            municipality=person.municipality,
            obj=person,
            subject=person if action == "person.account_unlinked" else None,
            subject_user=user if action == "person.number_removed" else None,
            role=role if person.municipality_id == municipality.pk else "",
            reason=reason[:200],
        )
    audit.record(
        "account.identity_corrected",
        actor=clerk,
        municipality=municipality,
        obj=user,
        subject_user=user,
        role=role,
        reason=reason[:200],
        data={"entries": len(entries)},
    )
    user.nid_verified = False
    user.save(update_fields=["nid_verified"])


def record_eid(user: User, nid: str) -> IdentityVerification:
    """The national eID asserted ``nid`` for ``user`` at login (accounts/oidc.py)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        return _record(user, nid=nid, method=IdentityVerification.Method.EID)


def _record(
    user: User,
    *,
    nid: str,
    method: str,
    clerk=None,
    municipality=None,
    document: str = "",
    role: str = "",
    check_overridden: bool = False,
) -> IdentityVerification:
    now = timezone.now()
    verification = IdentityVerification.objects.create(
        user=user,
        nid=nid,
        method=method,
        verified_by=clerk,
        municipality=municipality,
        document=document,
        check_letter_overridden=check_overridden,
        at=now,
    )
    changed = {
        "nid": nid,
        "nid_verified": True,
        "nid_verified_via": method,
        "nid_verified_at": now,
    }
    for field, value in changed.items():
        setattr(user, field, value)
    user.save(update_fields=list(changed))
    audit.record(
        "account.identity_verified",
        actor=clerk or user,
        municipality=municipality,
        obj=user,
        subject_user=user,
        role=role,
        data={"method": method, "document": document, "check_letter_overridden": check_overridden},
    )
    transaction.on_commit(
        lambda: identity_verified.send(sender=User, user=user, nid=nid, method=method)
    )
    return verification


def latest_verification(user) -> IdentityVerification | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        IdentityVerification.objects.filter(user=user)
        .select_related("verified_by", "municipality")
        .order_by("-at", "-pk")
        .first()
    )
