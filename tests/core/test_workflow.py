"""The machinery every workflow table shares refuses what a table does not hold, in each
module's own words and in both languages, and lists what a state allows in the table's order."""

import pytest
from django.utils import translation

from sportel.floor import workflow as tickets
from sportel.reports import workflow as reports
from sportel.services import workflow as cases

TABLES = [
    (cases, "closed", "approve", 'You cannot approve a case that is "Closed".', "Nuk mund të"),
    (reports, "fixed", "plan", 'You cannot plan a report that is "Fixed".', "Nuk mund të"),
    (tickets, "done", "call", 'You cannot call a ticket that is "Done".', "Nuk mund të"),
]


@pytest.mark.parametrize(("module", "state", "action", "english", "albanian"), TABLES)
def test_an_illegal_pair_is_refused_in_the_modules_own_words(
    module, state, action, english, albanian
):
    with pytest.raises(module.IllegalTransition) as refused:
        module.next_state(state, action)
    assert refused.value.code == "illegal_transition"
    assert (refused.value.state, refused.value.action) == (state, action)
    with translation.override("en"):
        assert refused.value.messages == [english]
    with translation.override("sq"):
        assert refused.value.messages[0].startswith(albanian)


@pytest.mark.parametrize("module", [cases, reports, tickets])
def test_every_transition_in_the_table_is_allowed_and_listed(module):
    for (state, action), target in module.TRANSITIONS.items():
        assert module.next_state(state, action) == target
        assert action in module.allowed_actions(state, include_system=True)


def test_actions_only_the_system_takes_are_not_offered_to_a_person():
    assert "auto_approve" not in cases.allowed_actions(cases.SUBMITTED)
    assert "auto_approve" in cases.allowed_actions(cases.SUBMITTED, include_system=True)
    assert cases.state_label(cases.CLOSED) == cases.STATE_LABELS[cases.CLOSED]
    assert cases.state_label("unknown") == "unknown"
