"""The progress list on the applicant's case page: what happened and what can still happen,
never a step the case skipped (an instant approval, a closed or rejected case)."""

import re

from sportel.services import workflow

from .factories import case_in_state, submit


def progress(client, case) -> list[tuple[str, bool]]:
    """(step text, reached) for each step of the progress list, in order."""
    page = client.get(f"/en/shkoder/services/cases/{case.number}/").content.decode()
    start = page.index('<ol class="sportel-timeline" aria-label="Progress of the case">')
    steps = page[start : page.index("</ol>", start)]
    return [
        (text.strip(), "--reached" in classes)
        for classes, text in re.findall(r'<li class="([^"]*)"[^>]*>\s*<span[^>]*>([^<]*)<', steps)
    ]


def test_a_closed_instant_case_lists_only_the_steps_it_went_through(client, citizen, shkoder):
    case = submit(shkoder, citizen, "residence-certificate")
    case.refresh_from_db()
    assert case.status == workflow.CLOSED
    client.force_login(citizen)
    steps = progress(client, case)
    assert steps and all(reached for _text, reached in steps), steps


def test_an_open_case_still_shows_the_steps_ahead(client, citizen, shkoder):
    case = submit(shkoder, citizen)
    client.force_login(citizen)
    steps = progress(client, case)
    assert steps[0][1] and not steps[-1][1], steps
    assert len(steps) > 2


def test_a_rejected_case_does_not_promise_a_document(client, citizen, shkoder, specialist):
    case = case_in_state(
        workflow.REJECTED,
        municipality=shkoder,
        citizen=citizen,
        specialist=specialist,
        code="tax-clearance-certificate",
    )
    client.force_login(citizen)
    steps = progress(client, case)
    texts = [text for text, _reached in steps]
    issued = case.service_version.status_text(workflow.DOCUMENT_ISSUED, "en")
    assert issued not in texts, texts
    # What is left after a rejection is closing it; nothing between is offered.
    assert [reached for _t, reached in steps].count(False) <= 1, steps
