"""Appointment reminders through the notifications outbox: the day before and an hour before.

:func:`send_due_reminders` is run by the worker (``core.tasks.recover``'s periodic jobs, every
half stale-period) and by anyone who wants (it is idempotent): each reminder is one
:class:`AppointmentReminder` row, written in the same transaction as its outbox row, so a
second scan, or two workers scanning at once, send nothing twice. A booking made less than an
hour before its slot gets no reminder; one made less than a day before gets only the hour's.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from sportel.core.notifications import NoRecipient, send_notification

from .models import Appointment, AppointmentReminder

WINDOWS = (
    (AppointmentReminder.Kind.DAY, dt.timedelta(hours=24), dt.timedelta(hours=1)),
    (AppointmentReminder.Kind.HOUR, dt.timedelta(hours=1), dt.timedelta(0)),
)


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue every reminder that is due now and not yet sent; returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    for kind, ahead, not_within in WINDOWS:
        due = (
            Appointment.objects.filter(
                state=Appointment.State.BOOKED,
                user__isnull=False,
                slot_start__gt=now + not_within,
                slot_start__lte=now + ahead,
                # Booked before the reminder's moment: a booking made an hour ahead needs no
                # reminder "the day before".
                created_at__lte=now - dt.timedelta(minutes=5),
            )
            .exclude(reminders__kind=kind)
            .select_related("user", "office", "category", "office__municipality")
        )
        for appointment in due:
            if appointment.slot_start - ahead < appointment.created_at:
                continue
            sent += _remind(appointment, kind, now)
    return sent


def _remind(appointment: Appointment, kind: str, now) -> int:
    local = timezone.localtime(appointment.slot_start)
    try:
        with transaction.atomic():
            AppointmentReminder.objects.create(
                municipality_id=appointment.municipality_id,
                appointment=appointment,
                kind=kind,
                sent_at=now,
            )
            send_notification(
                template="floor_appointment_reminder",
                context={
                    "office": appointment.office.name_sq,
                    "office_en": appointment.office.name_en or appointment.office.name_sq,
                    "queue": appointment.category.letter,
                    "day": local.strftime("%d.%m.%Y"),
                    "time": local.strftime("%H:%M"),
                    "code": appointment.code,
                },
                language=appointment.user.language,
                user=appointment.user,
                municipality=appointment.office.municipality,
            )
    except IntegrityError:
        return 0  # another scan sent it a moment ago
    except NoRecipient:
        return 0  # an account without an email or a phone: nothing to send to
    return 1
