"""The services' audit codes in words, as the applicant reads them ("who accessed my case/data")."""

from django.utils.translation import gettext_lazy

ACCESS_LABELS = {
    "person.read": gettext_lazy("Read the case file"),
    "case.read": gettext_lazy("Read the case file"),
    "case.submit": gettext_lazy("Filed the application"),
    "case.assign": gettext_lazy("Assigned the case"),
    "case.start": gettext_lazy("Started work on the case"),
    "case.request_info": gettext_lazy("Asked you for more information"),
    "case.answer_info": gettext_lazy("Recorded your answer"),
    "case.extend": gettext_lazy("Extended the deadline"),
    "case.note": gettext_lazy("Added a note"),
    "case.approve": gettext_lazy("Approved the case"),
    # An instant service's check on the municipality's own register decided it.
    "case.auto_approve": gettext_lazy("Approved the case"),
    "case.auto_reject": gettext_lazy("Refused the case"),
    "case.reject": gettext_lazy("Rejected the case"),
    "case.issue_document": gettext_lazy("Issued the document"),
    "case.close": gettext_lazy("Closed the case"),
    "case.withdraw": gettext_lazy("Withdrew the case"),
    "case.fee_paid": gettext_lazy("Recorded the fee as paid"),
}


def register() -> None:
    """Give core's 'who accessed my data' the words (a person.read there is not always a case)."""
    from sportel.core.audit_words import register_action_words

    register_action_words({k: v for k, v in ACCESS_LABELS.items() if k != "person.read"})
