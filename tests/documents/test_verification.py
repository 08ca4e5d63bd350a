"""Verification by upload and by code, in plain words, for every kind of document and file."""

import io

import pytest
from django.urls import reverse

from sportel.documents.verification import Outcome, verify_upload

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="doc.pdf", language=""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"{language}/verify/",
        {"document": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


def foreign_sealed_pdf(tmp_path) -> bytes:
    """A PDF sealed with a key and CA of its own: looks like ours, is not from us."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from sportel.documents.render import Certificate, render

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bashkia Shkodër (forged)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives import serialization

    key_file = tmp_path / "forged.key"
    cert_file = tmp_path / "forged.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(key_file), str(cert_file))
    pdf = render(
        Certificate(
            language="sq", country="REPUBLIKA E SHQIPËRISË", issuer="BASHKIA SHKODËR",
            issuer_code="SHK", issuer_contact="", title="Vërtetim", code="AAAA-BBBB-CCCC-DDDD",
            code_label="Kodi", issued_label="Lëshuar", issued_at="1.1.2026", case_label="",
            case_reference="", holder_label="", holder="", fields=[("A", "B")], body="",
            verify_url="http://127.0.0.1/verify/X", verify_caption="", footer="", seal_lines=[],
        )
    )  # fmt: skip
    out = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="SportelSeal", subfilter=SigSeedSubFilter.PADES),
        signer=signer,
    ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return out.getvalue()


def test_a_valid_document_verifies_as_authentic_by_upload_and_by_code(issue, client):
    document = issue()
    result = verify_upload(document.pdf.read())
    assert result.outcome == Outcome.AUTHENTIC
    assert result.hash_matches and result.seal.valid
    page = client.get(f"/verify/{document.code}")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-outcome="authentic"' in text
    assert "Bashkia Shkodër" in text  # the issuer, named as on the document
    # No more personal data than the document carries — here: none of the holder's at all.
    assert "J00101001C" not in text and "Krasniqi" not in text


def test_upload_page_answers_authentic_in_both_languages(issue, client):
    document = issue()
    sq = upload(client, document.pdf.read())
    assert sq.status_code == 200 and 'data-outcome="authentic"' in sq.content.decode()
    document.pdf.seek(0)
    en = upload(client, document.pdf.read(), language="/en")
    assert "Authentic and valid" in en.content.decode()


def test_a_revoked_document_verifies_as_revoked(issue, client, make_staff, shkoder):
    from sportel.documents.services import revoke_document

    document = issue()
    revoke_document(document, reason="Lëshuar gabimisht", actor=make_staff(shkoder, "specialist"))
    assert verify_upload(document.pdf.read()).outcome == Outcome.REVOKED
    page = client.get(f"/en/verify/{document.code}").content.decode()
    assert 'data-outcome="revoked"' in page
    assert "Lëshuar gabimisht" in page


def test_a_reissued_document_points_to_its_replacement(issue, shkoder, make_staff):
    from sportel.documents.services import reissue_document

    old = issue()
    new = reissue_document(old, reason="Adresa u korrigjua", actor=make_staff(shkoder, "manager"))
    old.refresh_from_db()
    assert old.status == "replaced" and old.replaced_by == new
    assert verify_upload(old.pdf.read()).outcome == Outcome.REPLACED
    assert verify_upload(new.pdf.read()).outcome == Outcome.AUTHENTIC
    assert new.holder_pseudonym == old.holder_pseudonym


def test_samples_verify_as_samples(issue):
    assert verify_upload(issue(sample=True).pdf.read()).outcome == Outcome.SAMPLE


def test_unknown_code_and_foreign_pdf_verify_as_not_issued_by_us(seal_keys, client, tmp_path):
    from sportel.documents.codes import new_code

    page = client.get(f"/verify/{new_code()}")
    assert page.status_code == 404
    assert 'data-outcome="unknown"' in page.content.decode()
    assert client.get("/verify/not-a-code").status_code == 404
    forged = foreign_sealed_pdf(tmp_path)
    result = verify_upload(forged)
    assert result.outcome == Outcome.UNKNOWN
    assert result.seal.present and result.seal.intact and not result.seal.trusted


def test_a_document_changed_after_sealing_verifies_as_modified(issue):
    from tests.documents.test_pdf import flip_one_byte

    data = issue().pdf.read()
    assert verify_upload(flip_one_byte(data)).outcome == Outcome.MODIFIED
    # An incremental update appended after the seal: the signed revision is still ours.
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.root[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    result = verify_upload(appended.getvalue())
    assert result.outcome == Outcome.MODIFIED
    assert result.document is not None and not result.seal.covers_whole_file


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"GIF89a not a pdf at all", Outcome.NOT_PDF),
        (b"%PDF-1.7\n1 0 obj << /Broken", Outcome.MALFORMED),
        (b"", Outcome.NOT_PDF),
    ],
)
def test_bad_uploads_get_a_clear_answer(seal_keys, client, data, outcome):
    assert verify_upload(data).outcome == outcome
    if data:
        page = upload(client, data)
        assert page.status_code == 200
        assert f'data-outcome="{outcome}"' in page.content.decode()
    else:
        # Nothing chosen: the form again, with the field's error in the page's language.
        page = client.post("/en/verify/", {})
        assert page.status_code == 400
        html = page.content.decode()
        assert "govuk-error-message" in html and "This field is required." in html


def test_huge_uploads_are_refused_without_reading_them(seal_keys, client, settings):
    settings.SPORTEL_MAX_UPLOAD_BYTES = 1000
    page = upload(client, b"%PDF-1.7\n" + b"0" * 5000)
    assert page.status_code == 400
    assert "Skedari është shumë i madh" in page.content.decode()
    english = upload(client, b"%PDF-1.7\n" + b"0" * 5000, language="/en")
    assert "The file is too large" in english.content.decode()
    assert verify_upload(b"%PDF-1.7\n" + b"0" * 5000).outcome == Outcome.TOO_LARGE


def test_code_form_normalises_what_people_type(issue, client):
    document = issue()
    typed = document.display_code.lower()
    response = client.get("/verify/", {"code": typed})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/verify/{document.code}")
    bad = client.get("/verify/", {"code": "ABCD-EFGH"})
    assert bad.status_code == 200
    assert "16" in bad.content.decode()


def test_api_gives_status_by_code_and_checks_uploads(issue, client):
    document = issue()
    response = client.get(f"/api/v1/documents/{document.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "authentic"
    assert body["issuer"]["slug"] == "shkoder"
    assert "holder_pseudonym" not in body and "content" not in body
    assert client.get("/api/v1/documents/AAAABBBBCCCCDDDD").json()["code"] == "unknown"
    from django.core.files.uploadedfile import SimpleUploadedFile

    check = client.post(
        "/api/v1/documents/verify",
        {"file": SimpleUploadedFile("d.pdf", document.pdf.read(), "application/pdf")},
    )
    assert check.status_code == 200, check.content
    assert check.json()["outcome"] == "authentic"
    assert check.json()["seal"]["trusted"] is True
    not_pdf = client.post(
        "/api/v1/documents/verify", {"file": SimpleUploadedFile("x.txt", b"hello", "text/plain")}
    )
    assert not_pdf.status_code == 400 and not_pdf.json()["code"] == "not_pdf"


def test_verify_page_is_linked_from_reverse(seal_keys):
    assert reverse("documents:verify") == "/verify/"


def test_the_seal_is_named_without_english_attribute_labels(issue, client):
    document = issue()
    data = document.pdf.read()
    result = verify_upload(data)
    assert result.seal.signer.startswith("Bashkia Shkodër - vulë elektronike (DEV), ")
    assert "DEVELOPMENT ONLY - NOT A REAL SEAL" in result.seal.signer  # the dev label stays
    assert "Common Name" not in result.seal.signer
    page = upload(client, data).content.decode()
    assert "Common Name" not in page and "Bashkia Shkodër - vulë elektronike (DEV)" in page


def test_verifications_are_counted_by_type_and_month_only_and_published_suppressed(
    issue, client, shkoder
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from sportel.core.feeds import get_feed, suppressed_rows
    from sportel.documents.models import VerificationLookup

    document = issue()
    assert client.get("/verify/AAAABBBBCCCCDDDD").status_code == 404  # found nothing: not counted
    client.get(f"/verify/{document.code}")
    client.get(f"/api/v1/documents/{document.code}")
    client.post(
        "/api/v1/documents/verify",
        {"file": SimpleUploadedFile("d.pdf", document.pdf.read(), "application/pdf")},
    )
    month = timezone.localtime().strftime("%Y-%m")
    lookups = list(VerificationLookup.objects.values())
    assert len(lookups) == 3
    # Only what is counted: no code, no document, no holder, no address of who asked.
    assert set(lookups[0]) == {"id", "municipality_id", "document_type", "month", "method"}
    assert {(r["document_type"], r["month"]) for r in lookups} == {("residence-certificate", month)}

    feed = get_feed("documents-issued-per-type-month")
    [row] = suppressed_rows(feed, shkoder)
    assert row["verifications"] is None  # 3 lookups: below the threshold, withheld
    for _ in range(2):
        client.get(f"/verify/{document.code}")
    [row] = suppressed_rows(feed, shkoder)
    assert (row["month"], row["document_type"], row["verifications"]) == (
        month,
        "residence-certificate",
        5,
    )
