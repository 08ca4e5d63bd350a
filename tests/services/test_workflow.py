"""Every edge of the workflow table works through the services, and every other pair is refused
with a clear message that changes nothing."""

import pytest
from django.utils import translation

from sportel.core.models import AuditEntry
from sportel.services import services, workflow
from sportel.services.models import CaseEvent
from sportel.services.workflow import TRANSITIONS, IllegalTransition

from .factories import case_in_state, submit

S = workflow

# (from, action) → (service to use, how to perform it). Each edge of TRANSITIONS has one.
EDGES = {
    (S.SUBMITTED, "assign"): ("public-information-request", "assign"),
    (S.ASSIGNED, "assign"): ("public-information-request", "assign"),
    (S.IN_PROGRESS, "assign"): ("public-information-request", "assign"),
    (S.ASSIGNED, "start"): ("public-information-request", "start"),
    (S.IN_PROGRESS, "request_info"): ("public-information-request", "request_info"),
    (S.AWAITING_APPLICANT, "answer_info"): ("public-information-request", "answer_info"),
    (S.IN_PROGRESS, "extend"): ("public-information-request", "extend"),
    (S.IN_PROGRESS, "approve"): ("public-information-request", "approve"),
    (S.IN_PROGRESS, "reject"): ("public-information-request", "reject"),
    (S.SUBMITTED, "auto_approve"): ("residence-certificate", None),
    (S.SUBMITTED, "auto_reject"): ("residence-certificate", None),
    (S.APPROVED, "issue_document"): ("tax-clearance-certificate", "issue_document"),
    (S.APPROVED, "close"): ("public-information-request", "close"),
    (S.DOCUMENT_ISSUED, "close"): ("tax-clearance-certificate", "close"),
    (S.REJECTED, "close"): ("public-information-request", "close"),
    (S.SUBMITTED, "withdraw"): ("public-information-request", "withdraw"),
    (S.ASSIGNED, "withdraw"): ("public-information-request", "withdraw"),
    (S.IN_PROGRESS, "withdraw"): ("public-information-request", "withdraw"),
    (S.AWAITING_APPLICANT, "withdraw"): ("public-information-request", "withdraw"),
}


def params(action, *, specialist, citizen):
    """The actor and arguments a real user would send for ``action``."""
    return {
        "assign": (specialist, {"assignee": specialist}),
        "start": (specialist, {}),
        "request_info": (specialist, {"message": "Dërgoni kontratën e qirasë."}),
        "answer_info": (citizen, {"message": "E bashkëngjita."}),
        "extend": (specialist, {"days": 2, "reason": "Informacion në arkiv."}),
        "approve": (specialist, {}),
        "reject": (
            specialist,
            {"reason": "Informacion i klasifikuar.", "legal_basis": "L 119/2014, neni 17"},
        ),
        "issue_document": (specialist, {}),
        "close": (specialist, {}),
        "withdraw": (citizen, {"reason": "Nuk më duhet më."}),
    }[action]


def test_every_edge_of_the_table_has_a_test():
    assert set(EDGES) == set(TRANSITIONS)


@pytest.mark.parametrize(("edge"), sorted(TRANSITIONS), ids=lambda e: f"{e[0]}-{e[1]}")
def test_edge_moves_the_case_and_appends_history(edge, shkoder, citizen, specialist, monkeypatch):
    source, action = edge
    code, performed = EDGES[edge]
    if action == "auto_reject":  # the instant path: the system refuses when the records say no
        from sportel.services.instant import INSTANT_CHECKS, InstantRefusal

        refusal = InstantRefusal(reason="test", text="Regjistri thotë jo.", data={"n": 1})
        monkeypatch.setitem(INSTANT_CHECKS, "civil_register", lambda case: refusal)
        case = submit(shkoder, citizen, code)
        case.refresh_from_db()
        assert list(case.events.values_list("action", flat=True)) == [
            "submit",
            "auto_reject",
            "close",
        ]
        decision = case.events.get(action="auto_reject")
        assert (decision.from_status, decision.to_status) == (S.SUBMITTED, S.REJECTED)
        assert decision.text == "Regjistri thotë jo." and decision.actor is None
        assert (case.status, case.decision, case.document_code) == (S.CLOSED, "rejected", "")
        assert AuditEntry.objects.filter(action="case.auto_reject").exists()
        return
    if performed is None:  # the instant path: the system approves when the check passes
        case = submit(shkoder, citizen, code)
        actions = list(case.events.values_list("action", flat=True))
        assert actions == ["submit", "auto_approve", "issue_document", "close"]
        assert case.events.get(action="auto_approve").from_status == S.SUBMITTED
        assert case.events.get(action="auto_approve").to_status == S.APPROVED
        return
    case = case_in_state(
        source, municipality=shkoder, citizen=citizen, specialist=specialist, code=code
    )
    assert case.status == source
    before = case.events.count()
    actor, kwargs = params(action, specialist=specialist, citizen=citizen)
    services.perform(case, performed, actor=actor, **kwargs)
    case.refresh_from_db()
    assert case.status == TRANSITIONS[edge]
    event = case.events.order_by("-seq").first()
    assert case.events.count() == before + 1
    assert (event.action, event.from_status, event.to_status) == (action, source, case.status)
    assert case.current_event_id == event.pk
    assert AuditEntry.objects.filter(action=f"case.{action}", object_id=str(case.pk)).exists()


ILLEGAL = [
    (state, action)
    for state in S.STATES
    for action in (
        "assign",
        "start",
        "request_info",
        "answer_info",
        "extend",
        "approve",
        "reject",
        "issue_document",
        "close",
        "withdraw",
    )
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: v)
def test_illegal_transition_is_refused_and_changes_nothing(
    state, action, shkoder, citizen, specialist
):
    code = (
        "tax-clearance-certificate" if state == S.DOCUMENT_ISSUED else "public-information-request"
    )
    case = case_in_state(
        state, municipality=shkoder, citizen=citizen, specialist=specialist, code=code
    )
    snapshot = (case.status, case.legal_end, case.assignee_id, case.events.count())
    audit_count = AuditEntry.objects.count()
    actor, kwargs = params(action, specialist=specialist, citizen=citizen)
    with pytest.raises(IllegalTransition) as refused:
        services.perform(case, action, actor=actor, **kwargs)
    assert refused.value.code == "illegal_transition"
    case.refresh_from_db()
    assert (case.status, case.legal_end, case.assignee_id, case.events.count()) == snapshot
    assert AuditEntry.objects.count() == audit_count


def test_illegal_transition_message_names_action_and_state_in_both_languages(
    shkoder, citizen, specialist
):
    case = case_in_state(S.CLOSED, municipality=shkoder, citizen=citizen, specialist=specialist)
    with pytest.raises(IllegalTransition) as refused:
        services.decide(case, actor=specialist, approve=True)
    with translation.override("en"):
        assert refused.value.messages == ['You cannot approve a case that is "Closed".']
    with translation.override("sq"):
        assert refused.value.messages == ["Nuk mund të miratoni një kërkesë që është „Mbyllur“."]


def test_history_rows_cannot_be_edited_or_deleted(shkoder, citizen):
    event = submit(shkoder, citizen).events.first()
    event.text = "rewritten"
    with pytest.raises(Exception, match="appended"):
        event.save()
    with pytest.raises(Exception, match="appended"):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).text == ""


def test_allowed_actions_come_from_the_table():
    assert workflow.allowed_actions(S.IN_PROGRESS) == [
        "assign",
        "request_info",
        "extend",
        "approve",
        "reject",
        "withdraw",
    ]
    assert workflow.allowed_actions(S.CLOSED) == []


def test_the_queue_indexes_cover_exactly_the_open_states():
    from sportel.services.models import OPEN

    assert set(dict(OPEN.children)["status__in"]) == set(workflow.OPEN_STATES)
    assert set(workflow.OPEN_STATES) | workflow.FINAL_STATES | {
        S.APPROVED,
        S.REJECTED,
        S.DOCUMENT_ISSUED,
    } == set(S.STATES)
