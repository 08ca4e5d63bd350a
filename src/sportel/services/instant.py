"""Instant services: a registered data check decides, then the document is issued at once."""

import logging
from collections.abc import Callable

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

# name → check(case) returning None when the data check passes, else the reason it did not.
INSTANT_CHECKS: dict[str, Callable[[Case], str | None]] = {}


def instant_check(name: str):
    """Register a check that lets an instant service decide without a specialist."""

    def register(func):
        INSTANT_CHECKS[name] = func
        return func

    return register


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


def run_instant(case: Case, *, actor=None, role: str = "") -> Case:
    """Decide an instant case when its check passes: approve, issue the document, close.

    The document is rendered and sealed first, outside any transaction; the decision, the
    document's registration and the closing then happen in one short transaction on the
    locked case, only if the case is still as it was (submitted). The approval is the register
    check's (no actor: "automatic"); issuing and closing are done by ``actor`` where a person's
    act set them off (the clerk who filed it at the counter), else by the system. When the check
    fails, or the document cannot be issued, the case stays in the queue for a specialist with an
    internal note saying why; nothing of the failed attempt remains but the record of a sealing
    failure.
    """
    version = case.service_version
    check = INSTANT_CHECKS.get(version.instant_check)
    reason = check(case) if check else f"unknown check {version.instant_check!r}"
    if reason is None:
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
                # Approve, issue, close: three events and the case's changes written together
                # (one insert, one update) before the document's registration.
                with batched_events(locked):
                    move(
                        locked,
                        "auto_approve",
                        actor=None,
                        kind=CaseEvent.Kind.DECISION,
                        data={"decision": "approved", "check": version.instant_check},
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
            reason = f"automatic decision failed: {type(exc).__name__}"
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
