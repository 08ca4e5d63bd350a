"""Sealed tax notices and reminder letters: what the taxpayer receives, verifiable by anyone,
sent once per state of the bill (notices) or per level (reminders), through the outbox."""

import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from sportel.core.models import AuditEntry, Notification
from sportel.documents.models import IssuedDocument
from sportel.revenue import notices, payments
from sportel.revenue.models import Demand, Invoice, TaxNotice


@pytest.fixture
def clerk(make_staff, shkoder):
    return make_staff(shkoder, "clerk")


@pytest.fixture
def arta_user(register):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    arta = register["arta"]
    arta.user = user
    arta.email = "arta@example.al"
    arta.save(update_fields=["user", "email"])
    return user


def pdf_text(document) -> str:
    with document.pdf.open("rb") as handle:
        data = handle.read()
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_tax_notice_is_sealed_states_each_tax_and_is_sent_once(
    assessed, register, shkoder, seal_keys, arta_user, client
):
    invoice = Invoice.objects.get(person=register["arta"])
    notice, created = notices.issue_notice(invoice, actor="tax-office")
    assert created and notice.total == Decimal("4820.00")
    document = notice.document
    assert document.document_type == notices.NOTICE_TYPE and document.language == "sq"
    text = pdf_text(document)
    assert invoice.reference[:4] in text and "Taksa mbi ndërtesën" in text
    assert "4 820,00" in text or "4.820,00" in text or "4,820.00" in text
    assert "0,06%" in text and "365" in text  # the penalty rule printed on the notice
    # Anyone can verify it: the public verification page knows the code.
    verify = client.get(f"/verify/{document.code}")
    assert verify.status_code == 200
    # The email went to the outbox, in Albanian, with the link to My taxes, not the PDF.
    mail = Notification.objects.get(template="revenue_tax_notice")
    assert mail.recipient == "arta@example.al" and "Taksat e mia" in mail.body
    assert "/shkoder/taxes/" in mail.body and document.display_code in mail.body
    assert AuditEntry.objects.filter(action="revenue.invoice.issue").count() == 1
    # A second batch sends nothing for a bill whose amounts did not change...
    result = notices.issue_notices(shkoder, 2026, actor="tax-office")
    assert result.already == 1 and result.issued == 3  # the other three taxpayers
    assert TaxNotice.objects.filter(invoice=invoice).count() == 1
    assert Notification.objects.filter(template="revenue_tax_notice").count() == 1
    again = notices.issue_notices(shkoder, 2026, actor="tax-office")
    assert again.issued == 0 and again.already == 4
    assert IssuedDocument.objects.filter(document_type=notices.NOTICE_TYPE).count() == 4


def test_a_revised_bill_gets_a_new_notice_but_payments_alone_do_not(
    assessed, register, shkoder, seal_keys, arta_user, clerk, make_staff
):
    invoice = Invoice.objects.get(person=register["arta"])
    notices.issue_notice(invoice)
    payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="100", token="t1")
    _notice, created = notices.issue_notice(invoice)
    assert not created  # a payment does not change what was assessed
    from sportel.revenue import appeals

    demand = Demand.objects.filter(invoice=invoice, tax_head__code="building").get()
    appeal, _ = appeals.file_appeal(
        demand,
        actor=arta_user,
        reason="Sipërfaqja është 60 m², jo 70.",
        key="k1",
        guarantee=True,
        upload=_pdf_upload(),
    )
    officer = make_staff(shkoder, "tax_officer")
    appeals.decide_appeal(
        appeal, actor=officer, outcome="amended", reasons="Matje e re.", amount="1560"
    )
    notice, created = notices.issue_notice(invoice)
    assert created and notice.total == Decimal("4460.00")  # 4820 - 260 - 100 paid


def test_a_resident_downloads_the_own_notice_and_not_anothers(
    assessed, register, shkoder, seal_keys, arta_user, client
):
    client.force_login(arta_user)
    own = Invoice.objects.get(person=register["arta"])
    other = Invoice.objects.get(person=register["besnik"])
    url = reverse(
        "revenue:notice", kwargs={"municipality_slug": "shkoder", "reference": own.reference}
    )
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(url).status_code == 200
    assert TaxNotice.objects.filter(invoice=own).count() == 1  # downloading twice seals once
    other_url = reverse(
        "revenue:notice", kwargs={"municipality_slug": "shkoder", "reference": other.reference}
    )
    assert client.get(other_url).status_code == 404
    page = client.get(reverse("revenue:mine", kwargs={"municipality_slug": "shkoder"}))
    assert "Njoftim-vlerësimi (PDF i vulosur)" in page.content.decode()
    letter_url = reverse(
        "revenue:letter",
        kwargs={
            "municipality_slug": "shkoder",
            "pk": TaxNotice.objects.get(invoice=own).pk,
        },
    )
    assert client.get(letter_url).status_code == 200
    client.force_login(_user("besnik@test.sportel.al", register["besnik"]))
    assert client.get(letter_url).status_code == 404


def test_reminders_go_once_per_level_and_the_batch_is_audited(
    assessed, register, shkoder, seal_keys, arta_user
):
    Demand.objects.filter(municipality=shkoder).update(due_date=date(2026, 1, 31))
    on = date(2026, 3, 15)  # 43 days late: level 1
    first = notices.send_reminders(shkoder, on=on, actor="tax-office")
    assert first.issued == 4 and first.already == 0 and not first.failed
    assert first.emailed == 1  # only Arta has an email address
    mail = Notification.objects.get(template="revenue_reminder")
    assert "Kujtesë" in mail.subject and mail.recipient == "arta@example.al"
    again = notices.send_reminders(shkoder, on=date(2026, 4, 1), actor="tax-office")
    assert again.issued == 0 and again.already == 4  # still level 1: nothing sent twice
    later = notices.send_reminders(shkoder, on=date(2026, 5, 15), actor="tax-office")  # level 2
    assert later.issued == 4
    letter = TaxNotice.objects.filter(kind="reminder", level=2).first()
    assert "NJOFTIM PËRFUNDIMTAR" in pdf_text(letter.document)
    assert AuditEntry.objects.filter(action="revenue.reminders.batch").count() == 3
    assert AuditEntry.objects.filter(action="revenue.reminder.issue").count() == 8


def test_the_reminder_batch_from_the_arrears_page_runs_in_the_worker(
    assessed, register, shkoder, seal_keys, verified_client, make_staff,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from django_tasks_db.models import DBTaskResult

    from sportel.revenue.notice_tasks import send_reminders_task

    Demand.objects.filter(municipality=shkoder).update(due_date=date(2025, 1, 31))
    officer = make_staff(shkoder, "tax_officer")
    client = verified_client(officer)
    arrears = reverse("revenue-staff:arrears", kwargs={"municipality_slug": "shkoder"})
    assert 'id="send-reminders"' in client.get(arrears).content.decode()
    url = reverse("revenue-staff:send-reminders", kwargs={"municipality_slug": "shkoder"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith("/arrears/")
    assert DBTaskResult.objects.filter(task_path__endswith="send_reminders_task").count() == 1
    send_reminders_task.call(shkoder.pk, officer.get_username())
    send_reminders_task.call(shkoder.pk, officer.get_username())  # a retry sends nothing more
    assert TaxNotice.objects.filter(kind="reminder").count() == 4
    assert set(TaxNotice.objects.values_list("level", flat=True)) == {3}
    # A manager reads the arrears but cannot send letters.
    manager = verified_client(make_staff(shkoder, "manager"))
    assert 'id="send-reminders"' not in manager.get(arrears).content.decode()
    assert manager.post(url).status_code == 403


def _pdf_upload():
    """A scanned bank guarantee (a PNG: the upload checks re-encode it)."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return SimpleUploadedFile("garanci.png", out.getvalue(), "image/png")


def _user(email, person):
    from sportel.accounts.models import User

    user = User.objects.create_user(email, "x", confirmed_at="2026-01-01T00:00Z")
    person.user = user
    person.save(update_fields=["user"])
    return user
