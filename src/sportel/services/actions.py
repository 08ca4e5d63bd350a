"""One table of what can be done to a case, and the one selector that says what is possible now.

Each :class:`CaseAction` row holds everything the HTML page, the API and the services need to
know about an action: the service function that does it, the permission (``accounts/roles.py``)
it needs, the precondition beyond the workflow table (the service's own rule, checked again by
the service under the row lock), the words people see (label, button, the confirmation after it
is done — translated when shown, so an English page says English things), the form of the staff
page, and how the form's fields or the API's payload become the function's parameters.

:func:`available_actions` is the only answer to "what may this person do to this case now?": the
staff case page shows exactly those actions, the API lists exactly those as ``allowed_actions``,
and :func:`perform` refuses anything else with the reason (``PermissionDenied``,
``workflow.IllegalTransition`` or a ``ValidationError`` with a code), before the service is
called. Later modules (reports, revenue, participation) build their workflows the same way: see
docs/decisions/0011-one-table-per-action.md.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sportel.accounts.permissions import has_permission

from . import casework, workflow
from .identity import is_applicant
from .models import Case, CaseEvent

Params = dict[str, Any]


def _no_params(_source) -> Params:
    return {}


@dataclass(frozen=True)
class CaseAction:
    name: str
    # The service function: function(case, *, actor, **params).
    function: Callable[..., Any]
    # The permission (accounts/roles.py) a staff member needs; see also ``applicant_may``.
    permission: str
    # What the page calls it (a heading, or the button when there is no form).
    label: Promise
    # What the person is told once it is done, in the page's language.
    done: Promise
    # The submit button of its form (defaults to ``label``).
    button: Promise | None = None
    # The service's rule beyond the workflow table (in casework, which checks it again under the
    # row lock): None, or the refusal to raise.
    precondition: Callable[[Case, Any], Exception | None] | None = None
    # The staff page's form: a class in services/forms.py, named here so that this module (and
    # the services that import it) never import the web layer; "" is a button alone.
    form: str = ""
    form_params: Callable[[forms.Form], Params] = _no_params
    # How the API's payload (TransitionIn) becomes the function's parameters.
    api_params: Callable[[Any], Params] = _no_params
    # The applicant may do it to their own case without a staff role.
    applicant_may: bool = False
    # Not a workflow edge (a note, a fee): no state changes, the table does not list it.
    moves: bool = True
    # The page asks this question (and says what follows) on a page of its own before doing it,
    # so it works without JavaScript; None: done at once.
    confirm: Promise | None = None
    consequence: Promise | None = None
    # The button's look: "" (primary), "secondary" or "warning".
    style: str = ""

    @property
    def submit_label(self) -> Promise:
        return self.button or self.label


# --- the table ----------------------------------------------------------------------------------


def _approve(case, *, actor, **params):
    return casework.decide(case, actor=actor, approve=True, **params)


def _reject(case, *, actor, **params):
    return casework.decide(case, actor=actor, approve=False, **params)


def _api_assignee(pk):
    from sportel.accounts.models import User

    user = User.objects.filter(pk=pk).first() if pk else None
    if user is None:
        raise ValidationError({"assignee": _("Choose the specialist to assign the case to.")})
    return user


def _upload_list(form) -> list:
    upload = form.cleaned_data.get("file")
    return [upload] if upload else []


# In the order the staff page shows them: the work, the decision (reject before approve, approve
# asks for confirmation), what follows it, the counter's actions, the note.
ACTIONS: dict[str, CaseAction] = {
    action.name: action
    for action in (
        CaseAction(
            name="assign",
            function=casework.assign,
            permission="cases.assign",
            label=_("Assign"),
            done=_("The case is assigned."),
            form="AssignForm",
            form_params=lambda f: {
                "assignee": f.assignees.get(f.cleaned_data.get("assignee") or ""),
                "note": f.cleaned_data.get("note", ""),
            },
            api_params=lambda p: {
                "assignee": _api_assignee(p.assignee),
                "note": p.text or p.reason,
            },
        ),
        CaseAction(
            name="start",
            function=casework.start_work,
            permission="cases.process",
            label=_("Start work"),
            done=_("Work on the case has started."),
            precondition=casework.may_start,
        ),
        CaseAction(
            name="request_info",
            function=casework.request_info,
            permission="cases.process",
            label=_("Ask the applicant for more information"),
            button=_("Send the request"),
            done=_("The applicant was asked for more information; the clock is stopped."),
            precondition=casework.may_suspend,
            form="RequestInfoForm",
            form_params=lambda f: {"message": f.cleaned_data.get("message", "")},
            api_params=lambda p: {"message": p.message},
        ),
        CaseAction(
            name="extend",
            function=casework.extend,
            permission="cases.process",
            label=_("Extend the deadline"),
            button=_("Extend"),
            done=_("The deadline is extended."),
            precondition=casework.may_extend,
            form="ExtendForm",
            form_params=lambda f: {
                "days": f.cleaned_data.get("days") or 0,
                "reason": f.cleaned_data.get("reason", ""),
            },
            api_params=lambda p: {"days": p.days, "reason": p.reason},
        ),
        CaseAction(
            name="reject",
            function=_reject,
            permission="cases.process",
            label=_("Reject"),
            done=_("The case is rejected."),
            form="RejectForm",
            form_params=lambda f: {
                "reason": f.cleaned_data.get("reason", ""),
                "legal_basis": f.cleaned_data.get("legal_basis", ""),
            },
            api_params=lambda p: {"reason": p.reason, "legal_basis": p.legal_basis},
            style="warning",
        ),
        CaseAction(
            name="approve",
            function=_approve,
            permission="cases.process",
            label=_("Approve"),
            button=_("Yes, approve"),
            done=_("The case is approved."),
            api_params=lambda p: {"reason": p.reason, "legal_basis": p.legal_basis},
            precondition=casework.may_approve,
            confirm=_("Approve case %(number)s?"),
            consequence=_(
                "The applicant is told the case is approved. A decision cannot be undone here."
            ),
        ),
        CaseAction(
            name="issue_document",
            function=casework.issue_document,
            permission="cases.process",
            label=_("Issue the document"),
            done=_("The document is issued and sealed."),
            precondition=casework.may_issue,
        ),
        CaseAction(
            name="close",
            function=casework.close,
            permission="cases.process",
            label=_("Close the case"),
            done=_("The case is closed."),
            precondition=casework.may_close,
            style="secondary",
        ),
        CaseAction(
            name="mark_fee_paid",
            function=casework.mark_fee_paid,
            permission="cases.counter",
            label=_("Mark the fee as paid"),
            done=_("The fee is marked as paid."),
            precondition=casework.may_take_fee,
            form="FeePaidForm",
            form_params=lambda f: {"receipt": f.cleaned_data.get("receipt", "")},
            api_params=lambda p: {"receipt": p.receipt},
            moves=False,
            style="secondary",
        ),
        CaseAction(
            name="answer_info",
            function=casework.answer_info,
            permission="cases.counter",
            label=_("Record the applicant's answer"),
            button=_("Record the answer"),
            done=_("The answer is recorded; the clock runs again."),
            form="AnswerForApplicantForm",
            form_params=lambda f: {
                "message": f.cleaned_data.get("message", ""),
                "uploads": _upload_list(f),
            },
            api_params=lambda p: {"message": p.message},
            applicant_may=True,
        ),
        CaseAction(
            name="withdraw",
            function=casework.withdraw,
            permission="cases.counter",
            label=_("Withdraw the application"),
            button=_("Withdraw"),
            done=_("The application is withdrawn."),
            form="WithdrawForm",
            form_params=lambda f: {"reason": f.cleaned_data.get("reason", "")},
            api_params=lambda p: {"reason": p.reason},
            applicant_may=True,
            style="warning",
        ),
        CaseAction(
            name="note",
            function=casework.add_note,
            permission="cases.note",
            label=_("Add a note"),
            button=_("Add the note"),
            done=_("The note is added."),
            form="NoteForm",
            form_params=lambda f: {
                "text": f.cleaned_data.get("text", ""),
                "public": f.cleaned_data.get("public", False),
            },
            api_params=lambda p: {"text": p.text, "public": p.public},
            moves=False,
        ),
    )
}


# --- the selector and the door ------------------------------------------------------------------


def refusal(case: Case, actor, name: str) -> Exception | None:
    """Why ``actor`` may not do ``name`` to ``case`` now (the exception to raise), or None.

    In this order: the permission (someone without it learns nothing more), the workflow table,
    then the action's precondition."""
    action = ACTIONS.get(name)
    if action is None:
        return ValidationError({"action": _("Unknown action.")}, code="unknown_action")
    if not (action.applicant_may and is_applicant(actor, case)) and not has_permission(
        actor, case.municipality, action.permission
    ):
        return PermissionDenied(_("You do not have permission to do this in this municipality."))
    if action.moves and (case.status, name) not in workflow.TRANSITIONS:
        return workflow.IllegalTransition(case.status, name)
    if action.precondition is not None:
        return action.precondition(case, actor)
    return None


def available_actions(case: Case, actor) -> list[CaseAction]:
    """The actions ``actor`` may do to ``case`` now, in the table's order: the staff page shows
    these and nothing else, and the API lists their names as ``allowed_actions``."""
    return [action for name, action in ACTIONS.items() if refusal(case, actor, name) is None]


def perform(case: Case, name: str, *, actor, **params) -> Case:
    """Do action ``name`` if it is available, else raise its refusal; nothing is written then.

    The service function checks its own rules again under the row lock (two people may act on
    the same case at once)."""
    refused = refusal(case, actor, name)
    if refused is not None:
        raise refused
    result = ACTIONS[name].function(case, actor=actor, **params)
    return case if isinstance(result, CaseEvent) else result


def form_for(action: CaseAction, municipality, data=None, files=None) -> forms.Form | None:
    """The staff page's form of ``action`` (bound when ``data`` is given), or None."""
    if not action.form:
        return None
    from . import forms as html_forms  # the web layer's forms: loaded by the page, not here

    kwargs = {}
    if action.name == "assign":
        from .web_selectors import specialists

        kwargs["assignees"] = specialists(municipality)
    return getattr(html_forms, action.form)(data, files, **kwargs)
