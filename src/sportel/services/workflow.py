"""The case workflow: one table of allowed transitions, each with the reason it exists.

A case is born ``submitted``. Staff take it (``assigned``), work it (``in_progress``), may ask the
applicant for more (``awaiting_applicant``, which stops the clock), decide, issue the output
document, and close it. The applicant may withdraw while the case is still open. Anything not in
:data:`TRANSITIONS` is refused by :func:`next_state` with a message that names the action and the
state, and nothing changes.
"""

from django.utils.translation import gettext_lazy as _

from sportel.core import workflow

SUBMITTED = "submitted"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
AWAITING_APPLICANT = "awaiting_applicant"
APPROVED = "approved"
REJECTED = "rejected"
DOCUMENT_ISSUED = "document_issued"
CLOSED = "closed"
WITHDRAWN = "withdrawn"

STATE_LABELS = {
    SUBMITTED: _("Submitted"),
    ASSIGNED: _("Assigned"),
    IN_PROGRESS: _("In progress"),
    AWAITING_APPLICANT: _("Waiting for the applicant"),
    APPROVED: _("Approved"),
    REJECTED: _("Rejected"),
    DOCUMENT_ISSUED: _("Document issued"),
    CLOSED: _("Closed"),
    WITHDRAWN: _("Withdrawn"),
}
STATES = tuple(STATE_LABELS)

ACTION_LABELS = {
    "assign": _("assign"),
    "start": _("start work on"),
    "request_info": _("ask the applicant for more information on"),
    "answer_info": _("answer a request for information on"),
    "extend": _("extend the deadline of"),
    "approve": _("approve"),
    "auto_approve": _("approve automatically"),
    "auto_reject": _("refuse automatically"),
    "reject": _("reject"),
    "issue_document": _("issue the document of"),
    "close": _("close"),
    "withdraw": _("withdraw"),
}

# (from_state, action) → to_state
TRANSITIONS: dict[tuple[str, str], str] = {
    # A specialist (or an assignment rule) takes responsibility for a new case.
    (SUBMITTED, "assign"): ASSIGNED,
    # Reassignment before work starts: someone is absent or the rule was wrong.
    (ASSIGNED, "assign"): ASSIGNED,
    # Reassignment mid-work keeps the case where it is; only the responsible person changes.
    (IN_PROGRESS, "assign"): IN_PROGRESS,
    # The assignee opens the file: from here the case is being worked.
    (ASSIGNED, "start"): IN_PROGRESS,
    # Something is missing: the applicant is asked, and the legal clock stops (KPA suspension).
    (IN_PROGRESS, "request_info"): AWAITING_APPLICANT,
    # The applicant answered: the clock runs again, both ends pushed by the days it stood still.
    (AWAITING_APPLICANT, "answer_info"): IN_PROGRESS,
    # Where the law allows it (e.g. law 119/2014: up to 5 more working days), with a reason.
    (IN_PROGRESS, "extend"): IN_PROGRESS,
    # A decision needs someone who worked the case.
    (IN_PROGRESS, "approve"): APPROVED,
    (IN_PROGRESS, "reject"): REJECTED,
    # Instant services: the data check on the municipality's own records replaces the specialist.
    (SUBMITTED, "auto_approve"): APPROVED,
    # ... and where the records themselves say no (e.g. the ledger shows taxes owed, for a tax
    # clearance), the check refuses at once, telling the applicant what the records say and
    # what to do; a person would only copy the same figures, days later.
    (SUBMITTED, "auto_reject"): REJECTED,
    # An approval produces the sealed output document.
    (APPROVED, "issue_document"): DOCUMENT_ISSUED,
    # Approved services without an output document (e.g. an enrolment) close straight away.
    (APPROVED, "close"): CLOSED,
    # The document is out: nothing remains to do.
    (DOCUMENT_ISSUED, "close"): CLOSED,
    # A rejection (with its legal reason, already told to the applicant) ends the case.
    (REJECTED, "close"): CLOSED,
    # The applicant may change their mind while nothing has been decided.
    (SUBMITTED, "withdraw"): WITHDRAWN,
    (ASSIGNED, "withdraw"): WITHDRAWN,
    (IN_PROGRESS, "withdraw"): WITHDRAWN,
    (AWAITING_APPLICANT, "withdraw"): WITHDRAWN,
}

ACTIONS = tuple(sorted({action for _state, action in TRANSITIONS}))
# Actions only the system takes (never offered to a person).
SYSTEM_ACTIONS = frozenset({"auto_approve", "auto_reject"})
FINAL_STATES = frozenset({CLOSED, WITHDRAWN})
# In this order in the staff queue's SQL and its partial indexes (models.OPEN).
OPEN_STATE_LIST = (SUBMITTED, ASSIGNED, IN_PROGRESS, AWAITING_APPLICANT)
OPEN_STATES = frozenset(OPEN_STATE_LIST)
# Decided but not finished: the fee, the document or the closing is still to come. They are not
# in the open queue (their deadline was met by the decision) but must not vanish from it.
DECIDED_STATE_LIST = (APPROVED, REJECTED, DOCUMENT_ISSUED)
# States whose clock is still running toward the legal end.
CLOCK_RUNNING = frozenset({SUBMITTED, ASSIGNED, IN_PROGRESS})


class IllegalTransition(workflow.IllegalTransition):
    """The action is not allowed from the case's current state; nothing was changed."""

    message = _('You cannot %(action)s a case that is "%(state)s".')
    state_labels = STATE_LABELS
    action_labels = ACTION_LABELS


WORKFLOW = workflow.Workflow(TRANSITIONS, refusal=IllegalTransition, system_actions=SYSTEM_ACTIONS)
state_label = WORKFLOW.state_label
next_state = WORKFLOW.next_state
allowed_actions = WORKFLOW.allowed_actions
