"""Every edge of the report workflow works through actions.perform; every other pair is refused
with nothing changed."""

import pytest

from sportel.reports import actions, services, workflow
from sportel.reports.models import Report, ReportEvent

from .conftest import file_one

STAFF_ACTIONS = {name for name, a in actions.ACTIONS.items() if a.moves}
EDGES = sorted(TRANSITIONS := workflow.TRANSITIONS)


def _in_state(municipality, category, state, n=0):
    report = file_one(municipality, category, n=n, email=f"r{n}@test.al")
    Report.objects.filter(pk=report.pk).update(status=state)  # the test sets the stage directly
    report.refresh_from_db()
    return report


def _do(report, action, actor, original=None):
    if action == "confirm":
        Report.objects.filter(pk=report.pk).update(confirmation_code="123456")
        return services.confirm_report(report, "123456")
    if action == "confirm_fix":
        return services.reporter_confirms_fix(report, secret=report.reporter_secret)
    if action == "reopen" and report.status == workflow.FIXED:
        Report.objects.filter(pk=report.pk).update(resolved_at=report.requested_at)
        report.refresh_from_db()
        return services.reporter_reopens(
            report, text="Still blocked", secret=report.reporter_secret
        )
    params = {"text": "Done by the crew"}
    if action == "mark_duplicate":
        params["original"] = original
    return actions.perform(report, action, actor=actor, **params)


@pytest.mark.parametrize(("state", "action"), EDGES)
def test_every_edge_of_the_table_moves_the_report(
    shkoder, channel_category, specialist, state, action
):
    original = file_one(shkoder, channel_category, n=50, email="orig@test.al")
    report = _in_state(shkoder, channel_category, state)
    before = report.events.count()
    _do(report, action, specialist, original=original)
    report.refresh_from_db()
    assert report.status == TRANSITIONS[(state, action)]
    event = report.events.order_by("-pk").first()
    assert report.events.count() == before + 1
    assert (event.from_status, event.to_status, event.action) == (
        state,
        TRANSITIONS[(state, action)],
        action,
    )


ILLEGAL = [
    (state, action)
    for state in workflow.STATES
    for action in sorted(STAFF_ACTIONS)
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_pair_is_refused_and_nothing_changes(
    shkoder, channel_category, specialist, state, action
):
    original = file_one(shkoder, channel_category, n=50, email="orig@test.al")
    report = _in_state(shkoder, channel_category, state)
    events = ReportEvent.objects.count()
    assert actions.refusal(report, specialist, action) is not None
    assert action not in {a.name for a in actions.available_actions(report, specialist)}
    with pytest.raises(workflow.IllegalTransition):
        actions.perform(report, action, actor=specialist, text="x", original=original)
    report.refresh_from_db()
    assert report.status == state
    assert ReportEvent.objects.count() == events


def test_the_reporter_cannot_confirm_or_reopen_outside_the_table(shkoder, channel_category):
    report = _in_state(shkoder, channel_category, workflow.OPEN)
    with pytest.raises(workflow.IllegalTransition):
        services.reporter_confirms_fix(report, secret=report.reporter_secret)
    with pytest.raises(workflow.IllegalTransition):
        services.reporter_reopens(report, text="x", secret=report.reporter_secret)
    with pytest.raises(workflow.IllegalTransition):
        services.confirm_report(report, "000000")
    report.refresh_from_db()
    assert report.status == workflow.OPEN


def test_a_clerk_sees_no_triage_action_and_is_refused(shkoder, channel_category, clerk):
    from django.core.exceptions import PermissionDenied

    report = _in_state(shkoder, channel_category, workflow.OPEN)
    assert actions.available_actions(report, clerk) == []
    with pytest.raises(PermissionDenied):
        actions.perform(report, "start", actor=clerk)
    report.refresh_from_db()
    assert report.status == workflow.OPEN


def test_staff_of_another_municipality_cannot_act(shkoder, lezhe, channel_category, make_staff):
    from django.core.exceptions import PermissionDenied

    from sportel.accounts.roles import Role

    outsider = make_staff(lezhe, Role.SPECIALIST)
    report = _in_state(shkoder, channel_category, workflow.OPEN)
    assert actions.available_actions(report, outsider) == []
    with pytest.raises(PermissionDenied):
        actions.perform(report, "fix", actor=outsider, text="x")
    report.refresh_from_db()
    assert report.status == workflow.OPEN


def test_fixing_needs_a_note(shkoder, channel_category, specialist):
    from django.core.exceptions import ValidationError

    report = _in_state(shkoder, channel_category, workflow.OPEN)
    with pytest.raises(ValidationError):
        actions.perform(report, "fix", actor=specialist, text="  ")
    report.refresh_from_db()
    assert report.status == workflow.OPEN
