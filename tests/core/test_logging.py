"""Structured logs: one JSON object per line, personal data scrubbed, one line per request."""

import io
import json
import logging

import pytest

from sportel.core.logging import JsonFormatter


@pytest.fixture
def log_lines():
    """The lines the configured console handler writes (the one production ships to its logs)."""
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def test_a_log_line_with_a_nid_email_and_phone_comes_out_scrubbed_json(log_lines):
    logging.getLogger("sportel.services").warning(
        "Could not match %s (%s, tel. %s) to a taxpayer",
        "J45102033R",
        "arben.hoxha@example.org",
        "+355 69 123 4567",
    )
    (line,) = log_lines()
    assert line["level"] == "WARNING" and line["logger"] == "sportel.services"
    assert line["message"] == "Could not match [nid] ([email], tel. [phone]) to a taxpayer"
    text = json.dumps(line)
    for secret in ("J45102033R", "arben.hoxha", "123 4567"):
        assert secret not in text


def test_an_exception_traceback_is_scrubbed_too(log_lines):
    try:
        raise ValueError("no person with NID K01234567B or email a@b.al, phone 0691234567")
    except ValueError:
        logging.getLogger("sportel").exception("lookup failed")
    (line,) = log_lines()
    assert "ValueError" in line["exception"]
    for secret in ("K01234567B", "a@b.al", "0691234567"):
        assert secret not in line["exception"]


@pytest.mark.django_db
def test_each_request_is_logged_with_route_status_and_duration_but_no_query(
    shkoder, log_lines, client
):
    client.get("/shkoder/?q=J45102033R&email=arben@example.org")
    client.get("/nowhere/at/all/")

    requests = [line for line in log_lines() if line.get("event") == "request"]
    home, missing = requests
    assert home["route"] == "<slug:municipality_slug>/" and home["status"] == 200
    assert home["municipality"] == "shkoder" and home["method"] == "GET"
    assert isinstance(home["duration_ms"], float) and home["user_id"] is None
    assert home["level"] == "INFO"
    assert missing["status"] == 404
    text = json.dumps(requests)
    assert "J45102033R" not in text and "arben" not in text and "q=" not in text


@pytest.mark.django_db
def test_a_signed_in_users_request_carries_only_their_numeric_id(
    shkoder, make_staff, verified_client, log_lines
):
    user = make_staff(shkoder, "clerk", login="drita.kola@shkoder.gov.al")
    verified_client(user).get("/account/")

    (line,) = [line for line in log_lines() if line.get("event") == "request"]
    assert line["user_id"] == user.pk
    assert "drita" not in json.dumps(line)


def test_health_and_metrics_scrapes_and_static_files_are_not_logged(log_lines, client, db):
    client.get("/healthz")
    client.get("/metrics")
    assert client.get("/static/sportel/favicon.ico").status_code == 200
    client.get("/static/no-such-file.css")  # a 404 is still worth a line
    (line,) = [line for line in log_lines() if line.get("event") == "request"]
    assert (line["route"], line["status"]) == ("unmatched", 404)


def test_an_international_number_is_scrubbed_like_an_albanian_one(log_lines):
    logging.getLogger("sportel.core").warning(
        "no route to %s or %s", "+44 7911 123456", "+39-333-1234567"
    )
    (line,) = log_lines()
    assert line["message"] == "no route to [phone] or [phone]"


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_logs_neither_the_recipient_nor_the_code(log_lines, settings):
    from sportel.core import notifications, sms

    @sms.register("echoing-gateway")
    class EchoingGateway(sms.SmsProvider):
        """Gateways often echo what they refused, number and text included."""

        def send(self, *, to, body, reference, timeout):
            raise sms.SmsError(f"refused {to}: {body!r}")

    settings.SPORTEL_SMS_PROVIDER = "echoing-gateway"
    row = notifications.send_notification(
        template="test",
        context={"name": "kodi 482913"},
        language="sq",
        to_phone="+447911123456",
        sensitive=True,
    )
    assert notifications.deliver(row.pk) == "retry"
    lines = [line for line in log_lines() if line["logger"] == "sportel.core.notifications"]
    assert [line["event"] for line in lines] == ["notification.retry"]
    assert f"notification {row.pk} attempt 1 failed (SmsError)" in lines[0]["message"]
    text = json.dumps(lines)
    for secret in ("447911123456", "7911", "482913"):
        assert secret not in text
    row.refresh_from_db()
    # Nor does the outbox keep it through the error, which the operator reads in the admin.
    assert row.last_error == "SmsError: [details withheld: the message carries a code or link]"
