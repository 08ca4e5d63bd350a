"""'Who accessed my data' (the account page): staff work on a resident's cases in plain words,
with the case, the municipality and the staff member's role; automatic steps say so; a staff
member who reloads a case file the same day is one read, not one per reload."""

import datetime as dt
import re

import time_machine
from django.utils import timezone

from sportel.core.models import AuditEntry
from sportel.services import services

from .factories import submit

INTERNAL_CODES = re.compile(r"\b(case|person|document|account|staff)\.[a-z_]+\b|\bsystem\b")


def accesses_table(client, prefix="/en") -> str:
    page = client.get(f"{prefix}/account/accesses/").content.decode()
    start = page.index('<table class="govuk-table sportel-table')
    return page[start : page.index("</table>", start)]


def test_staff_work_on_my_case_reads_as_words_with_the_case_role_and_municipality(
    client, citizen, specialist, shkoder
):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.read_case(case.municipality, case.number, actor=specialist)
    services.request_info(case, actor=specialist, message="Dërgoni kontratën.")
    client.force_login(citizen)

    table = accesses_table(client)
    for words in (
        "Assigned the case",
        "Started work on the case",
        "Read the case file",
        "Asked you for more information",
    ):
        assert words in table
    assert specialist.full_name in table
    assert "Back-office specialist" in table
    assert "Shkodër" in table
    assert f'href="/en/shkoder/services/cases/{case.number}/"' in table
    assert not INTERNAL_CODES.search(table), INTERNAL_CODES.search(table)
    assert specialist.username not in table  # the login (an email) is not a name

    table = accesses_table(client, prefix="")
    for words in ("Caktoi kërkesën", "Lexoi dosjen e kërkesës", "Specialist i zyrës", "Kërkesa"):
        assert words in table
    assert f'href="/shkoder/services/cases/{case.number}/"' in table
    assert not INTERNAL_CODES.search(table)


def test_automatic_steps_say_automatic_and_a_clerks_steps_name_the_clerk(
    client, citizen, clerk, shkoder
):
    # An instant certificate with a fee: the register check approves it, the clerk takes the
    # fee at the counter, and that act issues the document and closes the case.
    case = submit(shkoder, citizen, "family-certificate")
    case.refresh_from_db()
    assert case.status == "approved" and not case.fee_paid
    services.mark_fee_paid(case, actor=clerk, receipt="R-1")

    issued = AuditEntry.objects.get(action="case.issue_document", object_id=str(case.pk))
    closed = AuditEntry.objects.get(action="case.close", object_id=str(case.pk))
    for entry in (issued, closed):
        assert (entry.actor, entry.actor_role) == (clerk, "clerk")
    assert AuditEntry.objects.get(action="document.issued").actor == clerk

    client.force_login(citizen)
    table = accesses_table(client)
    rows = [
        re.sub(r"<[^>]+>|\s+", " ", row).split()
        for row in table.split('<tr class="govuk-table__row" role="row">')[2:]
    ]
    text = [" ".join(row) for row in rows]
    approved = next(t for t in text if "Approved the case" in t)
    assert "Automatic" in approved and "—" in approved
    for words in ("Issued the document", "Closed the case", "Recorded the fee as paid"):
        line = next(t for t in text if words in t)
        assert clerk.full_name in line and "Front-office clerk" in line, line
        assert "Automatic" not in line
    # The registry's own entry for the same document is the same act: one line, not two.
    assert not any("Issued a sealed document about you" in t for t in text)
    assert not INTERNAL_CODES.search(table)
    assert "Automatikisht" in accesses_table(client, prefix="")


def test_a_staff_reload_is_one_read_a_day(client, citizen, specialist, manager, shkoder):
    case = submit(shkoder, citizen)
    reads = AuditEntry.objects.filter(action="person.read", actor=specialist)
    with time_machine.travel(timezone.now(), tick=True):
        for _ in range(3):
            services.read_case(shkoder, case.number, actor=specialist)
        assert reads.count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        services.read_case(shkoder, case.number, actor=specialist)
        services.read_case(shkoder, case.number, actor=specialist)
    assert reads.count() == 2
    # Someone else reading the same case the same day is their own read.
    services.read_case(shkoder, case.number, actor=manager)
    assert AuditEntry.objects.filter(action="person.read").count() == 3
    client.force_login(citizen)
    assert accesses_table(client).count("Read the case file") == 3


def test_an_instant_certificate_filed_at_the_counter_is_issued_by_the_clerk(
    shkoder, catalogue, clerk
):
    case = services.submit_application(
        shkoder,
        service="family-certificate",
        data={"purpose": "Për shkollën"},
        actor=clerk,
        channel="counter",
        walk_in={
            "nid": "H85412037N",
            "first_name": "Gjon",
            "last_name": "Leka",
            "identity_document": "id_card",
        },
        fee_paid=True,
    )
    case.refresh_from_db()
    assert case.status == "closed" and case.document_code

    def by(action):
        entry = AuditEntry.objects.get(action=action, object_id=str(case.pk))
        return entry.actor, entry.actor_role

    assert by("case.auto_approve") == (None, "")  # the register check decided
    assert by("case.issue_document") == (clerk, "clerk")
    assert by("case.close") == (clerk, "clerk")
    assert AuditEntry.objects.get(action="document.issued").actor == clerk


def test_a_staff_member_without_a_name_is_not_shown_by_their_login(
    client, citizen, specialist, shkoder
):
    specialist.full_name = ""
    specialist.save(update_fields=["full_name"])
    case = submit(shkoder, citizen)
    services.read_case(shkoder, case.number, actor=specialist)
    client.force_login(citizen)
    case_page = client.get(f"/en/shkoder/services/cases/{case.number}/").content.decode()
    for page in (case_page, accesses_table(client)):
        assert "A member of staff" in page
        assert specialist.username not in page
