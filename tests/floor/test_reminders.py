"""Appointment reminders: the day before and an hour before, through the outbox, sent once."""

import datetime as dt

from django.utils import timezone

from sportel.accounts.models import User
from sportel.core import tasks
from sportel.core.models import Notification
from sportel.floor import reminders, selectors, services
from sportel.floor.models import AppointmentReminder

from .factories import category


def resident():
    return User.objects.create_user(
        "banor.kujtese@test.sportel.al",
        password="x-long-password-1",
        full_name="Banor",
        email="banor.kujtese@test.sportel.al",
        confirmed_at="2026-01-01T00:00:00Z",
        language="en",
    )


def test_the_day_before_and_an_hour_before_each_once(office):
    queue = category(office, "A")
    slot = selectors.slots(queue, timezone.localdate() + dt.timedelta(days=2))[4]
    booked = services.book_appointment(queue, slot_start=slot, user=resident())
    other = services.book_appointment(queue, slot_start=slot, user=None)  # nobody to remind
    assert reminders.send_due_reminders(now=slot - dt.timedelta(hours=30)) == 0
    assert reminders.send_due_reminders(now=slot - dt.timedelta(hours=23)) == 1
    assert reminders.send_due_reminders(now=slot - dt.timedelta(hours=22)) == 0  # sent already
    message = Notification.objects.get(template="floor_appointment_reminder")
    local = timezone.localtime(slot)
    assert booked.code in message.body and local.strftime("%H:%M") in message.body
    assert message.recipient == "banor.kujtese@test.sportel.al"
    # The worker's periodic jobs send the hour's reminder, once.
    later = slot - dt.timedelta(minutes=50)
    assert reminders.send_due_reminders(now=later) == 1
    assert reminders.send_due_reminders(now=later) == 0
    assert tasks.recover()["floor_appointment_reminders"] == 0
    assert sorted(
        AppointmentReminder.objects.filter(appointment=booked).values_list("kind", flat=True)
    ) == ["day", "hour"]
    assert not AppointmentReminder.objects.filter(appointment=other).exists()
    assert Notification.objects.filter(template="floor_appointment_reminder").count() == 2


def test_a_cancelled_booking_gets_no_reminder(office):
    queue = category(office, "A")
    slot = selectors.slots(queue, timezone.localdate() + dt.timedelta(days=2))[5]
    booked = services.book_appointment(queue, slot_start=slot, user=resident())
    services.cancel_appointment(booked)
    assert reminders.send_due_reminders(now=slot - dt.timedelta(hours=2)) == 0
    assert not Notification.objects.filter(template="floor_appointment_reminder").exists()
