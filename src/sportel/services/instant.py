"""Instant services: a registered data check decides, then the document is issued at once."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from sportel.core import audit

from . import workflow
from .history import (
    append_event,
    batched_events,
    lock,
    lock_own_row,
    move,
    refresh_caller,
)
from .identity import identity_proven
from .issuance import discard_output, prepare_output, record_output_event, register_document
from .models import Case, CaseEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstantRefusal:
    """A check's answer when the municipality's own records decide *against* the applicant
    (the ledger shows taxes owed): the case is refused at once (``auto_reject``) and closed.
    ``text`` is what the applicant reads (in the case's language) and is told by their
    notification channel; ``reason`` is the internal summary; ``data`` goes with the decision
    event (the figures it states)."""

    reason: str
    text: str
    data: dict = field(default_factory=dict)


# name → check(case) returning None when the data check passes, an InstantRefusal when the
# records say no, else (a string) why the machine cannot decide and a specialist must.
INSTANT_CHECKS: dict[str, Callable[[Case], "str | InstantRefusal | None"]] = {}
# name → guard(locked_case): takes the locks that order the decision against the writes that
# could change the check's answer (revenue: the taxpayer's payments). Inside the decision's
# transaction the check is then asked again, so what is decided is what was true when it
# committed. Checks without a guard decide on their first answer.
INSTANT_GUARDS: dict[str, Callable[[Case], None]] = {}
MAX_ATTEMPTS = 3


def instant_check(name: str, *, guard: Callable[[Case], None] | None = None):
    """Register a check that lets an instant service decide without a specialist."""

    def register(func):
        INSTANT_CHECKS[name] = func
        if guard is not None:
            INSTANT_GUARDS[name] = guard
        return func

    return register


def _recheck(name: str, locked: Case, first):
    """The check's answer again under its guard's locks (the first one where it has none)."""
    guard = INSTANT_GUARDS.get(name)
    if guard is None:
        return first
    guard(locked)
    return INSTANT_CHECKS[name](locked)


def _refuse(locked: Case, refusal: InstantRefusal, *, check: str, actor, role: str) -> None:
    """Refuse and close a locked, still submitted case, the refusal told to the applicant."""
    now = timezone.now()
    with batched_events(locked):
        move(
            locked,
            "auto_reject",
            actor=None,
            kind=CaseEvent.Kind.DECISION,
            visibility=CaseEvent.Visibility.PUBLIC,
            text=refusal.text,
            data={
                "decision": "rejected",
                "check": check,
                "legal_basis": locked.service_version.legal_basis,
                **refusal.data,
            },
            update={"decision": "rejected", "decided_at": now},
        )
        move(locked, "close", actor=actor, role=role, update={"closed_at": now})


@instant_check("civil_register")
def _civil_register(case: Case) -> str | None:
    """The applicant is proven to be the person the certificate names (decision 0010): the
    clerk saw the identity document at the counter, or the account was proven by the national
    eID or at a counter to hold the personal number of the register entry."""
    if not identity_proven(case):
        return "identity not proven: a typed personal number is a claim (decision 0010)"
    person = case.applicant_person
    if person is None or not person.nid:
        return "no personal number"
    if person.nid_check_overridden:
        return "personal number with an overridden check letter"
    return None


def _approve(case: Case, name: str, *, actor, role: str) -> "Case | str":
    """Approve, issue and close (the check passed): the decided case, or why a specialist
    must decide after all (the document could not be issued, or the check, asked again under
    its guard, no longer passes; a refusal then is decided here)."""
    version = case.service_version
    prepared = None
    try:
        fee_first = bool(case.fee_due and not case.fee_paid)
        if version.output_document_type and not fee_first and case.status == workflow.SUBMITTED:
            prepared = prepare_output(case)  # slow: no transaction, no lock
        # The municipality's audit head and the platform's log head are locked only by the
        # last statements (audit.deferred, the document registered last): concurrent
        # residents queue behind each other for those rows, not for the whole decision.
        with transaction.atomic(), audit.deferred():
            locked = lock_own_row(case)
            if locked.status != workflow.SUBMITTED:
                discard_output(prepared)  # decided meanwhile: its document is the one
                return refresh_caller(case, locked)
            again = _recheck(name, locked, None)
            if again is not None:
                # The records changed since the first look (a new debt): no document.
                discard_output(prepared)
                prepared = None
                if isinstance(again, InstantRefusal):
                    _refuse(locked, again, check=name, actor=actor, role=role)
                    return refresh_caller(case, locked)
                return again
            # Approve, issue, close: three events and the case's changes written together
            # (one insert, one update) before the document's registration.
            with batched_events(locked):
                move(
                    locked,
                    "auto_approve",
                    actor=None,
                    kind=CaseEvent.Kind.DECISION,
                    data={"decision": "approved", "check": name},
                    update={"decision": "approved", "decided_at": timezone.now()},
                )
                payment_first = bool(locked.fee_due and not locked.fee_paid)
                if not payment_first:
                    if version.output_document_type:
                        if prepared is None:
                            raise RuntimeError("the document was not prepared")
                        record_output_event(locked, prepared, actor=actor, role=role)
                    move(
                        locked,
                        "close",
                        actor=actor,
                        role=role,
                        update={"closed_at": timezone.now()},
                    )
            if payment_first:
                # Payment first: mark_fee_paid issues the document.
                discard_output(prepared)
                return refresh_caller(case, locked)
            if prepared is not None:
                register_document(prepared, actor=actor)
            return refresh_caller(case, locked)
    except Exception as exc:  # the document service failed: leave the case to a person
        discard_output(prepared)
        logger.exception("instant decision of case %s failed", case.pk)
        return f"automatic decision failed: {type(exc).__name__}"


def run_instant(case: Case, *, actor=None, role: str = "") -> Case:
    """Decide an instant case: approve, issue the document and close when its check passes;
    refuse and close, telling the applicant why, when the check answers with a
    :class:`InstantRefusal`; else leave it to a specialist.

    The document is rendered and sealed first, outside any transaction; the decision, the
    document's registration and the closing then happen in one short transaction on the
    locked case, only if the case is still as it was (submitted). The approval is the register
    check's (no actor: "automatic"); issuing and closing are done by ``actor`` where a person's
    act set them off (the clerk who filed it at the counter), else by the system. When the check
    cannot decide, or the document cannot be issued, the case stays in the queue for a
    specialist with an internal note saying why; nothing of the failed attempt remains but the
    record of a sealing failure. A check with a guard is asked again under the guard's locks in
    the decision's own transaction; an answer that changed meanwhile is decided afresh.
    """
    version = case.service_version
    name = version.instant_check
    check = INSTANT_CHECKS.get(name)
    for _attempt in range(MAX_ATTEMPTS):
        outcome = check(case) if check else f"unknown check {name!r}"
        if isinstance(outcome, InstantRefusal):
            with transaction.atomic():
                locked = lock_own_row(case)
                if locked.status != workflow.SUBMITTED:
                    return refresh_caller(case, locked)
                again = _recheck(name, locked, outcome)
                if again is None:
                    continue  # paid meanwhile: decide again, from the start, outside the lock
                if isinstance(again, InstantRefusal):
                    _refuse(locked, again, check=name, actor=actor, role=role)
                    return refresh_caller(case, locked)
                outcome = again
        if outcome is None:
            decided = _approve(case, name, actor=actor, role=role)
            if not isinstance(decided, str):
                return decided
            outcome = decided
        reason = outcome
        break
    else:
        reason = "the records kept changing while the case was decided"
    with transaction.atomic():
        locked = lock(case)
        append_event(
            locked,
            actor=None,
            kind=CaseEvent.Kind.NOTE,
            action="note",
            visibility=CaseEvent.Visibility.INTERNAL,
            text=reason,
            data={"instant": False},
        )
        return refresh_caller(case, locked)
