"""One table of what a counter can do to a ticket, and the one selector that says what is
possible now (the pattern of ``services/actions.py``, decision 0011).

:func:`available_actions` is the only answer to "what may this clerk, at this counter, do to this
ticket now?": the counter screen shows exactly those buttons, the API lists exactly those names,
and :func:`perform` refuses anything else with its reason before the service runs. The service
checks :func:`precondition_refusal` and the workflow table again under the ticket's row lock, so
two counters pressing "call" on the same ticket at once get one call and one clear refusal.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sportel.accounts.permissions import has_permission

from . import services, workflow
from .models import Counter, Ticket
from .rules import precondition_refusal


@dataclass(frozen=True)
class TicketAction:
    name: str
    function: Callable[..., Any]  # function(ticket, *, actor, counter, **params)
    label: Promise
    done: Promise
    permission: str = "floor.counter"
    style: str = ""  # "", "secondary" or "warning"


ACTIONS: dict[str, TicketAction] = {
    action.name: action
    for action in (
        TicketAction("call", services.call, _("Call"), _("Ticket %(number)s is called.")),
        TicketAction(
            "recall",
            services.recall,
            _("Call again"),
            _("Ticket %(number)s is called again."),
            style="secondary",
        ),
        TicketAction("serve", services.serve, _("Start serving"), _("You are serving %(number)s.")),
        TicketAction("done", services.done, _("Finish"), _("Ticket %(number)s is done.")),
        TicketAction(
            "hold",
            services.hold,
            _("Put on hold"),
            _("Ticket %(number)s is on hold."),
            style="secondary",
        ),
        TicketAction(
            "transfer",
            services.transfer,
            _("Transfer"),
            _("Ticket %(number)s is transferred."),
            style="secondary",
        ),
        TicketAction(
            "no_show",
            services.no_show,
            _("Did not come"),
            _("Ticket %(number)s is marked as not come."),
            style="warning",
        ),
    )
}


def refusal(ticket: Ticket, actor, name: str, counter: Counter | None) -> Exception | None:
    """Why ``actor`` at ``counter`` may not do ``name`` to ``ticket`` now, or None. In this
    order: the permission (someone without it learns nothing more), the counter's rules, the
    workflow table."""
    action = ACTIONS.get(name)
    if action is None:
        return ValidationError({"action": _("Unknown action.")}, code="unknown_action")
    if not has_permission(actor, ticket.office.municipality, action.permission):
        return PermissionDenied(_("You do not have permission to do this in this municipality."))
    refused = precondition_refusal(ticket, name, counter)
    if refused is not None:
        return refused
    if (ticket.state, name) not in workflow.TRANSITIONS:
        return workflow.IllegalTransition(ticket.state, name)
    return None


def available_actions(ticket: Ticket, actor, counter: Counter | None) -> list[TicketAction]:
    return [a for name, a in ACTIONS.items() if refusal(ticket, actor, name, counter) is None]


def perform(ticket: Ticket, name: str, *, actor, counter: Counter | None, **params) -> Ticket:
    """Do ``name`` if it is available, else raise its refusal; nothing is written then."""
    refused = refusal(ticket, actor, name, counter)
    if refused is not None:
        raise refused
    return ACTIONS[name].function(ticket, actor=actor, counter=counter, **params)
