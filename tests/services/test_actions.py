"""One table of case actions: the staff page, the API and the services agree on what can be done.

For every workflow status and every staff role, the actions the staff case page offers are
exactly the API's ``allowed_actions`` and exactly ``available_actions(case, actor)``; what is not
available is refused by the API with the error shape and by the page with a message, and nothing
changes. Confirmations are in the page's language; approval asks first, without JavaScript.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from sportel.accounts.roles import Role
from sportel.services import actions, services, workflow
from sportel.services.models import Case, CaseEvent

from .factories import case_in_state, submit

S = workflow
API = "/api/v1"


def url(name, language="sq", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs={"municipality_slug": "shkoder", **kwargs})


def page_actions(client, case) -> list[str]:
    """The actions the staff case page offers: its action forms and its confirmation links."""
    page = client.get(url("services-staff:case", number=case.number))
    assert page.status_code == 200
    found = re.findall(rf"/staff/cases/{case.number}/([a-z_]+)/\"", page.content.decode())
    return list(dict.fromkeys(found))  # in page order, once each


def api_actions(client, case) -> list[str]:
    response = client.get(f"{API}/municipalities/shkoder/cases/{case.number}")
    assert response.status_code == 200
    return response.json()["allowed_actions"]


# (status, service, how the service's version is set up) — each precondition of the table is
# met and unmet at least once: suspension and extension allowed or not, a document to issue or
# not, a fee paid or not.
VARIANTS = [
    *[
        (state, "public-information-request", {})
        for state in S.STATES
        if state != S.DOCUMENT_ISSUED
    ],
    (S.IN_PROGRESS, "public-information-request", {"suspension_allowed": False}),
    (S.IN_PROGRESS, "public-information-request", {"extension_allowed": False}),
    (S.APPROVED, "tax-clearance-certificate", {}),
    (S.APPROVED, "tax-clearance-certificate", {"fee": Decimal("300")}),
    (S.DOCUMENT_ISSUED, "tax-clearance-certificate", {}),
    (S.SUBMITTED, "tax-clearance-certificate", {"fee": Decimal("300")}),
]


def _case(state, code, setup, *, shkoder, citizen, specialist):
    if setup:
        from sportel.services.models import ServiceType

        version = ServiceType.objects.get(municipality=shkoder, code=code).current_version
        for field, value in setup.items():
            setattr(version, field, value)
        version.save()
    if state == S.DOCUMENT_ISSUED or (state == S.APPROVED and setup.get("fee")):
        # Approved with a fee still due: the document waits for the counter.
        case = case_in_state(
            S.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist, code=code
        )
        services.decide(case, actor=specialist, approve=True)
        if state == S.DOCUMENT_ISSUED:
            services.issue_document(case, actor=specialist)
        return Case.objects.get(pk=case.pk)
    case = case_in_state(
        state, municipality=shkoder, citizen=citizen, specialist=specialist, code=code
    )
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize(
    ("state", "code", "setup"),
    VARIANTS,
    ids=[f"{s}-{c.split('-')[0]}-{'-'.join(map(str, x)) or 'as-is'}" for s, c, x in VARIANTS],
)
def test_the_page_and_the_api_offer_the_same_actions_for_every_status_and_role(
    state, code, setup, shkoder, citizen, specialist, make_staff, verified_client
):
    case = _case(state, code, setup, shkoder=shkoder, citizen=citizen, specialist=specialist)
    assert case.status == state
    people = {
        "assignee": specialist,
        "other specialist": make_staff(shkoder, Role.SPECIALIST),
        "clerk": make_staff(shkoder, Role.CLERK),
        "manager": make_staff(shkoder, Role.MANAGER),
    }
    for who, user in people.items():
        client = verified_client(user)
        expected = [action.name for action in actions.available_actions(case, user)]
        assert page_actions(client, case) == expected, who
        assert api_actions(client, case) == expected, who
        # Whatever is offered is allowed by the workflow table (or is not a transition).
        for name in expected:
            assert not actions.ACTIONS[name].moves or (state, name) in S.TRANSITIONS


def test_what_the_preconditions_decide(shkoder, citizen, specialist, clerk):
    """The service's rules, not only the workflow table, decide what is offered."""
    from sportel.services.models import ServiceType

    version = ServiceType.objects.get(
        municipality=shkoder, code="tax-clearance-certificate"
    ).current_version
    version.fee = Decimal("300")
    version.save()
    case = case_in_state(
        S.IN_PROGRESS,
        municipality=shkoder,
        citizen=citizen,
        specialist=specialist,
        code="tax-clearance-certificate",
    )
    services.decide(case, actor=specialist, approve=True)
    names = lambda user: [a.name for a in actions.available_actions(case, user)]  # noqa: E731
    # Approved, document not issued, fee unpaid: the specialist can neither issue nor close.
    assert names(specialist) == ["note"]
    with translation.override("en"):
        assert actions.refusal(case, specialist, "issue_document").messages == [
            "The fee must be paid before the document is issued."
        ]
        assert actions.refusal(case, specialist, "close").messages == [
            "Issue the document before closing an approved case."
        ]
    # The counter takes the fee; then the specialist issues the document.
    assert names(clerk) == ["mark_fee_paid", "note"]
    services.mark_fee_paid(case, actor=clerk)
    assert names(specialist) == ["issue_document", "note"]
    assert names(clerk) == ["note"]


def test_the_api_refuses_what_is_not_available_with_the_error_shape(
    shkoder, citizen, specialist, clerk, verified_client
):
    case = submit(shkoder, citizen)
    transitions = f"{API}/municipalities/shkoder/cases/{case.number}/transitions"
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    client = verified_client(specialist)
    # Not allowed from this status: 409, said in the caller's language.
    refused = client.post(transitions, {"action": "approve"}, content_type="application/json", **en)
    assert refused.status_code == 409
    assert refused.json()["detail"] == 'You cannot approve a case that is "Submitted".'
    assert refused.json()["code"] == "illegal_transition"
    # Not this person's role: 403, before the payload is even looked at.
    client = verified_client(clerk)
    refused = client.post(transitions, {"action": "assign"}, content_type="application/json", **en)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert refused.json()["detail"] == "You do not have permission to do this in this municipality."
    # A precondition: this service cannot be suspended.
    case = case_in_state(
        S.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    version = case.service_version
    version.suspension_allowed = False
    version.save()
    client = verified_client(specialist)
    assert "request_info" not in api_actions(client, case)
    refused = client.post(
        f"{API}/municipalities/shkoder/cases/{case.number}/transitions",
        {"action": "request_info", "message": "Dërgoni kontratën."},
        content_type="application/json",
        **en,
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "This service cannot be suspended."
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
    # An unknown action.
    refused = client.post(
        f"{API}/municipalities/shkoder/cases/{case.number}/transitions",
        {"action": "teleport"},
        content_type="application/json",
        **en,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"action": ["Unknown action."]}


# --- the staff page -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_confirmation_is_in_the_language_of_the_page(
    language, shkoder, citizen, specialist, verified_client
):
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    client = verified_client(specialist)
    said = {
        "sq": {
            "assign": "Kërkesa u caktua.",
            "start": "Puna për kërkesën filloi.",
            "note": "Shënimi u shtua.",
            "approve": "Kërkesa u miratua.",
            "issue_document": "Dokumenti u lëshua dhe u vulos.",
            "close": "Kërkesa u mbyll.",
        },
        "en": {
            "assign": "The case is assigned.",
            "start": "Work on the case has started.",
            "note": "The note is added.",
            "approve": "The case is approved.",
            "issue_document": "The document is issued and sealed.",
            "close": "The case is closed.",
        },
    }[language]
    data = {"assign": {"assignee": str(specialist.pk)}, "note": {"text": "Kontrolluar."}}
    for action, message in said.items():
        response = client.post(
            url("services-staff:case-action", language, number=case.number, action=action),
            data.get(action, {}),
            follow=True,
        )
        assert response.redirect_chain[-1][0] == url(
            "services-staff:case", language, number=case.number
        )
        body = response.content.decode()
        assert f'lang="{language}"' in body
        assert message in body, action
    assert Case.objects.get(pk=case.pk).status == S.CLOSED


def test_reject_comes_before_approve_and_approval_asks_first(
    shkoder, citizen, specialist, verified_client
):
    case = case_in_state(
        S.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    client = verified_client(specialist)
    page = client.get(url("services-staff:case", number=case.number)).content.decode()
    assert page.index('id="action-reject"') < page.index('id="action-approve"')
    # Approving is a link to a question, not a button that approves.
    approve = url("services-staff:case-action", number=case.number, action="approve")
    assert f'href="{approve}"' in page
    assert f'action="{approve}"' not in page
    question = client.get(approve)
    assert question.status_code == 200
    body = question.content.decode()
    assert f"Të miratohet kërkesa {case.number}?" in body
    assert f'action="{approve}"' in body and "Po, miratoje" in body
    assert url("services-staff:case", number=case.number) in body  # "No, back to the case"
    # Only asking changes nothing.
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
    done = client.post(approve, follow=True)
    assert "Kërkesa u miratua." in done.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.APPROVED


def test_the_question_is_not_asked_when_approval_is_not_available(
    shkoder, citizen, specialist, verified_client
):
    case = submit(shkoder, citizen)
    client = verified_client(specialist)
    response = client.get(
        url("services-staff:case-action", number=case.number, action="approve"), follow=True
    )
    assert response.redirect_chain[-1][0] == url("services-staff:case", number=case.number)
    assert "Nuk mund të miratoni një kërkesë që është „Dorëzuar“." in response.content.decode()


def test_a_clerk_withdraws_for_the_applicant_from_the_case_page(
    shkoder, citizen, specialist, clerk, verified_client
):
    case = submit(shkoder, citizen)
    client = verified_client(clerk)
    assert "withdraw" in page_actions(client, case)
    events = CaseEvent.objects.filter(case=case).count()
    response = client.post(
        url("services-staff:case-action", number=case.number, action="withdraw"),
        {"reason": "Aplikanti hoqi dorë në sportel."},
        follow=True,
    )
    assert "Kërkesa u tërhoq." in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.WITHDRAWN
    assert CaseEvent.objects.filter(case=case).count() == events + 1
    assert "withdraw" not in page_actions(client, case)


# --- the queue: decided cases with a step to come do not vanish ---------------------------------


def test_approved_unpaid_and_rejected_cases_stay_in_the_default_queue(
    shkoder, citizen, specialist, verified_client
):
    from sportel.services.models import ServiceType

    version = ServiceType.objects.get(
        municipality=shkoder, code="tax-clearance-certificate"
    ).current_version
    version.fee = Decimal("300")
    version.save()
    unpaid = case_in_state(
        S.IN_PROGRESS,
        municipality=shkoder,
        citizen=citizen,
        specialist=specialist,
        code="tax-clearance-certificate",
    )
    services.decide(unpaid, actor=specialist, approve=True)
    rejected = case_in_state(
        S.REJECTED, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    closed = case_in_state(S.CLOSED, municipality=shkoder, citizen=citizen, specialist=specialist)
    client = verified_client(specialist)
    with translation.override("en"):
        page = client.get(url("services-staff:queue", "en")).content.decode()
    decided = page[page.index('id="decided"') : page.index('id="queue"')]
    assert unpaid.number in decided and "Waiting for the fee at the counter" in decided
    assert rejected.number in decided and "To be closed" in decided
    assert closed.number not in page  # finished: only a status filter shows it
    filtered = client.get(url("services-staff:queue"), {"status": S.CLOSED}).content.decode()
    assert closed.number in filtered and 'id="decided"' not in filtered


# --- the case_changed signal --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_case_changed_is_sent_once_per_change_after_commit_and_never_for_a_rollback(
    shkoder, catalogue, citizen, specialist
):
    from django.db import transaction

    from sportel.services.history import case_changed

    received = []

    def receiver(sender, case, action, **kwargs):
        # After the commit: the change is already visible to anyone who reads the case.
        received.append((action, Case.objects.get(pk=case.pk).status))

    case_changed.connect(receiver, sender=Case)
    try:
        case = submit(shkoder, citizen)
        services.assign(case, actor=specialist, assignee=specialist)
        assert received == [("submit", S.SUBMITTED), ("assign", S.ASSIGNED)]
        received.clear()
        with pytest.raises(RuntimeError), transaction.atomic():
            services.start_work(case, actor=specialist)
            raise RuntimeError("a later step failed")
        assert received == []
        assert Case.objects.get(pk=case.pk).status == S.ASSIGNED
        # A refused action sends nothing either.
        with pytest.raises(workflow.IllegalTransition):
            services.close(case, actor=specialist)
        assert received == []
    finally:
        case_changed.disconnect(receiver, sender=Case)
