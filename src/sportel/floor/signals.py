"""A case filed at the counter while its clerk serves a ticket belongs to that ticket's visit.

The services module announces every new case (``case_changed``, action ``submit``, on commit);
the floor links a counter case to the ticket its clerk is serving or has called at their
counter now. Several services in one visit are several cases on one ticket.
"""

from django.dispatch import receiver

from sportel.services.history import case_changed
from sportel.services.models import Case, Channel

from . import selectors, services


@receiver(case_changed, sender=Case, dispatch_uid="floor-link-counter-case")
def link_counter_case(sender, case, action, **kwargs):
    if action != "submit" or case.channel != Channel.COUNTER or case.clerk_id is None:
        return
    session = selectors.session_of(case.clerk, case.municipality)
    if session is None:
        return
    ticket = selectors.current_at(session.counter)
    if ticket is not None:
        services.link_case(ticket, case)
