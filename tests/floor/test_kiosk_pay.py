"""Paying a tax bill at a kiosk: signed in with the NID and an SMS code, the resident sees what
they owe, pays through the configured provider and gets a printable receipt. The provider is a
real HTTP server on loopback (approving with the sandbox's signed event, declining, hanging,
failing, or answering with a forged signature); the ledger is revenue's own."""

import contextlib
import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from sportel.accounts.roles import Role
from sportel.floor import services
from sportel.floor.models import Device, KioskPayment
from sportel.revenue import ledger, providers
from sportel.revenue.models import Invoice, Payment

from .test_kiosk_sign_in import NID, OTHER_NID, resident, sent_code

SANDBOX = providers.PROVIDERS["sandbox"]


def en(name, municipality, **kwargs):
    with translation.override("en"):
        return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def kiosk(office, make_staff, shkoder):
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    device, token = services.register_device(office, kind="kiosk", name="Kioska 1", actor=admin)
    return device, token


def owner_with_bill(municipality, user):
    """``user``'s person owns a flat in ``municipality``; the year is assessed: one bill."""
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import FiscalPackage
    from tests.revenue.conftest import make_person, make_property

    if not FiscalPackage.objects.filter(municipality=municipality).exists():
        fiscal.create_package(municipality, fiscal.seed_data("shkoder-2026"))
    person = make_person(municipality, "Arta", "Kola")
    person.user = user
    person.save(update_fields=["user"])
    make_property(municipality, [(person, "1")], area="70")
    package = FiscalPackage.objects.filter(municipality=municipality).first()
    assessment.run_to_end(assessment.start_run(package).pk)
    return Invoice.objects.get(person=person)


@pytest.fixture
def bill(shkoder):
    user = resident()
    invoice = owner_with_bill(shkoder, user)
    return invoice


def owed(invoice):
    return ledger.taxpayer_owed(invoice.municipality, person=invoice.person)


def sign_in(client, shkoder, token, *, then="pay"):
    client.cookies["django_language"] = "en"
    start = en("floor:kiosk-sign-in", shkoder, token=token) + (f"?next={then}" if then else "")
    assert client.post(start, {"nid": NID}).status_code == 302
    response = client.post(
        en("floor:kiosk-sign-in-code", shkoder, token=token), {"code": sent_code()}
    )
    assert response.status_code == 302
    return response


def pay_form(page: str) -> dict:
    """The reference and checkout of the first bill on the pay page, as the kiosk posts them."""
    import re

    return {
        "reference": re.search(r'name="reference" value="([^"]+)"', page).group(1),
        "checkout": re.search(r'name="checkout" value="([^"]+)"', page).group(1),
    }


class Acquirer:
    """A payment provider's charge endpoint on loopback; ``mode`` says how it answers."""

    def __init__(self):
        self.mode = "approve"
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.calls += 1
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.mode == "hang":
                    time.sleep(2)
                if outer.mode in ("decline", "error"):
                    self.send_response(402 if outer.mode == "decline" else 503)
                    self.end_headers()
                    return
                body, headers = SANDBOX.callback(event)
                if outer.mode == "forged":
                    headers["X-Sandbox-Signature"] = "0" * 64
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the kiosk gave up waiting
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/charge"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def acquirer(settings):
    provider = Acquirer()
    settings.SPORTEL_KIOSK_PAYMENT_URL = provider.url
    settings.SPORTEL_KIOSK_PAYMENT_TIMEOUT = 0.5
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


def test_resident_signs_in_sees_what_they_owe_pays_and_gets_a_receipt(kiosk, bill, client, shkoder):
    _device, token = kiosk
    client.cookies["django_language"] = "en"
    start = client.get(en("floor:kiosk", shkoder, token=token)).content.decode()
    assert en("floor:kiosk-pay", shkoder, token=token) in start
    # Not signed in: the pay page sends to the NID sign-in, and back to paying after the code.
    response = client.get(en("floor:kiosk-pay", shkoder, token=token))
    assert response.status_code == 302 and "next=pay" in response["Location"]
    assert sign_in(client, shkoder, token)["Location"] == en(
        "floor:kiosk-pay", shkoder, token=token
    )
    amount = owed(bill)
    assert amount > 0
    page = client.get(en("floor:kiosk-pay", shkoder, token=token)).content.decode()
    assert f"Pay {amount:,.2f} ALL" in page and "Sandbox" in page
    response = client.post(en("floor:kiosk-pay", shkoder, token=token), pay_form(page))
    assert response.status_code == 302 and "/receipt/" in response["Location"]
    receipt = client.get(response["Location"]).content.decode()
    assert "Payment receipt" in receipt and f"{amount:,.2f} ALL" in receipt
    assert "floor-slip" in receipt  # the 80 mm print-ready slip, printed once by kiosk.js
    assert owed(bill) == 0
    payment = Payment.objects.get()
    assert payment.channel == Payment.Channel.ONLINE and payment.amount == amount
    assert payment.key == f"online:sandbox:kiosk-{KioskPayment.objects.get().checkout}"
    after = client.get(en("floor:kiosk-pay", shkoder, token=token)).content.decode()
    assert "You owe nothing in this municipality." in after
    # Finishing logs out and goes back to the start; the receipt is gone with the session.
    finished = client.post(en("floor:kiosk-finish", shkoder, token=token))
    assert finished["Location"] == en("floor:kiosk", shkoder, token=token)
    assert client.get(response["Location"]).status_code == 302


def test_the_albanian_pay_page_speaks_albanian(kiosk, bill, client, shkoder):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    client.cookies["django_language"] = "sq"
    with translation.override("sq"):
        page = client.get(
            reverse("floor:kiosk-pay", kwargs={"municipality_slug": "shkoder", "token": token})
        ).content.decode()
    assert "Paguani taksat dhe tarifat" in page and "Paguaj" in page


def test_a_double_tap_asks_the_provider_once_and_records_one_payment(
    kiosk, bill, client, shkoder, acquirer
):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    form = pay_form(client.get(en("floor:kiosk-pay", shkoder, token=token)).content.decode())
    first = client.post(en("floor:kiosk-pay", shkoder, token=token), form)
    second = client.post(en("floor:kiosk-pay", shkoder, token=token), form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert acquirer.calls == 1
    assert Payment.objects.count() == 1 and KioskPayment.objects.count() == 1
    assert owed(bill) == 0


def test_a_hung_provider_says_do_not_pay_again_and_its_late_callback_settles_it(
    kiosk, bill, client, shkoder, acquirer
):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    acquirer.mode = "hang"
    pay_url = en("floor:kiosk-pay", shkoder, token=token)
    form = pay_form(client.get(pay_url).content.decode())
    started = time.monotonic()
    response = client.post(pay_url, form)
    assert time.monotonic() - started < 1.9  # bounded by the timeout, not by the provider
    page = response.content.decode()
    assert response.status_code == 502
    assert "did not confirm the payment in time" in page and "Do not pay this bill again" in page
    assert not Payment.objects.exists() and owed(bill) > 0
    assert KioskPayment.objects.get().state == KioskPayment.State.UNKNOWN
    # The bill shows no pay button while the provider may still confirm; a stale form is refused.
    acquirer.mode = "approve"
    fresh = client.get(pay_url).content.decode()
    assert "waiting for the payment provider" in fresh and 'name="checkout"' not in fresh
    again = client.post(pay_url, {"reference": bill.reference, "checkout": "b" * 32})
    assert again.status_code == 400
    assert "still waiting for the payment provider" in again.content.decode()
    assert acquirer.calls == 1 and not Payment.objects.exists()
    # The provider's own callback arrives: the attempt is paid, the bill settled, once.
    attempt = KioskPayment.objects.get()
    body, headers = SANDBOX.callback(
        {
            "event_id": attempt.event_id,
            "reference": bill.reference,
            "amount": str(attempt.amount),
            "paid_on": "2026-05-04",
        }
    )
    callback = client.post(
        reverse("revenue:callback", kwargs={"municipality_slug": "shkoder", "provider": "sandbox"}),
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert callback.status_code == 200
    assert owed(bill) == 0 and Payment.objects.count() == 1
    receipt = client.get(
        en("floor:kiosk-pay-receipt", shkoder, token=token, checkout=attempt.checkout)
    )
    assert receipt.status_code == 200
    assert KioskPayment.objects.get().state == KioskPayment.State.PAID


@pytest.mark.parametrize(
    ("mode", "state", "message"),
    [
        ("decline", "declined", "declined the payment. Nothing was charged."),
        ("unreachable", "failed", "could not be reached. Nothing was charged"),
        ("error", "unknown", "did not confirm the payment in time"),
        ("forged", "unknown", "did not confirm the payment in time"),
    ],
)
def test_a_failing_provider_posts_nothing_and_says_what_happened(
    kiosk, bill, client, shkoder, acquirer, settings, mode, state, message
):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    if mode == "unreachable":
        acquirer.server.shutdown()
        acquirer.server.server_close()
    acquirer.mode = mode
    pay_url = en("floor:kiosk-pay", shkoder, token=token)
    response = client.post(pay_url, pay_form(client.get(pay_url).content.decode()))
    assert response.status_code == 502
    assert message in response.content.decode()
    assert KioskPayment.objects.get().state == state
    assert not Payment.objects.exists() and owed(bill) > 0
    if state in ("declined", "failed"):  # nothing was charged: paying again is allowed
        settings.SPORTEL_KIOSK_PAYMENT_URL = ""
        retry = client.post(pay_url, pay_form(client.get(pay_url).content.decode()))
        assert retry.status_code == 302 and owed(bill) == 0


def test_a_session_left_open_ends_and_takes_the_bills_and_receipt_with_it(
    kiosk, bill, client, shkoder, settings
):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    pay_url = en("floor:kiosk-pay", shkoder, token=token)
    paid = client.post(pay_url, pay_form(client.get(pay_url).content.decode()))
    receipt_url = paid["Location"]
    assert client.get(receipt_url).status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.SPORTEL_KIOSK_IDLE_SECONDS + 5)
    with time_machine.travel(later, tick=False):
        left = client.get(pay_url)
        assert left.status_code == 302 and "sign-in" in left["Location"]
        assert client.get(receipt_url)["Location"] == en("floor:kiosk", shkoder, token=token)


def test_only_the_payer_sees_a_receipt_and_only_their_own_bills(kiosk, bill, client, shkoder):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    pay_url = en("floor:kiosk-pay", shkoder, token=token)
    receipt_url = client.post(pay_url, pay_form(client.get(pay_url).content.decode()))["Location"]
    client.post(en("floor:kiosk-finish", shkoder, token=token))
    # Someone else signs in at the same kiosk: their own (empty) bills, not the receipt.
    other = resident(OTHER_NID, login="other@test.sportel.al", phone="+355691111111")
    client.cookies["django_language"] = "en"
    client.post(en("floor:kiosk-sign-in", shkoder, token=token) + "?next=pay", {"nid": OTHER_NID})
    client.post(
        en("floor:kiosk-sign-in-code", shkoder, token=token),
        {"code": sent_code("+355691111111")},
    )
    assert int(client.session["_auth_user_id"]) == other.pk
    assert client.get(receipt_url).status_code == 404
    page = client.get(pay_url).content.decode()
    assert "You owe nothing" in page
    # A bill that is not theirs (Arta's reference typed in) is refused; nothing is charged.
    refused = client.post(pay_url, {"reference": bill.reference, "checkout": "a" * 32})
    assert refused.status_code == 400 and "There is nothing to pay on this bill." in (
        refused.content.decode()
    )
    assert Payment.objects.count() == 1


def test_a_forged_checkout_and_a_kiosk_without_payments_are_refused(
    kiosk, bill, client, shkoder, office, make_staff
):
    _device, token = kiosk
    sign_in(client, shkoder, token)
    pay_url = en("floor:kiosk-pay", shkoder, token=token)
    bad = client.post(pay_url, {"reference": bill.reference, "checkout": "<script>"})
    assert bad.status_code == 400 and "This payment page has expired" in bad.content.decode()
    assert not KioskPayment.objects.exists()
    admin = make_staff(shkoder, Role.ADMINISTRATOR, login="admin2@test.sportel.al")
    _other, other_token = services.register_device(
        office, kind="kiosk", name="K2", actor=admin, functions=[Device.Function.TICKET]
    )
    assert client.get(en("floor:kiosk-pay", shkoder, token=other_token)).status_code == 404
    start = client.get(en("floor:kiosk", shkoder, token=other_token)).content.decode()
    assert "floor:kiosk-pay" not in start and "/pay/" not in start


def test_a_kiosk_that_only_takes_payments_signs_in_straight_to_the_bills(
    bill, client, shkoder, office, make_staff
):
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    _device, token = services.register_device(
        office, kind="kiosk", name="Arka", actor=admin, functions=[Device.Function.PAY]
    )
    landed = sign_in(client, shkoder, token, then=None)
    assert landed["Location"] == en("floor:kiosk-pay", shkoder, token=token)
    assert client.get(en("floor:kiosk-documents", shkoder, token=token)).status_code == 404
