"""Issuing, numbering, priorities, calling and the workflow table of tickets."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.floor import actions, selectors, services, workflow
from sportel.floor.models import Ticket, TicketEvent

from .factories import category, counter, make_office


def issue(office, letter="A", **kwargs):
    return services.issue_ticket(
        office, category=category(office, letter), channel=kwargs.pop("channel", "kiosk"), **kwargs
    )


def test_tickets_are_numbered_per_category_and_day(at_counter):
    office = at_counter
    a1, a2, b1 = issue(office), issue(office), issue(office, "B")
    assert [a1.number, a2.number, b1.number] == ["A-001", "A-002", "B-001"]
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert issue(office, now=tomorrow).number == "A-001"


def test_issuing_appends_history_and_audit(at_counter):
    ticket = issue(at_counter, nid="J00101001C")
    assert list(ticket.events.values_list("action", "to_state")) == [("issue", "waiting")]
    entry = AuditEntry.objects.get(action="ticket.issue")
    assert entry.data["number"] == "A-001"
    assert "J00101001C" not in str(entry.data)


def test_closed_office_refuses_a_ticket_and_writes_nothing(shkoder, clerk):
    office = make_office(shkoder, hours={})
    services.open_session(counter(office, 1), actor=clerk)
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        issue(office)
    assert refused.value.code == "office_closed"
    assert "is closed now" in refused.value.messages[0]
    assert not Ticket.objects.exists()


def test_category_without_an_open_counter_refuses_a_ticket(office, clerk):
    services.open_session(counter(office, 1), actor=clerk)  # serves A only
    with pytest.raises(ValidationError) as refused:
        issue(office, "B")
    assert refused.value.error_dict["category"][0].code == "no_counter_open"
    assert not Ticket.objects.exists()


def test_bad_nid_and_unknown_priority_are_refused(at_counter):
    with pytest.raises(ValidationError) as bad:
        issue(at_counter, nid="123")
    assert "nid" in bad.value.error_dict
    with pytest.raises(ValidationError):
        issue(at_counter, priority="vip")
    assert not Ticket.objects.exists()


def test_a_category_of_another_office_is_refused(at_counter, lezhe_office):
    with pytest.raises(ValidationError):
        services.issue_ticket(at_counter, category=category(lezhe_office, "A"), channel="kiosk")


def test_priority_groups_go_first_in_the_offices_order_then_arrival(at_counter, clerk):
    office = at_counter
    plain = issue(office)
    infant = issue(office, priority="infant")
    elderly = issue(office, priority="elderly")
    disability = issue(office, priority="disability")
    desk = counter(office, 1)
    called = [services.call_next(desk, actor=clerk) for _ in range(1)]
    order = [t.number for t in selectors.waiting_for(desk)]
    assert called[0].number == disability.number
    assert order == [elderly.number, infant.number, plain.number]
    # The office may configure another order.
    office.priority_order = ["infant", "elderly", "disability", "pregnant"]
    office.save()
    later = issue(office, priority="infant")
    assert later.rank == 1


def test_call_next_calls_the_head_and_the_screen_shows_it(at_counter, clerk):
    office = at_counter
    first = issue(office)
    issue(office)
    called = services.call_next(counter(office, 1), actor=clerk)
    assert called.pk == first.pk
    assert called.state == workflow.CALLED
    assert selectors.screen_calls(office)[0]["number"] == "A-001"
    assert selectors.screen_calls(office)[0]["counter"] == 1


def test_nobody_waiting_is_a_clear_refusal(at_counter, clerk):
    with pytest.raises(ValidationError) as refused:
        services.call_next(counter(at_counter, 1), actor=clerk)
    assert refused.value.code == "nobody_waiting"


def test_the_same_ticket_called_from_two_counters_one_wins(at_counter, clerk, clerk2):
    office = at_counter
    ticket = issue(office)
    actions.perform(ticket, "call", actor=clerk, counter=counter(office, 1))
    with pytest.raises(ValidationError) as refused:
        actions.perform(
            Ticket.objects.get(pk=ticket.pk), "call", actor=clerk2, counter=counter(office, 2)
        )
    assert refused.value.code == "already_called"
    assert "sporteli 1" in refused.value.messages[0]
    # Even with a stale copy (both screens loaded it waiting), the locked row decides.
    with pytest.raises(ValidationError) as stale:
        services.call(ticket, actor=clerk2, counter=counter(office, 2))
    assert stale.value.code == "already_called"
    assert Ticket.objects.get(pk=ticket.pk).counter.number == 1
    assert TicketEvent.objects.filter(ticket=ticket, action="call").count() == 1


def test_full_life_of_a_ticket_and_its_history(at_counter, clerk):
    office = at_counter
    desk = counter(office, 1)
    ticket = issue(office)
    for name in ("call", "recall", "serve", "done"):
        ticket = actions.perform(ticket, name, actor=clerk, counter=desk)
    assert ticket.state == workflow.DONE
    assert ticket.calls == 2
    assert ticket.finished_at >= ticket.serving_since >= ticket.first_called_at
    assert list(ticket.events.values_list("action", flat=True)) == [
        "issue",
        "call",
        "recall",
        "serve",
        "done",
    ]


def test_hold_and_call_back(at_counter, clerk):
    desk = counter(at_counter, 1)
    ticket = actions.perform(issue(at_counter), "call", actor=clerk, counter=desk)
    ticket = actions.perform(ticket, "hold", actor=clerk, counter=desk)
    assert [t.pk for t in selectors.on_hold_at(desk)] == [ticket.pk]
    ticket = actions.perform(ticket, "call", actor=clerk, counter=desk)
    assert ticket.state == workflow.CALLED


def test_no_show_is_final(at_counter, clerk):
    desk = counter(at_counter, 1)
    ticket = actions.perform(issue(at_counter), "call", actor=clerk, counter=desk)
    ticket = actions.perform(ticket, "no_show", actor=clerk, counter=desk)
    assert actions.available_actions(ticket, clerk, desk) == []
    with pytest.raises(ValidationError):
        actions.perform(ticket, "call", actor=clerk, counter=desk)


def test_transfer_to_another_queue_of_the_same_office(at_counter, clerk, clerk2):
    office = at_counter
    desk = counter(office, 1)
    ticket = actions.perform(issue(office), "call", actor=clerk, counter=desk)
    ticket = actions.perform(
        ticket, "transfer", actor=clerk, counter=desk, category=category(office, "B")
    )
    assert (ticket.state, ticket.category.letter, ticket.counter) == ("waiting", "B", None)
    assert ticket.number == "A-001"  # the person keeps their ticket
    called = services.call_next(counter(office, 2), actor=clerk2)
    assert called.pk == ticket.pk


def test_transfer_to_one_counter_only_that_counter_calls_it(at_counter, clerk, clerk2):
    office = at_counter
    desk = counter(office, 1)
    ticket = actions.perform(issue(office), "call", actor=clerk, counter=desk)
    actions.perform(ticket, "transfer", actor=clerk, counter=desk, to_counter=counter(office, 2))
    with pytest.raises(ValidationError):
        services.call_next(desk, actor=clerk)
    assert services.call_next(counter(office, 2), actor=clerk2).pk == ticket.pk


def test_transfer_to_a_counter_of_another_office_is_refused(at_counter, clerk, lezhe_office):
    desk = counter(at_counter, 1)
    ticket = actions.perform(issue(at_counter), "call", actor=clerk, counter=desk)
    with pytest.raises(ValidationError) as refused:
        actions.perform(
            ticket, "transfer", actor=clerk, counter=desk, to_counter=counter(lezhe_office, 2)
        )
    assert refused.value.error_dict["to_counter"][0].code == "other_office"
    assert Ticket.objects.get(pk=ticket.pk).state == workflow.CALLED


def test_a_lezhe_clerk_cannot_call_a_shkoder_ticket(at_counter, make_staff, lezhe, lezhe_office):
    outsider = make_staff(lezhe, Role.CLERK)
    services.open_session(counter(lezhe_office, 1), actor=outsider)
    ticket = issue(at_counter)
    with pytest.raises(PermissionDenied):
        actions.perform(ticket, "call", actor=outsider, counter=counter(lezhe_office, 1))
    # Even through their own counter, a ticket of another office is not theirs to call.
    assert Ticket.objects.get(pk=ticket.pk).state == workflow.WAITING


def test_only_the_calling_counter_serves_its_ticket(at_counter, clerk, clerk2):
    ticket = actions.perform(issue(at_counter), "call", actor=clerk, counter=counter(at_counter, 1))
    assert actions.available_actions(ticket, clerk2, counter(at_counter, 2)) == [
        actions.ACTIONS["transfer"]
    ] or all(
        a.name != "serve" for a in actions.available_actions(ticket, clerk2, counter(at_counter, 2))
    )
    with pytest.raises(ValidationError):
        actions.perform(ticket, "serve", actor=clerk2, counter=counter(at_counter, 2))


@pytest.mark.parametrize(("state", "action"), list(workflow.TRANSITIONS))
def test_every_edge_of_the_workflow_table_is_allowed(state, action):
    assert workflow.next_state(state, action) == workflow.TRANSITIONS[(state, action)]


@pytest.mark.parametrize("state", workflow.STATES)
def test_everything_not_in_the_table_is_refused(state):
    for action in workflow.ACTIONS:
        if (state, action) not in workflow.TRANSITIONS:
            with pytest.raises(workflow.IllegalTransition):
                workflow.next_state(state, action)


def test_a_clerk_cannot_take_a_counter_a_colleague_is_at(at_counter, make_staff, shkoder):
    third = make_staff(shkoder, Role.CLERK)
    with pytest.raises(ValidationError) as refused:
        services.open_session(counter(at_counter, 1), actor=third)
    assert refused.value.code == "counter_taken"


def test_a_manager_cannot_sign_in_at_a_counter(office, make_staff, shkoder):
    with pytest.raises(PermissionDenied):
        services.open_session(counter(office, 1), actor=make_staff(shkoder, Role.MANAGER))


def test_expected_wait_uses_measured_service_times_and_open_counters(at_counter, clerk):
    office = at_counter
    cat = category(office, "A")
    # No measurements: the configured 6 minutes; 2 counters serve A.
    for _ in range(4):
        issue(office)
    assert selectors.expected_wait_minutes(cat) == 12  # 4 ahead × 6 min / 2 counters
    # Measured: 5 past tickets of 10 minutes each.
    now = timezone.now()
    for i in range(5):
        Ticket.objects.create(
            municipality=office.municipality,
            office=office,
            category=cat,
            day=(now - dt.timedelta(days=7)).date(),
            seq=100 + i,
            number=f"A-{100 + i}",
            code=f"PAST{i}",
            channel="kiosk",
            order_at=now,
            state=workflow.DONE,
            state_changed_at=now,
            issued_at=now - dt.timedelta(days=7, minutes=30),
            first_called_at=now - dt.timedelta(days=7, minutes=20),
            finished_at=now - dt.timedelta(days=7, minutes=10),
        )
    from django.core.cache import cache

    cache.clear()
    assert selectors.service_minutes(cat) == 10
    assert selectors.expected_wait_minutes(cat) == 20


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_tickets_at_once_are_numbered_without_gaps_or_duplicates(shkoder, make_staff):
    office = make_office(shkoder)
    services.open_session(counter(office, 1), actor=make_staff(shkoder, Role.CLERK))
    cat = category(office, "A")
    barrier = threading.Barrier(50)
    numbers, errors = [], []

    def take():
        try:
            barrier.wait()
            numbers.append(services.issue_ticket(office, category=cat, channel="kiosk").seq)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 51))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_counters_calling_next_at_once_get_different_tickets(shkoder, make_staff):
    office = make_office(shkoder)
    clerks = [make_staff(shkoder, Role.CLERK) for _ in range(2)]
    for n, clerk in zip((1, 2), clerks, strict=True):
        services.open_session(counter(office, n), actor=clerk)
    for _ in range(2):
        services.issue_ticket(office, category=category(office, "A"), channel="kiosk")
    barrier = threading.Barrier(2)
    called, errors = [], []

    def call(n, clerk):
        try:
            barrier.wait()
            called.append(services.call_next(counter(office, n), actor=clerk).number)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=call, args=(n, c)) for n, c in zip((1, 2), clerks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(called) == ["A-001", "A-002"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_counters_calling_the_same_ticket_at_once_one_wins(shkoder, make_staff):
    office = make_office(shkoder)
    clerks = [make_staff(shkoder, Role.CLERK) for _ in range(2)]
    for n, clerk in zip((1, 2), clerks, strict=True):
        services.open_session(counter(office, n), actor=clerk)
    ticket = services.issue_ticket(office, category=category(office, "A"), channel="kiosk")
    barrier = threading.Barrier(2)
    outcomes = []

    def call(n, clerk):
        try:
            barrier.wait()
            services.call(ticket, actor=clerk, counter=counter(office, n))
            outcomes.append("called")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=call, args=(n, c)) for n, c in zip((1, 2), clerks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_called", "called"]
    assert TicketEvent.objects.filter(ticket=ticket, action="call").count() == 1


def test_people_ahead_follow_the_real_calling_order_priority_tickets_taken_later_included(
    at_counter, clerk, client
):
    """The ticket page's "people ahead of you" and its estimate count exactly the tickets the
    counters will call first: a priority ticket taken after a walk-in is ahead of it, a lower
    priority taken earlier is behind a higher one taken later."""
    office = at_counter
    walk_in = issue(office)
    elderly = issue(office, priority="elderly")
    second_walk_in = issue(office)
    disability = issue(office, priority="disability")
    assert selectors.ahead_of(walk_in) == 2  # elderly and disability, both taken later
    assert selectors.ahead_of(elderly) == 1  # disability comes first in this office's order
    assert selectors.ahead_of(disability) == 0
    assert selectors.ahead_of(second_walk_in) == 3

    client.cookies["django_language"] = "en"
    page = client.get(f"/en/{office.municipality.slug}/floor/tickets/{walk_in.code}/")
    text = page.content.decode()
    assert '<dd class="govuk-summary-list__value" id="ticket-ahead">2</dd>' in text
    # 2 ahead × 6 configured minutes ÷ 2 counters open for A.
    assert 'id="ticket-wait">about 6 minutes</dd>' in text

    # The counts are the positions call_next really produces, for every waiting ticket.
    waiting = {t.pk: selectors.ahead_of(t) for t in (walk_in, elderly, second_walk_in, disability)}
    called = [services.call_next(counter(office, 1), actor=clerk).pk for _ in range(4)]
    assert [called.index(pk) for pk in waiting] == list(waiting.values())
    walk_in.refresh_from_db()
    assert selectors.ahead_of(walk_in) == 0  # called: nobody is ahead any more


def test_the_wait_promised_at_issue_counts_only_those_called_first(at_counter):
    office = at_counter
    issue(office)
    issue(office)
    issue(office, priority="infant")
    # A disability ticket now: nobody is ahead of it (the infant ticket ranks after it).
    first = issue(office, priority="disability")
    assert first.expected_wait_minutes == 0
    # An elderly ticket: only the disability ticket is ahead: 1 × 6 min ÷ 2 counters → 3.
    assert issue(office, priority="elderly").expected_wait_minutes == 3
    # A walk-in: all five are ahead: 5 × 6 ÷ 2 → 15.
    assert issue(office).expected_wait_minutes == 15


def test_a_counter_opened_by_another_app_server_is_seen_at_once(office, clerk):
    """Another process signed the clerk in: its cache invalidation never reaches this process's
    cache, which still says "no counter open". The ticket is issued all the same: an empty
    answer is always asked of the database."""
    from django.core.cache import cache

    from sportel.floor.models import ClerkSession

    cat = category(office, "A")
    with pytest.raises(ValidationError):
        issue(office)
    assert cache.get(selectors._open_counters_key(cat.pk)) == []  # this process's stale view
    desk = counter(office, 1)
    ClerkSession.objects.create(  # as the other server wrote it; nothing cleared here
        municipality=office.municipality, counter=desk, clerk=clerk, started_at=timezone.now()
    )
    assert issue(office).number == "A-001"


def test_a_counter_closed_on_another_app_server_counts_for_two_seconds_at_most(at_counter):
    import time_machine

    from sportel.floor.models import ClerkSession

    office = at_counter
    issue(office)  # this process now caches both counters of A as open
    ClerkSession.objects.filter(counter__office=office).update(ended_at=timezone.now())
    issue(office)  # within the cache's two seconds: taken, and waits for the next clerk
    later = timezone.now() + dt.timedelta(seconds=selectors.OPEN_COUNTERS_TTL + 1)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError) as refused:
        issue(office)
    assert refused.value.messages and Ticket.objects.count() == 2


def test_issuing_a_ticket_takes_four_statements_on_postgresql_six_on_sqlite(at_counter):
    """The number (with the people ahead read in the same UPDATE … RETURNING), the ticket and
    its history row (one statement on PostgreSQL), and the audit entry (the chain head claimed
    by an UPDATE … RETURNING, then the entry with the head's new hash: two on PostgreSQL; the
    claim, the entry, the head's hash: three on SQLite). Opening hours, open counters and service minutes are
    cached or in memory. Fails when a change adds a round trip to the kiosk's hottest path."""
    from django.test.utils import CaptureQueriesContext

    office = at_counter
    issue(office)  # warm the caches a burst of tickets shares
    civil = category(office, "A")
    with CaptureQueriesContext(connection) as queries:
        ticket = services.issue_ticket(office, category=civil, channel="kiosk", priority="elderly")
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == (4 if connection.vendor == "postgresql" else 6), statements
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.to_state, event.data) == ("issue", "waiting", {"channel": "kiosk"})
    assert Ticket.objects.get(pk=ticket.pk).number == ticket.number == "A-002"
    assert ticket.expected_wait_minutes == 0  # the first walk-in ranks after an elderly person
