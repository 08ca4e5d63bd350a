"""The ticket workflow: one table of allowed transitions, each with the reason it exists.

A ticket is born ``waiting``. A counter calls it (``called``: on the screens), the person comes
and is served (``serving``), and the clerk finishes (``done``). A called person who never comes is
a ``no_show``; a ticket waiting for a paper or a colleague is put ``on_hold`` and called again
later; a ticket sent to another category or counter waits again there. Anything not in
:data:`TRANSITIONS` is refused by :func:`next_state`, and nothing changes.
"""

from django.utils.translation import gettext_lazy as _

from sportel.core import workflow

WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
ON_HOLD = "on_hold"
DONE = "done"
NO_SHOW = "no_show"

STATE_LABELS = {
    WAITING: _("Waiting"),
    CALLED: _("Called"),
    SERVING: _("Being served"),
    ON_HOLD: _("On hold"),
    DONE: _("Done"),
    NO_SHOW: _("Did not come"),
}
STATES = tuple(STATE_LABELS)

ACTION_LABELS = {
    "call": _("call"),
    "recall": _("call again"),
    "serve": _("start serving"),
    "hold": _("put on hold"),
    "transfer": _("transfer"),
    "no_show": _("mark as not come"),
    "done": _("finish"),
}

# (from_state, action) → to_state
TRANSITIONS: dict[tuple[str, str], str] = {
    # A counter calls the head of its queue ("call next") or picks one ticket.
    (WAITING, "call"): CALLED,
    # A ticket put aside is called back when its paper or colleague is there.
    (ON_HOLD, "call"): CALLED,
    # Nobody came yet: the screens announce the same ticket once more.
    (CALLED, "recall"): CALLED,
    # The person is at the counter: the service time starts.
    (CALLED, "serve"): SERVING,
    # Called and never came: counted, and the counter moves on.
    (CALLED, "no_show"): NO_SHOW,
    # Waiting for a document or a colleague: aside, without losing the ticket.
    (CALLED, "hold"): ON_HOLD,
    (SERVING, "hold"): ON_HOLD,
    # The wrong queue, or a colleague must take over: waits again in the new category/counter.
    (WAITING, "transfer"): WAITING,
    (CALLED, "transfer"): WAITING,
    (SERVING, "transfer"): WAITING,
    (ON_HOLD, "transfer"): WAITING,
    # Served: the service time ends; the cases filed meanwhile are linked to the ticket.
    (SERVING, "done"): DONE,
}

ACTIONS = tuple(dict.fromkeys(action for _state, action in TRANSITIONS))
OPEN_STATES = frozenset({WAITING, CALLED, SERVING, ON_HOLD})
FINAL_STATES = frozenset({DONE, NO_SHOW})


class IllegalTransition(workflow.IllegalTransition):
    """The action is not allowed from the ticket's current state; nothing was changed."""

    message = _('You cannot %(action)s a ticket that is "%(state)s".')
    state_labels = STATE_LABELS
    action_labels = ACTION_LABELS


WORKFLOW = workflow.Workflow(TRANSITIONS, refusal=IllegalTransition)
state_label = WORKFLOW.state_label
next_state = WORKFLOW.next_state
allowed_actions = WORKFLOW.allowed_actions
