"""What staff (and the applicant) do to an open case, and the audited staff read of one.

Each function checks the actor's permission (accounts.permissions), locks the case row, applies
one workflow edge through :func:`.history.move` and returns the caller's case refreshed.
"""

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission, require
from sportel.core import audit
from sportel.core.calendar import local_today
from sportel.core.idempotency import KeyReused
from sportel.core.models import AuditEntry, Municipality
from sportel.core.uploads import check_upload

from . import deadlines, fees, workflow
from .attachments import store_attachment
from .history import append_event, audit_case, lock, move, refresh_caller
from .identity import identity_refusal, is_applicant, require_proven_identity
from .issuance import discard_output, prepare_output, register_output
from .models import AssignmentRule, Case, CaseEvent

logger = logging.getLogger(__name__)

# --- preconditions -------------------------------------------------------------------------------
# Each returns None or the refusal to raise. The services below raise it under the row lock; the
# action table (actions.py) asks the same functions which actions to offer.


def _refusal(message, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


def may_start(case: Case, actor) -> Exception | None:
    """Taking over a case assigned to someone else needs the right to assign."""
    taking_over = (
        case.status == workflow.ASSIGNED
        and case.assignee_id is not None
        and case.assignee_id != getattr(actor, "pk", None)
    )
    if taking_over and not has_permission(actor, case.municipality, "cases.assign"):
        return PermissionDenied(_("This case is assigned to someone else."))
    return None


def may_suspend(case: Case, actor=None) -> ValidationError | None:
    if not case.service_version.suspension_allowed:
        return _refusal(_("This service cannot be suspended."), "not_allowed")
    return None


def may_extend(case: Case, actor=None) -> ValidationError | None:
    version = case.service_version
    if not version.extension_allowed or case.legal_end is None:
        return _refusal(_("This service's deadline cannot be extended."), "not_allowed")
    if case.extension_days >= version.max_extension_days:
        return _refusal(
            _("All %(max)d working days of extension are used.")
            % {"max": version.max_extension_days},
            "not_allowed",
        )
    return None


def may_approve(case: Case, actor=None) -> ValidationError | None:
    """A case about a person is approved only once the applicant is proven to be that person."""
    return identity_refusal(case)


def may_issue(case: Case, actor=None) -> ValidationError | None:
    if not case.service_version.output_document_type:
        return _refusal(_("This service has no output document."), "not_allowed")
    if case.fee_due and not case.fee_paid:
        return _refusal(_("The fee must be paid before the document is issued."), "fee_unpaid")
    return identity_refusal(case)


def may_close(case: Case, actor=None) -> ValidationError | None:
    if case.status == workflow.APPROVED and case.service_version.output_document_type:
        return _refusal(
            _("Issue the document before closing an approved case."), "document_missing"
        )
    return None


def may_take_fee(case: Case, actor=None) -> ValidationError | None:
    if case.status == workflow.WITHDRAWN:
        return _refusal(_("This case was withdrawn."), "not_allowed")
    if not case.fee_due:
        return _refusal(_("This service has no fee."), "no_fee")
    if case.fee_paid:
        return _refusal(_("The fee is already marked as paid."), "already_paid")
    return None


def _check_assignee(municipality: Municipality, assignee) -> None:
    if assignee is None or not has_permission(assignee, municipality, "cases.process"):
        raise ValidationError(
            {"assignee": _("Cases can only be assigned to a specialist of this municipality.")}
        )


def assign(case: Case, *, actor, assignee, note: str = "") -> Case:
    """Assign (or reassign) the case to a specialist of its municipality."""
    role = require(actor, case.municipality, "cases.assign")
    _check_assignee(case.municipality, assignee)
    with transaction.atomic():
        locked = lock(case)
        move(
            locked,
            "assign",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.ASSIGNMENT,
            visibility=CaseEvent.Visibility.INTERNAL,
            text=note,
            data={"assignee": assignee.pk},
            update={"assignee": assignee},
        )
    return refresh_caller(case, locked)


def matching_rule(case: Case) -> AssignmentRule | None:
    """The rule for the case's service and unit, else the service's default rule."""
    rules = AssignmentRule.objects.filter(
        municipality_id=case.municipality_id, service_type_id=case.service_type_id
    ).select_related("assignee")
    if not case.unit_id:
        return rules.filter(unit__isnull=True).first()
    # One statement: the unit's own rule sorts before the service's default rule.
    return (
        rules.filter(Q(unit_id=case.unit_id) | Q(unit__isnull=True))
        .order_by(F("unit_id").asc(nulls_last=True))
        .first()
    )


def _assign_by_rule(case: Case) -> None:
    rule = matching_rule(case)
    if rule is None or not has_permission(rule.assignee, case.municipality, "cases.process"):
        return
    move(
        case,
        "assign",
        actor=None,
        kind=CaseEvent.Kind.ASSIGNMENT,
        visibility=CaseEvent.Visibility.INTERNAL,
        data={"assignee": rule.assignee_id, "rule": rule.pk},
        update={"assignee": rule.assignee},
    )


def assign_by_rule(case: Case, *, actor=None) -> Case:
    """Assign by the service's AssignmentRule (per administrative unit); no rule, no change."""
    if actor is not None:
        require(actor, case.municipality, "cases.assign")
    with transaction.atomic():
        locked = lock(case)
        _assign_by_rule(locked)
    return refresh_caller(case, locked)


def start_work(case: Case, *, actor) -> Case:
    """The assignee opens the file: assigned → in progress."""
    role = require(actor, case.municipality, "cases.process")
    with transaction.atomic():
        locked = lock(case)
        _refuse(may_start(locked, actor))
        move(
            locked,
            "start",
            actor=actor,
            role=role,
            update={"assignee": locked.assignee or actor},
        )
    return refresh_caller(case, locked)


def request_info(case: Case, *, actor, message: str) -> Case:
    """Ask the applicant for more: the clock stops until they answer."""
    role = require(actor, case.municipality, "cases.process")
    if not (message or "").strip():
        raise ValidationError({"message": _("Say what the applicant must provide.")})
    with transaction.atomic():
        locked = lock(case)
        workflow.next_state(locked.status, "request_info")
        _refuse(may_suspend(locked))
        move(
            locked,
            "request_info",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.SUSPENSION,
            text=message.strip(),
            update={"suspended_since": local_today()},
        )
    return refresh_caller(case, locked)


def answer_info(case: Case, *, actor, message: str, uploads: Iterable = ()) -> Case:
    """The applicant (or the clerk on their behalf) answers: the clock runs again, both ends
    pushed by the working days it stood still."""
    counter_role = ""
    if not is_applicant(actor, case):
        counter_role = require(actor, case.municipality, "cases.counter")
    if not (message or "").strip() and not uploads:
        raise ValidationError({"message": _("Write an answer or attach a file.")})
    checked = [check_upload(upload) for upload in uploads]
    with transaction.atomic():
        locked = lock(case)
        workflow.next_state(locked.status, "answer_info")
        days = deadlines.suspended_working_days(locked.suspended_since, local_today())
        stored = [store_attachment(locked.application, c, actor=actor) for c in checked]
        move(
            locked,
            "answer_info",
            actor=actor,
            role=counter_role,
            kind=CaseEvent.Kind.RESUMPTION,
            text=(message or "").strip(),
            data={"suspended_days": days, "attachments": [a.pk for a in stored]},
            update={
                "suspended_since": None,
                "suspended_days": locked.suspended_days + days,
                "planned_end": deadlines.push(locked.planned_end, days),
                "legal_end": deadlines.push(locked.legal_end, days),
            },
        )
    return refresh_caller(case, locked)


def extend(case: Case, *, actor, days: int, reason: str) -> Case:
    """Extend the legal deadline where the service allows it, within its maximum, with a reason."""
    role = require(actor, case.municipality, "cases.process")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if days <= 0:
        raise ValidationError({"days": _("The extension must be at least one working day.")})
    with transaction.atomic():
        locked = lock(case)
        workflow.next_state(locked.status, "extend")
        version = locked.service_version
        _refuse(may_extend(locked))
        if locked.extension_days + days > version.max_extension_days:
            raise ValidationError(
                {
                    "days": _("At most %(max)d working days of extension; %(left)d remain.")
                    % {
                        "max": version.max_extension_days,
                        "left": version.max_extension_days - locked.extension_days,
                    }
                }
            )
        move(
            locked,
            "extend",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.EXTENSION,
            text=reason.strip(),
            data={"days": days, "old_legal_end": locked.legal_end.isoformat()},
            update={
                "extension_days": locked.extension_days + days,
                "legal_end": deadlines.push(locked.legal_end, days),
            },
        )
    return refresh_caller(case, locked)


def add_note(
    case: Case, *, actor, text: str, public: bool = False, idempotency_key: str = ""
) -> CaseEvent:
    """An internal note for colleagues, or a public one the applicant sees in the timeline.

    The same ``idempotency_key`` from the same account returns the first note and writes
    nothing; sent with another note (or for another case) it is refused (:class:`KeyReused`)."""
    role = require(actor, case.municipality, "cases.note")
    if not (text or "").strip():
        raise ValidationError({"text": _("The note is empty.")})
    text = text.strip()
    visibility = CaseEvent.Visibility.PUBLIC if public else CaseEvent.Visibility.INTERNAL
    key = f"u{actor.pk}:{idempotency_key}" if idempotency_key else ""
    first = _note_of_key(case, key, text, visibility)
    if first is not None:
        return first
    try:
        with transaction.atomic():
            locked = lock(case)
            event = append_event(
                locked,
                actor=actor,
                kind=CaseEvent.Kind.NOTE,
                action="note",
                visibility=visibility,
                text=text,
                idempotency_key=key,
            )
            audit_case(locked, "note", actor=actor, role=role, data={"public": public})
    except IntegrityError:
        # The same key raced us to the insert (another case's lock does not hold it back).
        first = _note_of_key(case, key, text, visibility)
        if first is None:
            raise
        return first
    return event


def _note_of_key(case: Case, key: str, text: str, visibility: str) -> CaseEvent | None:
    """The note first written with ``key``, when it is this very note; KeyReused when the key
    was used for another one."""
    if not key:
        return None
    first = CaseEvent.objects.filter(
        municipality_id=case.municipality_id, idempotency_key=key
    ).first()
    if first is None:
        return None
    if (first.case_id, first.text, first.visibility) != (case.pk, text, visibility):
        raise KeyReused()
    return first


def decide(case: Case, *, actor, approve: bool, reason: str = "", legal_basis: str = "") -> Case:
    """Approve, or reject with the legal reason the applicant is told."""
    role = require(actor, case.municipality, "cases.process")
    if not approve and not ((reason or "").strip() and (legal_basis or "").strip()):
        raise ValidationError(
            {
                "reason": _("A rejection needs its reason and its legal basis."),
            }
        )
    action = "approve" if approve else "reject"
    with transaction.atomic():
        locked = lock(case)
        if approve:
            require_proven_identity(locked)
        move(
            locked,
            action,
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.DECISION,
            text=(reason or "").strip(),
            data={"decision": "approved" if approve else "rejected", "legal_basis": legal_basis},
            update={
                "decision": "approved" if approve else "rejected",
                "decided_at": timezone.now(),
            },
        )
    return refresh_caller(case, locked)


def issue_document(case: Case, *, actor) -> Case:
    """Issue the sealed output document of an approved case (once its fee is paid).

    Rendered and sealed before the case is locked; registered in the case's transaction only
    if the case may still be issued (a second click finds it issued and its file is discarded).
    """
    role = require(actor, case.municipality, "cases.process")
    workflow.next_state(case.status, "issue_document")
    _refuse(may_issue(case))  # refuse early, before any work; checked again under the lock
    prepared = prepare_output(case)
    try:
        with transaction.atomic():
            locked = lock(case)
            workflow.next_state(locked.status, "issue_document")
            _refuse(may_issue(locked))
            register_output(locked, prepared, actor=actor, role=role)
    except Exception:
        discard_output(prepared)
        raise
    return refresh_caller(case, locked)


def close(case: Case, *, actor) -> Case:
    """Close a decided case (after its document, if the service has one)."""
    role = require(actor, case.municipality, "cases.process")
    with transaction.atomic():
        locked = lock(case)
        workflow.next_state(locked.status, "close")
        _refuse(may_close(locked))
        move(locked, "close", actor=actor, role=role, update={"closed_at": timezone.now()})
    return refresh_caller(case, locked)


def withdraw(case: Case, *, actor, reason: str = "") -> Case:
    """The applicant (or the clerk for them) withdraws a case nothing has been decided on."""
    role = ""
    if not is_applicant(actor, case):
        role = require(actor, case.municipality, "cases.counter")
    with transaction.atomic():
        locked = lock(case)
        move(
            locked,
            "withdraw",
            actor=actor,
            role=role,
            text=(reason or "").strip(),
            update={"closed_at": timezone.now(), "suspended_since": None},
        )
    return refresh_caller(case, locked)


def mark_fee_paid(case: Case, *, actor, receipt: str = "") -> Case:
    """The clerk took the fee at the counter (until the revenue module takes payments).

    An instant case that was waiting for its fee gets its document now.
    """
    role = require(actor, case.municipality, "cases.counter")
    with transaction.atomic():
        locked = lock(case)
        _refuse(may_take_fee(locked))
        append_event(
            locked,
            actor=actor,
            kind=CaseEvent.Kind.FEE,
            action="fee_paid",
            text=receipt,
            data={"fee": str(locked.fee_due)},
        )
        locked.fee_paid = True
        locked.fee_paid_by = actor
        locked.fee_paid_at = timezone.now()
        locked.save(update_fields=["fee_paid", "fee_paid_by", "fee_paid_at"])
        fees.fee_taken(locked, actor=actor)  # the ledger's entry, in this same transaction
        audit_case(locked, "fee_paid", actor=actor, role=role, data={"fee": str(locked.fee_due)})
        version = locked.service_version
        issue_now = (
            version.instant
            and locked.status == workflow.APPROVED
            and version.output_document_type
            and locked.events.filter(action="auto_approve").exists()
        )
    refresh_caller(case, locked)
    if issue_now:
        _issue_paid_instant(case, locked, actor=actor, role=role)
        case.refresh_from_db()
    return case


def _issue_paid_instant(case: Case, paid: Case, *, actor, role: str = "") -> None:
    """The document of an instant case whose fee was just paid, prepared outside the fee's
    transaction; if it cannot be issued the fee stays recorded and a note tells the staff. The
    clerk whose taking of the fee set it off issues and closes, not "the system"."""
    prepared = None
    try:
        prepared = prepare_output(paid)
        with transaction.atomic():
            locked = lock(case)
            if locked.status != workflow.APPROVED or locked.document_code:
                discard_output(prepared)  # issued or changed meanwhile
                return
            register_output(locked, prepared, actor=actor, role=role)
            move(locked, "close", actor=actor, role=role, update={"closed_at": timezone.now()})
    except Exception as exc:
        discard_output(prepared)
        logger.exception("document of paid case %s could not be issued", case.pk)
        with transaction.atomic():
            append_event(
                lock(case),
                actor=None,
                kind=CaseEvent.Kind.NOTE,
                action="note",
                visibility=CaseEvent.Visibility.INTERNAL,
                text=f"automatic issuance after payment failed: {type(exc).__name__}",
                data={"instant": False},
            )


# --- staff reads --------------------------------------------------------------------------------


def read_case(municipality: Municipality, number: str, *, actor, reason: str = "") -> Case:
    """A staff member opens a case: permission checked, the read of personal data audited.

    Raises ``Case.DoesNotExist`` when the municipality has no such case (404, never a hint that
    another municipality has one) and PermissionDenied without a staff role here.
    """
    role = require(actor, municipality, "cases.read")
    case = (
        Case.objects.select_related(
            "service_version",
            "service_type",
            "applicant_person",
            "applicant_business",
            "applicant_user",
            "assignee",
            "clerk",
            "unit",
            "application",
        )
        .filter(municipality=municipality, number=number)
        .get()
    )
    if _read_today(case, municipality, actor=actor, reason=reason or f"case {case.number}"):
        return case  # a reload: the read of this case by this person today is already logged
    if case.applicant_person is not None:
        audit.record_read(
            actor, case.applicant_person, reason=reason or f"case {case.number}", role=role
        )
    else:
        audit_case(case, "read", actor=actor, role=role)
    return case


def _read_today(case: Case, municipality: Municipality, *, actor, reason: str) -> bool:
    """Whether this staff member's read of this case is already in today's log (local day).

    One read per person per case per day is what the applicant needs to see; a line per
    reload buried the rest. Two reloads racing may both be logged, which is harmless."""
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    entries = AuditEntry.objects.filter(actor=actor, at__gte=since)
    # Each filter leads with an indexed column: (subject, at) or (subject_user, at).
    if case.applicant_person_id is not None:
        entries = entries.filter(
            subject_id=case.applicant_person_id, action="person.read", reason=reason
        )
    elif case.applicant_user_id is not None:
        entries = entries.filter(
            subject_user_id=case.applicant_user_id,
            action="case.read",
            object_type="services.case",
            object_id=str(case.pk),
        )
    else:
        entries = entries.filter(
            chain=municipality.slug,
            action="case.read",
            object_type="services.case",
            object_id=str(case.pk),
        )
    return entries.exists()
