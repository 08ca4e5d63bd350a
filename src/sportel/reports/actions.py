"""One table of what can be done to a report, and the one selector that says what is possible now.

The staff case page shows exactly :func:`available_actions`, and :func:`perform` refuses
anything else (``PermissionDenied``, ``workflow.IllegalTransition``), before a service is called
(see docs/decisions/0011-one-table-per-action.md).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sportel.accounts.permissions import has_permission

from . import services, workflow
from .models import Report


@dataclass(frozen=True)
class ReportAction:
    name: str
    function: Callable[..., Any]
    permission: str
    label: Promise
    done: Promise
    # The form's fields: "text" (a note), "text_required", "photo", "original", "assignee".
    fields: tuple[str, ...] = ()
    moves: bool = True
    style: str = ""


ACTIONS: dict[str, ReportAction] = {
    action.name: action
    for action in (
        ReportAction(
            "assign",
            services.assign,
            "reports.triage",
            _("Assign"),
            _("The report is assigned."),
            fields=("assignee", "team"),
            moves=False,
        ),
        ReportAction(
            "start",
            services.start,
            "reports.triage",
            _("Start work"),
            _("Work on the report has started."),
            fields=("text",),
        ),
        ReportAction(
            "plan",
            services.plan,
            "reports.triage",
            _("Put in the plan"),
            _("The report is planned."),
            fields=("text",),
        ),
        ReportAction(
            "schedule",
            services.schedule,
            "reports.triage",
            _("Schedule the work"),
            _("The work is scheduled."),
            fields=("text", "date"),
        ),
        ReportAction(
            "fix",
            services.fix,
            "reports.triage",
            _("Mark as fixed"),
            _("The report is fixed; the reporter is told."),
            fields=("text_required", "photo"),
        ),
        ReportAction(
            "mark_duplicate",
            services.mark_duplicate,
            "reports.triage",
            _("Mark as a duplicate"),
            _("The report is closed as a duplicate."),
            fields=("original", "text"),
            style="secondary",
        ),
        ReportAction(
            "close_not_responsible",
            services.close_not_responsible,
            "reports.triage",
            _("Close: not our responsibility"),
            _("The report is closed."),
            fields=("text_required",),
            style="warning",
        ),
        ReportAction(
            "close_no_action",
            services.close_no_action,
            "reports.triage",
            _("Close: no further action"),
            _("The report is closed."),
            fields=("text_required",),
            style="warning",
        ),
        ReportAction(
            "reopen",
            services.staff_reopen,
            "reports.triage",
            _("Reopen"),
            _("The report is open again."),
            fields=("text_required",),
            style="secondary",
        ),
        ReportAction(
            "note",
            services.add_note,
            "reports.triage",
            _("Add a note"),
            _("The note is added."),
            fields=("text_required", "public"),
            moves=False,
        ),
    )
}


def refusal(report: Report, actor, name: str) -> Exception | None:
    """Why ``actor`` may not do ``name`` to ``report`` now, or None: the permission first,
    then the workflow table, then the action's own rule."""
    action = ACTIONS.get(name)
    if action is None:
        return ValidationError({"action": _("Unknown action.")}, code="unknown_action")
    if not has_permission(actor, report.municipality, action.permission):
        return PermissionDenied(_("You do not have permission to do this in this municipality."))
    if action.moves and (report.status, name) not in workflow.TRANSITIONS:
        return workflow.IllegalTransition(report.status, name)
    if name == "assign" and report.status not in workflow.OPEN_STATES:
        return ValidationError({"assignee": _("Only an open report can be assigned.")})
    return None


def available_actions(report: Report, actor) -> list[ReportAction]:
    return [action for name, action in ACTIONS.items() if refusal(report, actor, name) is None]


def perform(report: Report, name: str, *, actor, **params) -> Report:
    """Do ``name`` if available, else raise its refusal; nothing is written then."""
    refused = refusal(report, actor, name)
    if refused is not None:
        raise refused
    return ACTIONS[name].function(report, actor=actor, **params)
