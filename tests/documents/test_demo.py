import subprocess


def test_the_demo_publishes_a_signed_tree_head_over_all_its_documents(shkoder, client):
    from sportel import demo
    from sportel.documents.models import SignedTreeHead
    from sportel.documents.translog import size

    demo.seed_all()
    assert size() > 0, "the demo issues instant certificates"
    latest = SignedTreeHead.objects.order_by("-tree_size").first()
    assert latest is not None and latest.tree_size == size()
    page = client.get("/transparency/?format=json").json()
    assert page["latest"]["tree_size"] == size()


def test_demo_on_another_port_prints_that_port_in_qr_codes_and_receipts(
    shkoder, client, settings, tmp_path, monkeypatch
):
    """`sportel demo --port 8123`: the documents it issues and the receipts it shows point to
    127.0.0.1:8123, not to the default 8000."""
    from django.core.management import call_command

    from sportel.documents.models import IssuedDocument

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    import os

    monkeypatch.delenv("SPORTEL_PUBLIC_URL", raising=False)
    settings.SPORTEL_PUBLIC_URL = "http://127.0.0.1:8000"  # the default, restored afterwards
    try:
        call_command("demo", "--port", "8123", "--no-serve")
    finally:
        os.environ.pop("SPORTEL_PUBLIC_URL", None)

    document = IssuedDocument.objects.order_by("-issued_at").first()
    assert document.verify_url() == f"http://127.0.0.1:8123/verify/{document.code}"
    # The QR code printed on the PDF scans to that address, and the printed text names no other
    # port. (Searching the raw bytes for "8000" failed now and then: compressed streams and xref
    # offsets contain any four digits sooner or later.)
    path = tmp_path / "doc.pdf"
    path.write_bytes(document.pdf.read())
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(path), str(tmp_path / "page")],
        check=True, timeout=60,
    )  # fmt: skip
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "page.png")],
        capture_output=True, text=True, timeout=60, check=False,
    ).stdout.splitlines()  # fmt: skip
    assert scanned == [document.verify_url()]
    printed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert ":8000" not in printed


def test_a_printed_receipt_gives_the_whole_tracking_address(settings):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    settings.SPORTEL_PUBLIC_URL = "https://sportel.example.al/"

    class Case:
        number = "SHK-2026-000001"
        tracking_code_display = "ABCD-EFGH-JKLM"
        submitted_at = None
        fee_due = None
        is_open = False

        class municipality:
            slug = "shkoder"
            name = "Shkodër"

        class service_version:
            name = "Vërtetim banimi"

        def get_channel_display(self):
            return "online"

        def status_text(self):
            return "Mbyllur"

    html = render_to_string(
        "services/_receipt.html",
        {"case": Case(), "ends": (None, None)},
        request=RequestFactory().get("/"),
    )
    assert "https://sportel.example.al/shkoder/track/" in html
    assert 'id="receipt-title"' in html and "Vërtetim banimi" in html


def test_the_demo_runs_a_worker_that_writes_messages_to_the_file_outbox(
    transactional_db, shkoder, tmp_path, monkeypatch
):
    """`sportel demo` serves with a worker beside it: a message the site queues (here the SMS
    code a kiosk sends) is written under SPORTEL_DATA_DIR/outbox/sms, where the demo notes say
    to read it. Without the worker it would wait in the outbox for ever."""
    import time

    from sportel.core.management.commands.demo import start_worker
    from sportel.core.notifications import send_notification
    from tests.core.test_tasks import REPO, database_url

    monkeypatch.setenv("SPORTEL_DATABASE_URL", database_url())
    monkeypatch.setenv("SPORTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPORTEL_SMS_PROVIDER", "file")
    monkeypatch.setenv("PYTHONPATH", f"{REPO}:{REPO / 'src'}")
    send_notification(
        template="floor_kiosk_sign_in",
        context={"code": "123456", "minutes": 5},
        language="sq",
        to_phone="+355690000001",
        municipality=shkoder,
    )
    worker = start_worker()
    try:
        outbox = tmp_path / "outbox" / "sms"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not list(outbox.glob("*")):
            time.sleep(0.5)
        written = [p.read_text() for p in outbox.glob("*")]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert written and "123456" in written[0] and "+355690000001" in written[0]
