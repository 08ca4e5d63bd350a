"""Notifications: an outbox written in the caller's transaction, delivered by the worker.

Callers use one function::

    send_notification(template="case_received", context={...}, language="sq",
                      to_email=person.email, person=person, municipality=municipality)

It renders ``notifications/<template>.<lang>.txt`` (first line ``Subject: ...``, a blank line,
then the body; Albanian when the language's file is missing), writes one Notification row per
channel given, and enqueues delivery when the caller's transaction commits. Delivery claims the
row under a lock, sends, and records the attempt and the outcome in one transaction, so a
notification is marked sent exactly once; failures are retried with exponential backoff and a
permanent failure stays in the outbox as ``failed`` with its last error.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context
from django.template.loader import select_template
from django.utils import timezone, translation

from .logging import scrub
from .models import Language, Notification, NotificationAttempt
from .sms import get_provider

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = Language.SQ
MAX_ATTEMPTS = int(getattr(settings, "SPORTEL_NOTIFICATION_MAX_ATTEMPTS", 6))
BACKOFF_SECONDS = int(getattr(settings, "SPORTEL_NOTIFICATION_BACKOFF_SECONDS", 30))
BACKOFF_MAX_SECONDS = 3600
# What a sensitive body becomes once delivered (kept in English: operators read the outbox).
REDACTED = "[redacted after delivery]"


class NoRecipient(ValueError):
    """send_notification was given neither an address nor a person or user that has one."""


def render(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render a notification template → (language used, subject, body).

    Missing language files fall back to Albanian, the platform's default language.
    """
    language = language if language in Language.values else DEFAULT_LANGUAGE
    names = [f"notifications/{template}.{language}.txt"]
    if language != DEFAULT_LANGUAGE:
        names.append(f"notifications/{template}.{DEFAULT_LANGUAGE}.txt")
    chosen = select_template(names)
    used = chosen.origin.template_name.rsplit(".", 2)[-2]
    with translation.override(used):
        # Plain text: no HTML escaping of names such as "O'Neill & Bardhi".
        text = chosen.template.render(Context(context, autoescape=False))
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.startswith("Subject:"):
        subject, body = first.removeprefix("Subject:").strip(), rest.lstrip("\n")
    else:
        subject, body = "", text
    return used, subject, body.rstrip() + "\n"


def send_notification(
    *,
    template: str,
    context: dict,
    language: str,
    to_email: str = "",
    to_phone: str = "",
    municipality=None,
    person=None,
    user=None,
    sensitive: bool = False,
) -> Notification:
    """Queue a notification: one outbox row per channel given, delivered after commit.

    A person's (or else a user's) preferred language chooses the template, ahead of
    ``language``, which is for recipients the platform has no person for. Without ``to_email``
    and ``to_phone`` the person's or user's own email and phone are used. Returns the email
    row when there is one, otherwise the SMS row. ``sensitive=True`` (a body holding a code or a
    sign-in link) blanks the stored body once the message is delivered.
    """
    if person is not None and getattr(person, "preferred_language", ""):
        language = person.preferred_language
    elif user is not None and getattr(user, "language", ""):
        language = user.language
    if municipality is None and person is not None:
        municipality = person.municipality
    if not to_email and not to_phone:
        for holder in (person, user):
            if holder is not None:
                to_email = to_email or getattr(holder, "email", "")
                to_phone = to_phone or getattr(holder, "phone", "")
    if not to_email and not to_phone:
        raise NoRecipient("send_notification needs to_email, to_phone, or a person/user with one")

    used, subject, body = render(template, context, language)
    rows = []
    with transaction.atomic():
        for channel, recipient in (
            (Notification.Channel.EMAIL, to_email),
            (Notification.Channel.SMS, to_phone),
        ):
            if not recipient:
                continue
            row = Notification.objects.create(
                municipality=municipality,
                person=person,
                user=user,
                channel=channel,
                recipient=recipient.strip(),
                template=template,
                language=used,
                subject=subject,
                body=body,
                sensitive=sensitive,
                next_attempt_at=timezone.now(),
            )
            rows.append(row)
            transaction.on_commit(lambda pk=row.pk: enqueue_delivery(pk))
    return rows[0]


def enqueue_delivery(notification_id: int, *, run_after=None) -> None:
    from .tasks import deliver_notification

    task = (
        deliver_notification
        if run_after is None
        else deliver_notification.using(run_after=run_after)
    )
    task.enqueue(notification_id)


def backoff(attempt: int) -> timedelta:
    """Wait before attempt ``attempt + 1``: 30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def _transmit(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
        ).send(fail_silently=False)
    else:
        get_provider().send(to=notification.recipient, body=notification.body)


def deliver(notification_id: int) -> str:
    """Try to deliver one queued notification; safe to call any number of times.

    The row is locked for the whole attempt (row lock on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers), so two workers never send the same row, and the attempt
    row and the new status commit together: a worker killed mid-send leaves the row queued,
    and the retry sends it once. Returns what happened: sent, retry, failed or skipped.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.QUEUED:
            return "skipped"
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return "skipped"  # a duplicate enqueue ahead of the backoff: the scheduled one runs
        number = notification.attempts + 1
        try:
            _transmit(notification)
        except Exception as exc:  # any backend error is a failed attempt, never a lost message
            error = f"{type(exc).__name__}: {exc}"[:2000]
            NotificationAttempt.objects.create(
                notification=notification, number=number, at=now, ok=False, error=error
            )
            notification.attempts = number
            notification.last_error = error
            fields = ["attempts", "last_error", "status", "next_attempt_at"]
            if number >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
                notification.next_attempt_at = None
                outcome = "failed"
                if notification.sensitive:
                    # Never delivered, and by now expired: the person asks for a new one.
                    notification.body = REDACTED
                    fields.append("body")
            else:
                notification.next_attempt_at = now + backoff(number)
                transaction.on_commit(
                    lambda: enqueue_delivery(
                        notification_id, run_after=notification.next_attempt_at
                    )
                )
                outcome = "retry"
            notification.save(update_fields=fields)
            logger.warning(
                "notification %s attempt %s: %s",
                notification_id,
                number,
                scrub(error),
                extra={"event": f"notification.{outcome}"},
            )
            return outcome
        NotificationAttempt.objects.create(
            notification=notification, number=number, at=now, ok=True
        )
        notification.status = Notification.Status.SENT
        notification.attempts = number
        notification.sent_at = now
        notification.next_attempt_at = None
        fields = ["status", "attempts", "sent_at", "next_attempt_at"]
        if notification.sensitive:
            notification.body = REDACTED
            fields.append("body")
        notification.save(update_fields=fields)
    logger.info("notification %s sent", notification_id, extra={"event": "notification.sent"})
    return "sent"


def requeue_stalled(*, grace_seconds: int | None = None) -> int:
    """Enqueue delivery again for queued notifications whose delivery task went missing.

    The task is enqueued on commit, so a process that dies between the commit and the enqueue
    would leave a queued row with no task; the worker calls this periodically. A duplicate
    task is harmless: delivery is idempotent.
    """
    grace = settings.SPORTEL_TASK_STALE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.QUEUED, next_attempt_at__lte=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    requeued = 0
    for pk in ids:
        # Move the row's clock forward first, so the next sweep waits another grace period.
        if Notification.objects.filter(
            pk=pk, status=Notification.Status.QUEUED, next_attempt_at__lte=cutoff
        ).update(next_attempt_at=timezone.now()):
            enqueue_delivery(pk)
            requeued += 1
    return requeued


def retry_failed(notification_ids, *, actor=None) -> int:
    """Give failed notifications a new round of attempts (after fixing the gateway or address).

    Sensitive ones are left out: their body was blanked when they failed, and the code or link
    in it has expired; the person asks for a new one.
    """
    from . import audit

    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update().filter(
                pk__in=list(notification_ids), status=Notification.Status.FAILED, sensitive=False
            )
        )
        now = timezone.now()
        for row in rows:
            # Attempts so far stay counted in the log; the budget starts again from here.
            Notification.objects.filter(pk=row.pk).update(
                status=Notification.Status.QUEUED, attempts=0, next_attempt_at=now
            )
            audit.record(
                "notification.retry",
                actor=actor,
                municipality=row.municipality,
                obj=row,
                data={"previous_attempts": row.attempts},
            )
            transaction.on_commit(lambda pk=row.pk: enqueue_delivery(pk))
    return len(rows)
