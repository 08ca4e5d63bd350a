"""Staff roles and what each may do: one table, least privilege.

A role is held per municipality; the platform operator is the only role above municipalities.
Later modules add their permissions here, next to the role that needs them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Front-office clerk")
    SPECIALIST = "specialist", _("Back-office specialist")
    TAX_OFFICER = "tax_officer", _("Tax officer")
    MANAGER = "manager", _("Manager")
    ADMINISTRATOR = "administrator", _("Municipal administrator")


# permission → the roles that hold it. Each line says why the role needs it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    # Everyone on staff sees the staff home and their own municipality.
    "staff.home": frozenset(Role),
    # Reading a person's record is personal data: audited on every read.
    "people.read": frozenset({Role.CLERK, Role.SPECIALIST, Role.TAX_OFFICER, Role.MANAGER}),
    # The counter registers walk-ins; specialists correct records while processing cases.
    "people.write": frozenset({Role.CLERK, Role.SPECIALIST}),
    # Proving a resident's identity needs the person and their identity document in front of
    # you: only the counter does it (accounts/identity.py).
    "people.verify": frozenset({Role.CLERK}),
    # Managers and administrators look at the audit log of their municipality.
    "audit.read": frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    # Administrators configure the municipality (units, staff roles, later services and tariffs).
    "municipality.configure": frozenset({Role.ADMINISTRATOR}),
    "staff.manage": frozenset({Role.ADMINISTRATOR}),
    # Documents: specialists and managers answer for what the municipality issued, so they
    # watch issuance and sealing failures; administrators too, as they install the seal.
    "documents.monitor": frozenset({Role.SPECIALIST, Role.MANAGER, Role.ADMINISTRATOR}),
    # Revoking or re-issuing a sealed document is a legal act on the municipality's behalf:
    # the back office that decided the case, and its manager; never the counter.
    "documents.revoke": frozenset({Role.SPECIALIST, Role.MANAGER}),
    # Services (issue 3). The queue and case files hold personal data: the people who work
    # cases, and managers who answer for deadlines; every case file read is audited.
    "cases.read": frozenset({Role.CLERK, Role.SPECIALIST, Role.MANAGER}),
    # The counter files applications for walk-ins, answers for them and takes fees in cash.
    "cases.counter": frozenset({Role.CLERK}),
    # Specialists share work among themselves; managers rebalance the queue.
    "cases.assign": frozenset({Role.SPECIALIST, Role.MANAGER}),
    # Only back-office specialists work and decide cases.
    "cases.process": frozenset({Role.SPECIALIST}),
    # Anyone who touches a case may leave a note for colleagues or the applicant.
    "cases.note": frozenset({Role.CLERK, Role.SPECIALIST, Role.MANAGER}),
    # Administrators add and version service types, life events and assignment rules.
    "services.configure": frozenset({Role.ADMINISTRATOR}),
    # Reports (issue 9). Triage, notes, statuses and grouping: the back office that works
    # reports, and managers who answer for them.
    "reports.triage": frozenset({Role.SPECIALIST, Role.MANAGER}),
    # Reading reports in the staff queue (reporters' contacts are personal data): the counter
    # too, as it files them for walk-ins and callers.
    "reports.read": frozenset({Role.CLERK, Role.SPECIALIST, Role.MANAGER}),
    # The counter files reports for walk-ins and callers.
    "reports.counter": frozenset({Role.CLERK}),
    # Recording a council's funding decision is the manager's (it commits public money).
    "reports.fund": frozenset({Role.MANAGER}),
    # Categories, routing, area weights, Open311 keys and the ban list.
    "reports.configure": frozenset({Role.ADMINISTRATOR}),
    # The floor (issue 10). Clerks sign in at a counter, call and serve tickets, and hand out
    # tickets at reception.
    "floor.counter": frozenset({Role.CLERK}),
    # Managers watch the office status (who serves whom, waits) and download the reports.
    "floor.status": frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    # Administrators register and revoke kiosks and information screens.
    "floor.configure": frozenset({Role.ADMINISTRATOR}),
    # Revenue (issue 11). Tax officers set up the year, run assessments and reconcile the bank;
    # managers watch collection; the counter takes cash and closes its own day.
    "revenue.read": frozenset({Role.TAX_OFFICER, Role.MANAGER}),
    "revenue.assess": frozenset({Role.TAX_OFFICER}),
    "revenue.reconcile": frozenset({Role.TAX_OFFICER}),
    "revenue.cash": frozenset({Role.CLERK}),
    # The fiscal package is the council's decision, entered by the administrator or tax office.
    "revenue.configure": frozenset({Role.TAX_OFFICER, Role.ADMINISTRATOR}),
    # Open data (issue 12): managers answer for what the municipality publishes, administrators
    # run the portal; both upload, validate and publish datasets. Open data holds no personal
    # data, so nobody else on staff needs it.
    "opendata.publish": frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    # Participation (issue 13). Managers run participatory budgets: dates, rules, costing,
    # publishing the count; administrators configure them like the rest of the municipality.
    "participation.manage": frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    # Specialists moderate reported proposals and comments (every decision audited).
    "participation.moderate": frozenset({Role.SPECIALIST}),
    # The counter records a verified resident's ballot on their behalf (counter or kiosk).
    "participation.counter": frozenset({Role.CLERK}),
}


def roles_with(permission: str) -> frozenset[Role]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}: add it to accounts/roles.py") from None
