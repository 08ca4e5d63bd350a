"""Notifications: an outbox written in the caller's transaction, delivered by the worker.

Callers use one function::

    send_notification(template="case_received", context={...}, language="sq",
                      to_email=person.email, person=person, municipality=municipality)

It renders ``notifications/<template>.<lang>.txt`` (first line ``Subject: ...``, a blank line,
then the body; Albanian when the language's file is missing), writes one Notification row per
channel given, and enqueues delivery when the caller's transaction commits. Delivery claims the
row under a lease in one short transaction, sends with no transaction open (every provider call
has a timeout), and records the attempt and its outcome in a second short transaction; failures
are retried with exponential backoff and a permanent failure stays in the outbox as ``failed``
with its last error. Delivery is at least once: a worker killed after the provider took the
message but before the outcome was written leaves a copy to be sent again, with the same
Message-ID (email) or client reference (SMS), so the second copy is recognisable.
"""

import logging
import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context
from django.template.loader import select_template
from django.utils import timezone, translation
from django_tasks import task

from . import prepared
from .models import Language, Notification, NotificationAttempt
from .sms import get_provider

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = Language.SQ
MAX_ATTEMPTS = int(getattr(settings, "SPORTEL_NOTIFICATION_MAX_ATTEMPTS", 6))
BACKOFF_SECONDS = int(getattr(settings, "SPORTEL_NOTIFICATION_BACKOFF_SECONDS", 30))
BACKOFF_MAX_SECONDS = 3600
# What a sensitive body becomes once delivered (kept in English: operators read the outbox).
REDACTED = "[redacted after delivery]"
WITHHELD = "[details withheld: the message carries a code or link]"
LEASE_EXPIRED = (
    "The worker stopped while sending (its lease ran out): the message may or may not have "
    "been delivered; it is sent again with the same Message-ID / reference."
)


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
    # No savepoint: inside a caller's transaction the rows go (or fail) with the caller's work.
    with transaction.atomic(savepoint=False):
        for channel, recipient in (
            (Notification.Channel.EMAIL, to_email),
            (Notification.Channel.SMS, to_phone),
        ):
            if not recipient:
                continue
            row = Notification(
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
            prepared.insert(row)
            rows.append(row)
            transaction.on_commit(lambda pk=row.pk: enqueue_delivery(pk))
    return rows[0]


@task(queue_name="notifications")
def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row (idempotent: a row already sent is skipped)."""
    return deliver(notification_id)


def enqueue_delivery(notification_id: int, *, run_after=None) -> None:
    task_ = (
        deliver_notification
        if run_after is None
        else deliver_notification.using(run_after=run_after)
    )
    task_.enqueue(notification_id)


def backoff(attempt: int) -> timedelta:
    """Wait before attempt ``attempt + 1``: 30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def message_id(notification: Notification) -> str:
    """The email's Message-ID: the same on every attempt, so a second copy is recognisable."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "sportel.localhost"
    return f"<{notification.reference}@{domain}>"


def _transmit(notification: Notification) -> None:
    """Hand one message to the mail server or SMS gateway; bounded by their timeouts.

    Runs outside any transaction: nothing is locked while the provider takes its time.
    """
    if notification.channel == Notification.Channel.EMAIL:
        # The SMTP backend applies EMAIL_TIMEOUT to the connection and every reply.
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers={"Message-ID": message_id(notification)},
        ).send(fail_silently=False)
    else:
        get_provider().send(
            to=notification.recipient,
            body=notification.body,
            reference=str(notification.reference),
            timeout=settings.SPORTEL_SMS_TIMEOUT,
        )


def _lease_seconds() -> int:
    return settings.SPORTEL_NOTIFICATION_LEASE_SECONDS


def _give_up(notification: Notification, fields: list[str]) -> None:
    notification.status = Notification.Status.FAILED
    notification.next_attempt_at = None
    if notification.sensitive:
        # Never delivered, and by now expired: the person asks for a new one.
        notification.body = REDACTED
        fields.append("body")


def _release_expired_lease(notification: Notification, now) -> str:
    """The worker that claimed this row died or hung past its lease: count that attempt as
    failed with an unknown outcome, and queue the row again (or fail it for good). Call with the
    row locked."""
    error = LEASE_EXPIRED
    NotificationAttempt.objects.create(
        notification=notification, number=notification.attempts, at=now, ok=False, error=error
    )
    notification.lease = None
    notification.leased_until = None
    notification.last_error = error
    fields = ["lease", "leased_until", "last_error", "status", "next_attempt_at"]
    if notification.attempts >= MAX_ATTEMPTS:
        _give_up(notification, fields)
    else:
        notification.status = Notification.Status.QUEUED
        notification.next_attempt_at = now
    notification.save(update_fields=fields)
    logger.warning(
        "notification %s attempt %s: lease expired, outcome unknown",
        notification.pk,
        notification.attempts,
        extra={"event": "notification.lease_expired"},
    )
    return notification.status


def _claim(notification_id: int, now) -> Notification | None:
    """Take the row for one attempt, in a short transaction of its own.

    The row becomes ``sending`` with a fresh lease id, valid for SPORTEL_NOTIFICATION_LEASE_
    SECONDS; the attempt is counted now, so a worker that dies mid-send still uses one up.
    Returns None when there is nothing to send: sent, failed, not yet due, or another worker's
    lease still runs.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return None
        if notification.status == Notification.Status.SENDING:
            if notification.leased_until and notification.leased_until > now:
                return None  # another worker is sending it right now
            _release_expired_lease(notification, now)
        if notification.status != Notification.Status.QUEUED:
            return None
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return None  # a duplicate enqueue ahead of the backoff: the scheduled one runs
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.lease = uuid.uuid4()
        notification.leased_until = now + timedelta(seconds=_lease_seconds())
        notification.save(update_fields=["status", "attempts", "lease", "leased_until"])
    return notification


def _record(claimed: Notification, *, started, error: str | None) -> str:
    """Write the attempt's outcome in a short transaction, if this worker still holds the lease.

    Returns sent, retry, failed, or superseded (the lease ran out mid-send and another worker
    took the row over: that worker's attempt decides, and this outcome is only logged).
    """
    number = claimed.attempts
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=claimed.pk, status=Notification.Status.SENDING, lease=claimed.lease)
            .first()
        )
        if notification is None:
            outcome = "superseded"
        else:
            NotificationAttempt.objects.create(
                notification=notification,
                number=number,
                at=started,
                ok=error is None,
                error=error or "",
            )
            notification.lease = None
            notification.leased_until = None
            fields = ["status", "lease", "leased_until", "next_attempt_at"]
            if error is None:
                notification.status = Notification.Status.SENT
                notification.sent_at = timezone.now()
                notification.next_attempt_at = None
                fields.append("sent_at")
                if notification.sensitive:
                    notification.body = REDACTED
                    fields.append("body")
                outcome = "sent"
            else:
                notification.last_error = error
                fields.append("last_error")
                if number >= MAX_ATTEMPTS:
                    _give_up(notification, fields)
                    outcome = "failed"
                else:
                    notification.status = Notification.Status.QUEUED
                    notification.next_attempt_at = timezone.now() + backoff(number)
                    retry_at = notification.next_attempt_at
                    transaction.on_commit(lambda: enqueue_delivery(claimed.pk, run_after=retry_at))
                    outcome = "retry"
            notification.save(update_fields=fields)
    return outcome


def deliver(notification_id: int) -> str:
    """Try to deliver one queued notification; safe to call any number of times.

    Three steps, and no transaction or lock is held across the middle one: claim the row (a
    short transaction marks it ``sending`` under a lease), send (bounded by EMAIL_TIMEOUT or
    SPORTEL_SMS_TIMEOUT), record the outcome (another short transaction, only if the lease is
    still ours). A worker that dies mid-send leaves the row ``sending``; once its lease runs
    out, the next attempt sends it again with the same Message-ID / reference. Delivery is
    therefore at least once. Returns sent, retry, failed, superseded or skipped.
    """
    if transaction.get_connection().in_atomic_block:
        # The caller's transaction would stay open (and its locks held) across the send.
        raise RuntimeError("deliver() calls a mail or SMS provider: call it outside a transaction")
    started = timezone.now()
    claimed = _claim(notification_id, started)
    if claimed is None:
        return "skipped"
    try:
        _transmit(claimed)
    except Exception as exc:  # any backend error is a failed attempt, never a lost message
        # A gateway may echo the text it refused: a code or sign-in link must not stay in
        # the outbox through the error, once the body itself is blanked.
        detail = WITHHELD if claimed.sensitive else str(exc)
        error = f"{type(exc).__name__}: {detail}"[:2000]
        outcome = _record(claimed, started=started, error=error)
        # The exception's class only: its text can carry the address, the number or the body.
        logger.warning(
            "notification %s attempt %s failed (%s): %s",
            notification_id,
            claimed.attempts,
            type(exc).__name__,
            outcome,
            extra={"event": f"notification.{outcome}"},
        )
        return outcome
    outcome = _record(claimed, started=started, error=None)
    logger.info(
        "notification %s attempt %s: %s",
        notification_id,
        claimed.attempts,
        outcome,
        extra={"event": f"notification.{outcome}"},
    )
    return outcome


def requeue_stalled(*, grace_seconds: int | None = None) -> int:
    """Enqueue delivery again for notifications whose delivery went missing.

    Two cases: a queued row with no task (the task is enqueued on commit, so a process that
    dies between the commit and the enqueue leaves one), and a ``sending`` row whose worker
    died or hung past its lease. The worker calls this periodically. A duplicate task is
    harmless: delivery is idempotent.
    """
    grace = settings.SPORTEL_TASK_STALE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    requeued = 0
    expired = list(
        Notification.objects.filter(
            status=Notification.Status.SENDING, leased_until__lte=now
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in expired:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update()
                .filter(pk=pk, status=Notification.Status.SENDING, leased_until__lte=now)
                .first()
            )
            if row is None or _release_expired_lease(row, now) != Notification.Status.QUEUED:
                continue
            transaction.on_commit(lambda pk=pk: enqueue_delivery(pk))
        requeued += 1
    cutoff = now - timedelta(seconds=grace)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.QUEUED, next_attempt_at__lte=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
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
