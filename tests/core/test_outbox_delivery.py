"""The outbox never holds a lock while a provider takes its time, and a resend is recognisable.

The mail server here is real SMTP on loopback (tests/core/smtp_server.py) that can be told to
accept a connection and never answer, as a stuck provider does; the worker is the real
``sportel worker`` in a subprocess, on the same test database.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from sportel.core import notifications, sms
from sportel.core.models import Notification
from sportel.core.notifications import send_notification

from .smtp_server import SmtpServer
from .test_tasks import Workers, wait_until

EMAIL_TIMEOUT = 4  # seconds the worker waits on each SMTP reply in these tests


@pytest.fixture
def smtp():
    with SmtpServer(mode="hang") as server:
        yield server


@pytest.fixture
def smtp_workers(transactional_db, tmp_path, smtp):
    pool = Workers(tmp_path, tmp_path / "gate", tmp_path / "trace")
    pool.env.update(
        SPORTEL_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        SPORTEL_EMAIL_HOST="127.0.0.1",
        SPORTEL_EMAIL_PORT=str(smtp.port),
        SPORTEL_EMAIL_TIMEOUT=str(EMAIL_TIMEOUT),
        SPORTEL_NOTIFICATION_LEASE_SECONDS="60",
        SPORTEL_NOTIFICATION_BACKOFF_SECONDS="1",
    )
    if connection.vendor == "postgresql":
        # Names the worker's connections in pg_stat_activity.
        pool.env["SPORTEL_DATABASE_URL"] += "?application_name=sportel-test-worker"
    yield pool
    pool.stop_all()


def sign_up(client, contact: str):
    return client.post(
        reverse("accounts:signup"),
        {
            "full_name": "Arta Krasniqi",
            "contact": contact,
            "password1": "a-long-test-password",
            "password2": "a-long-test-password",
            "language": "sq",
        },
    )


def test_a_submission_made_while_the_mail_server_hangs_succeeds_and_the_send_is_retried(
    smtp_workers, smtp, client
):
    row = send_notification(
        template="test", context={"name": "Arta"}, language="sq", to_email="arta@example.al"
    )
    client.get(reverse("accounts:signup"))  # load the URLs and templates before timing anything

    smtp_workers.start()
    assert smtp.connected.wait(60), "the worker never connected to the mail server"

    # The worker is now stuck waiting for the server's greeting. A resident signs up.
    started = time.monotonic()
    response = sign_up(client, "besa@example.al")
    elapsed = time.monotonic() - started

    assert response.status_code == 302, response.content[:500]
    assert elapsed < EMAIL_TIMEOUT, f"the sign-up waited {elapsed:.1f} s for the stuck send"
    row.refresh_from_db()
    assert row.status == "sending"  # the send was still in progress when the sign-up committed

    # The stuck send times out and is scheduled again, with nothing lost.
    wait_until(
        lambda: (
            Notification.objects.get(pk=row.pk).attempts == 1
            and Notification.objects.get(pk=row.pk).status == "queued"
        ),
        "the first attempt to time out",
        smtp_workers,
    )
    row.refresh_from_db()
    assert "timed out" in row.last_error
    assert row.next_attempt_at > row.attempt_log.get().at

    smtp.mode = "answer"  # the mail server recovers
    wait_until(
        lambda: Notification.objects.get(pk=row.pk).status == "sent",
        "the retry to deliver the message",
        smtp_workers,
    )
    row.refresh_from_db()
    assert list(row.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]
    delivered = [m for m in smtp.messages if m["To"] == "arta@example.al"]
    assert [m["Message-ID"] for m in delivered] == [notifications.message_id(row)]


@pytest.mark.postgres_only
def test_on_postgresql_the_worker_is_never_idle_in_a_transaction_while_it_sends(smtp_workers, smtp):
    send_notification(template="test", context={}, language="sq", to_email="arta@example.al")
    smtp_workers.start()
    assert smtp.connected.wait(60), "the worker never connected to the mail server"

    states = []
    for _ in range(10):  # over a second of the stuck send
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT state FROM pg_stat_activity WHERE application_name = %s",
                ["sportel-test-worker"],
            )
            states += [state for (state,) in cursor.fetchall()]
        time.sleep(0.1)
    assert states, "the worker's connections were not found"
    assert "idle in transaction" not in states
    assert Notification.objects.get().status == "sending"


@pytest.mark.django_db(transaction=True)
def test_a_message_the_server_kept_without_answering_is_resent_with_the_same_message_id(
    settings,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 1
    row = send_notification(template="test", context={}, language="sq", to_email="arta@example.al")
    with SmtpServer(mode="hang_after_data") as server:
        settings.EMAIL_PORT = server.port
        assert notifications.deliver(row.pk) == "retry"  # the server has it; we never heard
        server.mode = "answer"
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            assert notifications.deliver(row.pk) == "sent"

    first, second = server.messages
    assert first["Message-ID"] == second["Message-ID"] == notifications.message_id(row)
    assert first["Message-ID"] == f"<{row.reference}@sportel.localhost>"
    other = send_notification(template="test", context={}, language="sq", to_email="b@x.al")
    assert notifications.message_id(other) != notifications.message_id(row)


gateway_calls: list[tuple[str, float]] = []


@sms.register("flaky-recording")
class FlakyGateway(sms.SmsProvider):
    """Refuses the first message it is given, takes the second; records what it was passed."""

    def send(self, *, to, body, reference, timeout):
        gateway_calls.append((reference, timeout))
        if len(gateway_calls) == 1:
            raise sms.SmsError("gateway answered 504")
        return "gw-1"


@pytest.mark.django_db(transaction=True)
def test_every_sms_attempt_passes_the_same_reference_and_the_timeout(settings):
    settings.SPORTEL_SMS_PROVIDER = "flaky-recording"
    settings.SPORTEL_SMS_TIMEOUT = 7.5
    gateway_calls.clear()
    row = send_notification(template="test", context={}, language="sq", to_phone="+355691112233")
    assert notifications.deliver(row.pk) == "retry"
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert notifications.deliver(row.pk) == "sent"
    reference = str(row.reference)
    assert gateway_calls == [(reference, 7.5), (reference, 7.5)]


@pytest.mark.django_db(transaction=True)
def test_a_lease_that_runs_out_lets_another_worker_send_and_the_late_outcome_changes_nothing(
    settings, tmp_path
):
    settings.SPORTEL_SMS_PROVIDER = "file"
    settings.SPORTEL_SMS_FILE_PATH = tmp_path
    row = send_notification(template="test", context={}, language="sq", to_phone="+355691112233")
    now = timezone.now()
    stuck = notifications._claim(row.pk, now)  # worker A claims it, then hangs in the send
    assert stuck is not None and stuck.status == "sending"

    # While A's lease runs, nobody else sends it.
    assert notifications.deliver(row.pk) == "skipped"
    assert list(tmp_path.glob("*.sms")) == []

    later = now + timedelta(seconds=settings.SPORTEL_NOTIFICATION_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert notifications.deliver(row.pk) == "sent"  # worker B
        # A comes back: its outcome is not written over B's.
        assert notifications._record(stuck, started=now, error=None) == "superseded"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease) == ("sent", 2, None)
    log = list(row.attempt_log.values_list("number", "ok"))
    assert log == [(1, False), (2, True)]
    assert len(list(tmp_path.glob("*.sms"))) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweep_requeues_a_notification_whose_lease_ran_out(settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.SPORTEL_SMS_PROVIDER = "file"
    settings.SPORTEL_SMS_FILE_PATH = tmp_path
    row = send_notification(template="test", context={}, language="sq", to_phone="+355691112233")
    DBTaskResult.objects.all().delete()
    notifications._claim(row.pk, timezone.now())  # a worker claimed it and was killed

    assert notifications.requeue_stalled(grace_seconds=60) == 0  # its lease still runs
    later = timezone.now() + timedelta(seconds=settings.SPORTEL_NOTIFICATION_LEASE_SECONDS + 1)
    with time_machine.travel(later):
        assert notifications.requeue_stalled(grace_seconds=60) == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("queued", 1)
        (task_row,) = DBTaskResult.objects.all()
        assert notifications.deliver(*task_row.args_kwargs["args"]) == "sent"


def test_the_lease_must_outlast_the_timeouts(tmp_path):
    from .test_deploy import sportel

    result = sportel(
        "check",
        tmp_path=tmp_path,
        SPORTEL_EMAIL_TIMEOUT="60",
        SPORTEL_NOTIFICATION_LEASE_SECONDS="120",
    )
    assert result.returncode != 0
    assert "SPORTEL_NOTIFICATION_LEASE_SECONDS must be at least three times" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_delivery_refuses_to_run_inside_a_callers_transaction():
    from django.core import mail
    from django.db import transaction

    row = send_notification(template="test", context={}, language="sq", to_email="a@example.al")
    with pytest.raises(RuntimeError, match="outside a transaction"), transaction.atomic():
        notifications.deliver(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == ("queued", 0, 0)
