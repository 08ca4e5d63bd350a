"""The notifications outbox: rendering per language, one row per channel, delivery after commit,
retries with backoff, permanent failures kept."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from sportel.core import notifications, sms
from sportel.core.models import Notification, NotificationAttempt
from sportel.core.notifications import send_notification
from sportel.core.services import register_person


@pytest.fixture
def sms_dir(settings, tmp_path):
    settings.SPORTEL_SMS_PROVIDER = "file"
    settings.SPORTEL_SMS_FILE_PATH = tmp_path / "sms"
    return tmp_path / "sms"


def run_queued_deliveries() -> list[str]:
    """What the worker would do now: run every delivery task that is due."""
    from django_tasks_db.models import DBTaskResult

    outcomes = []
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.claim("test-worker")
        result = row.task.call(*row.task_result.args, **row.task_result.kwargs)
        row.set_successful(result)
        outcomes.append(result)
    return outcomes


def test_albanian_and_english_templates_render_subject_and_body():
    language, subject, body = notifications.render("test", {"name": "Besa"}, "sq")
    assert (language, subject) == ("sq", "Mesazh prove nga Sportel")
    assert body.startswith("Përshëndetje Besa,")
    language, subject, body = notifications.render(
        "test", {"name": "O'Neill & Bardhi", "municipality_name": "Shkodër"}, "en"
    )
    assert (language, subject) == ("en", "Test message from Shkodër")
    assert "Hello O'Neill & Bardhi," in body  # plain text: nothing HTML-escaped


def test_a_language_without_a_template_falls_back_to_albanian(tmp_path, settings):
    templates = tmp_path / "notifications"
    templates.mkdir()
    (templates / "only_sq.sq.txt").write_text("Subject: Vetëm shqip\n\nTrupi {{ x }}\n")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]},
    ]
    language, subject, body = notifications.render("only_sq", {"x": 1}, "en")
    assert (language, subject, body) == ("sq", "Vetëm shqip", "Trupi 1\n")


@pytest.mark.django_db(transaction=True)
def test_the_persons_language_chooses_the_template(shkoder, sms_dir):
    english = register_person(
        shkoder,
        nid=None,
        first_name="Ana",
        last_name="Smith",
        email="ana@example.org",
        preferred_language="en",
    ).obj
    albanian = register_person(
        shkoder, nid=None, first_name="Besa", last_name="Gjoni", email="besa@example.org"
    ).obj

    to_ana = send_notification(
        template="test", context={"name": "Ana"}, language="sq", person=english
    )
    to_besa = send_notification(
        template="test", context={"name": "Besa"}, language="en", person=albanian
    )

    assert (to_ana.language, to_ana.subject) == ("en", "Test message from Sportel")
    assert (to_besa.language, to_besa.subject) == ("sq", "Mesazh prove nga Sportel")
    assert to_ana.recipient == "ana@example.org" and to_ana.municipality == shkoder
    run_queued_deliveries()
    assert {m.to[0]: m.subject for m in mail.outbox} == {
        "ana@example.org": "Test message from Sportel",
        "besa@example.org": "Mesazh prove nga Sportel",
    }


@pytest.mark.django_db(transaction=True)
def test_email_and_phone_make_one_row_each_and_both_are_delivered(shkoder, sms_dir):
    row = send_notification(
        template="test",
        context={"name": "Dritan"},
        language="sq",
        to_email="dritan@example.org",
        to_phone="+355691234567",
        municipality=shkoder,
    )
    assert row.channel == "email"
    assert Notification.objects.filter(status="queued").count() == 2

    assert sorted(run_queued_deliveries()) == ["sent", "sent"]

    assert [m.to for m in mail.outbox] == [["dritan@example.org"]]
    assert "Përshëndetje Dritan" in mail.outbox[0].body
    (sms_file,) = Path(sms_dir).glob("*.sms")
    text = sms_file.read_text()
    assert "To: +355691234567" in text and "Përshëndetje Dritan" in text
    for n in Notification.objects.all():
        assert (n.status, n.attempts, n.sent_at is not None) == ("sent", 1, True)
        assert list(n.attempt_log.values_list("number", "ok")) == [(1, True)]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_callers_transaction_rolls_back(shkoder):
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        send_notification(template="test", context={}, language="sq", to_email="x@example.org")
        raise RuntimeError("the caller's work failed")

    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_delivery_is_enqueued_only_when_the_caller_commits(shkoder):
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        send_notification(template="test", context={}, language="sq", to_email="x@example.org")
        assert DBTaskResult.objects.count() == 0
    assert DBTaskResult.objects.count() == 1


@sms.register("always-down")
class GatewayDown(sms.SmsProvider):
    def send(self, *, to, body, reference, timeout):
        raise sms.SmsError("gateway answered 503")


@pytest.mark.django_db(transaction=True)
def test_a_failing_gateway_is_retried_with_backoff_then_recorded_as_failed(settings):
    settings.SPORTEL_SMS_PROVIDER = "always-down"
    row = send_notification(template="test", context={}, language="sq", to_phone="+355691112233")
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for attempt in range(1, notifications.MAX_ATTEMPTS + 1):
            assert run_queued_deliveries() == [
                "failed" if attempt == notifications.MAX_ATTEMPTS else "retry"
            ]
            row.refresh_from_db()
            assert row.attempts == attempt and row.last_error == "SmsError: gateway answered 503"
            if row.next_attempt_at:
                wait = row.next_attempt_at - timezone.now()
                waits.append(wait)
                assert run_queued_deliveries() == []  # not due before the backoff
                clock.shift(wait + timedelta(seconds=1))

    assert waits == [timedelta(seconds=30 * 2**n) for n in range(notifications.MAX_ATTEMPTS - 1)]
    assert row.status == "failed" and row.sent_at is None
    assert NotificationAttempt.objects.filter(notification=row, ok=False).count() == (
        notifications.MAX_ATTEMPTS
    )


@pytest.mark.django_db(transaction=True)
def test_delivering_twice_sends_once(shkoder):
    row = send_notification(template="test", context={}, language="sq", to_email="a@example.org")
    assert notifications.deliver(row.pk) == "sent"
    assert notifications.deliver(row.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert NotificationAttempt.objects.filter(notification=row).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sensitive_body_is_blanked_in_the_outbox_once_delivered(shkoder, sms_dir):
    row = send_notification(
        template="test",
        context={"name": "Kodi 482913"},
        language="sq",
        to_email="a@example.org",
        to_phone="+355691234567",
        sensitive=True,
    )
    plain = send_notification(
        template="test", context={"name": "Kodi 482913"}, language="sq", to_email="b@example.org"
    )
    assert "482913" in Notification.objects.get(pk=row.pk).body  # queued: the worker needs it

    assert sorted(run_queued_deliveries()) == ["sent", "sent", "sent"]

    # The recipients got the text; the outbox keeps it only for the non-sensitive message.
    assert all("482913" in m.body for m in mail.outbox)
    (sms_file,) = Path(sms_dir).glob("*.sms")
    assert "482913" in sms_file.read_text()
    sensitive = Notification.objects.filter(sensitive=True)
    assert sensitive.count() == 2
    assert set(sensitive.values_list("status", "body")) == {("sent", notifications.REDACTED)}
    plain.refresh_from_db()
    assert plain.status == "sent" and "482913" in plain.body


@pytest.mark.django_db(transaction=True)
def test_a_sensitive_body_is_kept_while_delivery_is_still_being_retried(settings):
    settings.SPORTEL_SMS_PROVIDER = "always-down"
    row = send_notification(
        template="test",
        context={"name": "482913"},
        language="sq",
        to_phone="+3556911",
        sensitive=True,
    )
    assert run_queued_deliveries() == ["retry"]
    row.refresh_from_db()
    assert "482913" in row.body  # the retry must send the same code


@pytest.mark.django_db(transaction=True)
def test_a_sensitive_message_that_finally_fails_is_blanked_and_not_retried(settings):
    settings.SPORTEL_SMS_PROVIDER = "always-down"
    row = send_notification(
        template="test",
        context={"name": "482913"},
        language="sq",
        to_phone="+3556911",
        sensitive=True,
    )
    Notification.objects.filter(pk=row.pk).update(attempts=notifications.MAX_ATTEMPTS - 1)
    assert notifications.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.body) == ("failed", notifications.REDACTED)
    # An operator's retry would send the blank: the person asks for a new code instead.
    assert notifications.retry_failed([row.pk]) == 0
    row.refresh_from_db()
    assert row.status == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_queued_row_whose_task_was_lost_is_picked_up_again(shkoder, settings):
    from django_tasks_db.models import DBTaskResult

    row = send_notification(template="test", context={}, language="sq", to_email="a@example.org")
    DBTaskResult.objects.all().delete()  # the process died between commit and enqueue
    assert notifications.requeue_stalled(grace_seconds=60) == 0  # too recent to call lost
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert notifications.requeue_stalled(grace_seconds=60) == 1
        assert notifications.requeue_stalled(grace_seconds=60) == 0  # not re-enqueued twice
        assert run_queued_deliveries() == ["sent"]
    row.refresh_from_db()
    assert row.status == "sent"


def test_without_any_recipient_the_caller_gets_a_clear_error(db):
    with pytest.raises(notifications.NoRecipient):
        send_notification(template="test", context={}, language="sq")


def test_the_sms_provider_registry_knows_console_and_file(capsys, settings, tmp_path):
    assert {"console", "file"} <= set(sms.providers())
    sms.get_provider("console").send(
        to="+355690000000", body="Tungjatjeta", reference="r1", timeout=1
    )
    assert "Tungjatjeta" in capsys.readouterr().out
    with pytest.raises(sms.SmsError, match="Unknown SMS provider"):
        sms.get_provider("nope")


@pytest.mark.django_db(transaction=True)
def test_an_operator_can_retry_a_failed_notification_from_the_admin(settings, verified_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sportel.accounts.models import User

    settings.SPORTEL_SMS_PROVIDER = "always-down"
    row = send_notification(template="test", context={}, language="sq", to_phone="+355691112299")
    Notification.objects.filter(pk=row.pk).update(
        status="failed", attempts=notifications.MAX_ATTEMPTS, next_attempt_at=None
    )
    operator = User.objects.create_superuser(
        "operator@test.sportel.al", password="x" * 12, is_platform_operator=True
    )
    TOTPDevice.objects.create(user=operator, name="test", confirmed=True)
    client = verified_client(operator)
    settings.SPORTEL_SMS_PROVIDER = "file"

    page = client.get(f"/admin/core/notification/{row.pk}/change/")
    assert page.status_code == 200 and b"+355691112299" in page.content
    response = client.post(
        "/admin/core/notification/",
        {"action": "retry", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)
    assert sorted(run_queued_deliveries()) == ["sent", "skipped"]  # the old task and the retry
    row.refresh_from_db()
    assert row.status == "sent"

    # Someone reports two copies: the Message-ID / reference they quote finds the row.
    other = send_notification(template="test", context={}, language="sq", to_phone="+355691112288")
    found = client.get("/admin/core/notification/", {"q": str(row.reference)}).content.decode()
    assert f"/admin/core/notification/{row.pk}/change/" in found
    assert f"/admin/core/notification/{other.pk}/change/" not in found


@pytest.mark.django_db(transaction=True)
def test_notify_test_command_sends_the_test_message_through_the_configured_channels(
    sms_dir, capsys
):
    from django.core.management import call_command

    call_command("notify-test", email="ops@example.al", phone="+355691230000", now=True)

    out = capsys.readouterr().out
    assert out.count(": sent.") == 2
    assert mail.outbox[0].subject == "Mesazh prove nga Sportel"
    assert len(list(Path(sms_dir).glob("*.sms"))) == 1
