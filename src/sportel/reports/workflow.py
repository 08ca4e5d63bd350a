"""The report workflow: one table of allowed transitions, each with the reason it exists.

A report filed by an anonymous resident waits ``unconfirmed`` until the resident confirms the
email or phone it gave; everything else is born ``open``. Staff work it (``in_progress``), put it
in a plan (``planned``) or a dated work order (``action_scheduled``), and resolve it: ``fixed``
(with a required note and an optional after-photo), or one of the closed variants. The reporter
may confirm a fix, or reopen it within the reopening window. Anything not in :data:`TRANSITIONS`
is refused by :func:`next_state` and nothing changes.
"""

from django.utils.translation import gettext_lazy as _

from sportel.core import workflow

UNCONFIRMED = "unconfirmed"
OPEN = "open"
IN_PROGRESS = "in_progress"
PLANNED = "planned"
ACTION_SCHEDULED = "action_scheduled"
FIXED = "fixed"
NOT_RESPONSIBLE = "closed_not_responsible"
DUPLICATE = "closed_duplicate"
NO_FURTHER_ACTION = "closed_no_action"

STATE_LABELS = {
    UNCONFIRMED: _("Waiting for the reporter's confirmation"),
    OPEN: _("Open"),
    IN_PROGRESS: _("In progress"),
    PLANNED: _("Planned"),
    ACTION_SCHEDULED: _("Action scheduled"),
    FIXED: _("Fixed"),
    NOT_RESPONSIBLE: _("Closed: not the municipality's responsibility"),
    DUPLICATE: _("Closed: duplicate"),
    NO_FURTHER_ACTION: _("Closed: no further action"),
}
STATES = tuple(STATE_LABELS)

ACTION_LABELS = {
    "confirm": _("confirm"),
    "start": _("start work on"),
    "plan": _("plan"),
    "schedule": _("schedule work on"),
    "fix": _("mark as fixed"),
    "close_not_responsible": _("close as not our responsibility"),
    "mark_duplicate": _("mark as a duplicate"),
    "close_no_action": _("close with no further action on"),
    "confirm_fix": _("confirm the fix of"),
    "reopen": _("reopen"),
}

WORKING = (OPEN, IN_PROGRESS, PLANNED, ACTION_SCHEDULED)

# (from_state, action) → to_state
TRANSITIONS: dict[tuple[str, str], str] = {
    # An anonymous reporter proves the email or phone works: only then is the report public.
    (UNCONFIRMED, "confirm"): OPEN,
    # Someone takes it on.
    (OPEN, "start"): IN_PROGRESS,
    (PLANNED, "start"): IN_PROGRESS,
    # Work needing money or a season goes into a plan (the priority list funds plans).
    (OPEN, "plan"): PLANNED,
    (IN_PROGRESS, "plan"): PLANNED,
    # A crew and a date are booked.
    (OPEN, "schedule"): ACTION_SCHEDULED,
    (IN_PROGRESS, "schedule"): ACTION_SCHEDULED,
    (PLANNED, "schedule"): ACTION_SCHEDULED,
    # Resolved: from any working state (a quick fix needs no plan), with a required note.
    **{(state, "fix"): FIXED for state in WORKING},
    # Closed variants, each with the reason the reporter is told.
    **{(state, "close_not_responsible"): NOT_RESPONSIBLE for state in WORKING},
    **{(state, "mark_duplicate"): DUPLICATE for state in (UNCONFIRMED, *WORKING)},
    **{(state, "close_no_action"): NO_FURTHER_ACTION for state in WORKING},
    # The reporter agrees it is fixed: the reopening window ends early.
    (FIXED, "confirm_fix"): FIXED,
    # The reporter (within the window) or staff say it is not fixed, or a closure was wrong.
    (FIXED, "reopen"): OPEN,
    (NO_FURTHER_ACTION, "reopen"): OPEN,
    (NOT_RESPONSIBLE, "reopen"): OPEN,
}

ACTIONS = tuple(sorted({action for _state, action in TRANSITIONS}))
CLOSED_STATES = frozenset({FIXED, NOT_RESPONSIBLE, DUPLICATE, NO_FURTHER_ACTION})
OPEN_STATES = frozenset({OPEN, IN_PROGRESS, PLANNED, ACTION_SCHEDULED})
# Shown in public lists, Open311 and the priority list (an unconfirmed report is not yet public).
PUBLIC_STATES = OPEN_STATES | CLOSED_STATES

# Open311 GeoReport v2 knows "open" and "closed"; mySociety's extension names the detail.
OPEN311_STATUS = {state: "closed" if state in CLOSED_STATES else "open" for state in STATES}
OPEN311_UPDATE_STATUS = {
    UNCONFIRMED: "OPEN",
    OPEN: "OPEN",
    IN_PROGRESS: "IN_PROGRESS",
    PLANNED: "INVESTIGATING",
    ACTION_SCHEDULED: "ACTION_SCHEDULED",
    FIXED: "FIXED",
    NOT_RESPONSIBLE: "NOT_COUNCILS_RESPONSIBILITY",
    DUPLICATE: "DUPLICATE",
    NO_FURTHER_ACTION: "NO_FURTHER_ACTION",
}


class IllegalTransition(workflow.IllegalTransition):
    """The action is not allowed from the report's current state; nothing was changed."""

    message = _('You cannot %(action)s a report that is "%(state)s".')
    state_labels = STATE_LABELS
    action_labels = ACTION_LABELS


WORKFLOW = workflow.Workflow(TRANSITIONS, refusal=IllegalTransition)
state_label = WORKFLOW.state_label
next_state = WORKFLOW.next_state
allowed_actions = WORKFLOW.allowed_actions
