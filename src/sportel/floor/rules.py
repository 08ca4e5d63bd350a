"""The counter's rules beyond the workflow table, shared by the action table (what the screen
offers) and the services (checked again under the ticket's row lock)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import workflow
from .models import Counter, Ticket

# The actions that act on the ticket the counter has now (called or being served).
AT_THIS_COUNTER = frozenset({"recall", "serve", "done", "hold", "no_show"})


def precondition_refusal(ticket: Ticket, name: str, counter: Counter | None) -> Exception | None:
    """The counter's rules beyond the workflow table (checked again under the row lock)."""
    if counter is None:
        return ValidationError(_("Sign in at a counter first."), code="no_counter")
    if counter.office_id != ticket.office_id:
        return ValidationError(
            _("Ticket %(number)s is not in your office's queue.") % {"number": ticket.number},
            code="other_office",
        )
    if name == "call":
        if ticket.state in (workflow.CALLED, workflow.SERVING):
            if ticket.counter_id == counter.pk:
                return ValidationError(
                    _("You have already called %(number)s.") % {"number": ticket.number},
                    code="already_called",
                )
            return ValidationError(
                _("Ticket %(number)s was just called at counter %(counter)s.")
                % {"number": ticket.number, "counter": ticket.counter.number},
                code="already_called",
            )
        if ticket.state in workflow.FINAL_STATES:
            return workflow.IllegalTransition(ticket.state, name)
        if ticket.state == workflow.ON_HOLD and ticket.counter_id != counter.pk:
            return ValidationError(
                _("Ticket %(number)s is on hold at another counter.") % {"number": ticket.number},
                code="other_counter",
            )
        if ticket.state == workflow.WAITING:
            if ticket.for_counter_id and ticket.for_counter_id != counter.pk:
                return ValidationError(
                    _("Ticket %(number)s waits for another counter.") % {"number": ticket.number},
                    code="other_counter",
                )
            if not counter.categories.filter(pk=ticket.category_id).exists():
                return ValidationError(
                    _("Your counter does not serve the queue of %(number)s.")
                    % {"number": ticket.number},
                    code="not_served",
                )
        return None
    at_counter = name in AT_THIS_COUNTER or (
        name == "transfer" and ticket.state != workflow.WAITING
    )
    if at_counter and ticket.counter_id != counter.pk:
        return ValidationError(
            _("Ticket %(number)s is not at your counter.") % {"number": ticket.number},
            code="other_counter",
        )
    return None
