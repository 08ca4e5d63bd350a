"""Every write on applications and cases, by one door — re-exported from the modules that hold it.

==================  ==============================================================================
``history``         lock the case row, append a CaseEvent (history is never edited), audit in the
                    same transaction, notify the applicant, send :data:`case_changed` on commit
``identity``        the Person behind an account, the identity assurance a service asks for
``applications``    drafts, submission: an application becomes a case (number, deadlines)
``attachments``     files on an application (checked by ``core.uploads``)
``instant``         instant services: a registered data check decides, the document follows
``issuance``        the output document's lines and its issuance by the documents module
``casework``        what staff and applicants do to an open case; the audited staff read
``actions``         the one table of case actions and ``available_actions(case, actor)``
``bundles``         the proactive "moving home" bundle
==================  ==============================================================================

Permissions come from ``sportel.accounts.permissions``; uploads are checked by
``sportel.core.uploads``; answers are validated by ``sportel.core.jsonforms``.

Errors are Django ``ValidationError`` (bad input, messages in the active language, keyed by field
where there is one), ``workflow.IllegalTransition`` (a ``ValidationError`` with code
``illegal_transition``) and ``PermissionDenied``. Whatever the error, nothing is written.

``from sportel.services import services; services.submit_application(...)`` keeps working; new
code may import from the module that holds the function.
"""

from sportel.accounts.permissions import has_permission
from sportel.core.uploads import ACCEPTED_UPLOADS, CheckedUpload, check_upload

from .actions import ACTIONS, available_actions, perform
from .applications import save_draft, submit_application, validate_form
from .attachments import MAX_ATTACHMENTS, add_attachment
from .bundles import MOVING_HOME_SERVICES, moving_home_consent_text, open_moving_home_bundle
from .casework import (
    add_note,
    answer_info,
    assign,
    assign_by_rule,
    close,
    decide,
    extend,
    issue_document,
    mark_fee_paid,
    matching_rule,
    read_case,
    request_info,
    start_work,
    withdraw,
)
from .history import case_changed
from .identity import _check_assurance, person_for_user
from .instant import INSTANT_CHECKS, InstantRefusal, instant_check, run_instant
from .issuance import document_fields

__all__ = [
    "ACCEPTED_UPLOADS",
    "ACTIONS",
    "INSTANT_CHECKS",
    "MAX_ATTACHMENTS",
    "MOVING_HOME_SERVICES",
    "CheckedUpload",
    "InstantRefusal",
    "_check_assurance",
    "add_attachment",
    "add_note",
    "answer_info",
    "assign",
    "assign_by_rule",
    "available_actions",
    "case_changed",
    "check_upload",
    "close",
    "decide",
    "document_fields",
    "extend",
    "has_permission",
    "instant_check",
    "issue_document",
    "mark_fee_paid",
    "matching_rule",
    "moving_home_consent_text",
    "open_moving_home_bundle",
    "perform",
    "person_for_user",
    "read_case",
    "request_info",
    "run_instant",
    "save_draft",
    "start_work",
    "submit_application",
    "validate_form",
    "withdraw",
]
