"""Issuance all-or-nothing, keys and rotation, revocation rules, staff pages, metrics, commands."""

import hashlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from sportel.core.models import AuditEntry
from sportel.documents.models import (
    DocumentEvent,
    IssuedDocument,
    LogLeaf,
    LogNode,
    SealingFailure,
)
from sportel.documents.services import SealKeyError, issue_document, revoke_document
from sportel.documents.verification import Outcome, verify_upload

pytestmark = pytest.mark.django_db


def nothing_written(media_root) -> bool:
    files = list((media_root / "documents").rglob("*.pdf")) if media_root.exists() else []
    return (
        not IssuedDocument.objects.exists()
        and not LogLeaf.objects.exists()
        and not LogNode.objects.exists()
        and not DocumentEvent.objects.exists()
        and not AuditEntry.objects.filter(action="document.issued").exists()
        and not files
    )


def test_missing_seal_key_stops_issuance_with_a_clear_error(
    seal_keys, shkoder, settings, monkeypatch
):
    (seal_keys / "shkoder" / "seal.p12").unlink()
    with pytest.raises(SealKeyError, match="sportel keys init shkoder"):
        issue_document(shkoder, document_type="t", title={"sq": "T"}, fields=[])
    assert nothing_written(settings.MEDIA_ROOT)
    failure = SealingFailure.objects.get()
    assert failure.stage == "key" and "shkoder" in failure.message


def test_wrong_passphrase_stops_issuance_and_writes_nothing(
    seal_keys, shkoder, settings, monkeypatch
):
    monkeypatch.setenv("SPORTEL_SEAL_SHKODER_PASSPHRASE", "not-the-passphrase")
    with pytest.raises(SealKeyError, match="wrong passphrase"):
        issue_document(shkoder, document_type="t", title={"sq": "T"}, fields=[])
    assert nothing_written(settings.MEDIA_ROOT)


def test_seal_from_the_environment_is_used(seal_keys, shkoder, monkeypatch, tmp_path):
    from sportel.documents import sealing

    source = seal_keys / "shkoder" / "seal.p12"
    moved = tmp_path / "real-seal.p12"
    moved.write_bytes(source.read_bytes())
    passphrase = (seal_keys / "shkoder" / "seal.passphrase").read_text().strip()
    source.unlink()
    monkeypatch.setenv("SPORTEL_SEAL_SHKODER_P12", str(moved))
    monkeypatch.setenv("SPORTEL_SEAL_SHKODER_PASSPHRASE", passphrase)
    sealing.forget_signers()
    document = issue_document(shkoder, document_type="t", title={"sq": "T"}, fields=[])
    assert verify_upload(document.pdf.read()).outcome == Outcome.AUTHENTIC


def test_a_failed_registration_leaves_no_file_and_no_rows(issue, settings, monkeypatch):
    from sportel.documents import services

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        issue()
    assert nothing_written(settings.MEDIA_ROOT)


def test_bad_input_is_refused_before_sealing(seal_keys, shkoder):
    with pytest.raises(ValidationError) as caught:
        issue_document(shkoder, document_type="Bad Type!", title={}, fields=[], language="de")
    assert set(caught.value.message_dict) == {"document_type", "title", "language"}
    assert not IssuedDocument.objects.exists()


def test_rotation_keeps_old_documents_verifiable(issue, shkoder):
    from sportel.documents import keys

    before = issue()
    keys.init_development_seal(shkoder.slug, shkoder.name, rotate=True)
    after = issue()
    assert before.seal_certificate.fingerprint != after.seal_certificate.fingerprint
    assert verify_upload(before.pdf.read()).outcome == Outcome.AUTHENTIC
    assert verify_upload(after.pdf.read()).outcome == Outcome.AUTHENTIC
    assert len(list((keys.keys_dir() / "shkoder").glob("seal-*.p12"))) == 1


def test_holder_is_pseudonymised_and_the_registry_never_holds_the_nid(issue, citizen):
    document = issue()
    other = issue()
    assert document.holder_pseudonym == other.holder_pseudonym
    assert citizen.nid not in document.holder_pseudonym
    assert len(document.code) == 16
    assert hashlib.sha256(document.pdf.read()).hexdigest() == document.sha256


def test_revocation_is_appended_and_audited_and_happens_once(issue, make_staff, shkoder):
    document = issue()
    staff = make_staff(shkoder, "specialist")
    revoke_document(document, reason="Gabim në adresë", actor=staff)
    kinds = list(document.events.values_list("kind", flat=True))
    assert kinds == ["issued", "revoked"]
    assert AuditEntry.objects.filter(action="document.revoked", actor=staff).exists()
    assert LogLeaf.objects.count() == 2
    with pytest.raises(ValidationError):
        revoke_document(document, reason="again", actor=staff)
    with pytest.raises(ValidationError):
        revoke_document(issue(), reason="  ", actor=staff)


def test_specialist_revokes_and_reissues_from_the_staff_page(
    issue, make_staff, shkoder, verified_client
):
    document = issue()
    client = verified_client(make_staff(shkoder, "specialist"))
    base = f"/shkoder/staff/documents/{document.code}"
    page = client.get(f"/en{base}/")
    assert page.status_code == 200
    assert 'id="revoke"' in page.content.decode() and 'id="reissue"' in page.content.decode()
    response = client.post(f"{base}/reissue", {"reason": "Adresa e re"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == "replaced"
    new = document.replaced_by
    response = client.post(f"/shkoder/staff/documents/{new.code}/revoke", {"reason": "Gabim"})
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == "revoked"


def test_clerk_sees_no_revoke_and_cannot_revoke(issue, make_staff, shkoder, verified_client):
    document = issue()
    client = verified_client(make_staff(shkoder, "clerk"))
    response = client.post(f"/shkoder/staff/documents/{document.code}/revoke", {"reason": "x"})
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.status == "valid"


def test_lezhe_specialist_cannot_revoke_a_shkoder_document(
    issue, make_staff, lezhe, verified_client
):
    document = issue()
    client = verified_client(make_staff(lezhe, "specialist"))
    for url in (
        f"/shkoder/staff/documents/{document.code}/revoke",
        f"/lezhe/staff/documents/{document.code}/revoke",
    ):
        response = client.post(url, {"reason": "x"})
        assert response.status_code in (403, 404)
    assert client.get(f"/lezhe/staff/documents/{document.code}/").status_code == 404
    document.refresh_from_db()
    assert document.status == "valid"


def test_monitoring_page_and_metrics_show_issuance_and_failures(
    issue, make_staff, shkoder, verified_client, client, seal_keys
):
    issue()
    issue(document_type="birth-certificate")
    (seal_keys / "shkoder" / "seal.p12").rename(seal_keys / "shkoder" / "away.p12")
    from sportel.documents import sealing

    sealing.forget_signers()
    with pytest.raises(SealKeyError):
        issue()
    staff = verified_client(make_staff(shkoder, "manager"))
    page = staff.get("/en/shkoder/staff/documents/").content.decode()
    assert "residence-certificate" in page and "birth-certificate" in page
    assert 'id="total-issued">2<' in page
    assert 'id="failures-day">1<' in page
    import re

    latency = re.search(r'id="latency">([\d.,]+) ms<', page)
    assert latency and float(latency.group(1).replace(",", ".")) > 0, "no render+seal latency"
    from django.core.cache import cache

    cache.delete("documents:metrics")  # the registry counts are cached between scrapes
    metrics = client.get("/metrics").content.decode()
    assert 'sportel_documents_issued_total{document_type="birth-certificate"' in metrics
    assert "sportel_documents_registered{" in metrics
    assert 'sportel_documents_sealing_failures{municipality="shkoder",stage="key"}' in metrics
    assert "sportel_documents_issue_duration_seconds_bucket" in metrics


def test_sample_command_prints_the_code_last_and_the_sample_verifies_as_sample(
    seal_keys, shkoder, tmp_path
):
    out = StringIO()
    target = tmp_path / "sample.pdf"
    call_command("documents", "sample", "shkoder", str(target), stdout=out)
    code = out.getvalue().strip().splitlines()[-1]
    document = IssuedDocument.objects.get(code=code)
    assert document.sample
    assert verify_upload(target.read_bytes()).outcome == Outcome.SAMPLE


def test_keys_init_creates_a_labelled_development_seal(shkoder, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("keys", "init", "shkoder", stdout=out)
    assert "DEVELOPMENT" in out.getvalue()
    from cryptography import x509

    ca = x509.load_pem_x509_certificate((tmp_path / "keys" / "development-ca.pem").read_bytes())
    assert "DEVELOPMENT" in ca.subject.rfc4514_string()
    call_command("keys", "init", "shkoder", stdout=out)
    assert "already has a seal" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("keys", "init", "nowhere", stdout=out)


def test_demo_seeder_creates_seals_for_the_demo_municipalities(shkoder, settings, tmp_path):
    from sportel.documents.demo import seed_documents

    settings.DATA_DIR = tmp_path
    seed_documents()
    assert (tmp_path / "keys" / "shkoder" / "seal.p12").exists()
    assert (tmp_path / "keys" / "lezhe" / "seal.p12").exists()


def test_a_business_can_hold_a_document(seal_keys, shkoder):
    from sportel.core.models import Business

    business = Business.objects.create(municipality=shkoder, nipt="K12345678A", name="Alba Sh.p.k.")
    document = issue_document(
        shkoder, document_type="business-licence", title={"sq": "Leje"}, fields=[], holder=business
    )
    assert document.holder_pseudonym and "K12345678A" not in document.holder_pseudonym
    assert document.content["holder"] == "Alba Sh.p.k., NIPT K12345678A"


def test_a_rolled_back_outer_transaction_leaves_a_file_that_clean_files_removes(issue, settings):
    from django.db import transaction

    kept = issue()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue()
        raise RuntimeError("the caller's own work failed")
    assert IssuedDocument.objects.count() == 1
    out = StringIO()
    call_command("documents", "clean-files", "--older-than", "0", "--delete", stdout=out)
    assert "1 stored PDF(s) without a registry row" in out.getvalue()
    files = list((settings.MEDIA_ROOT / "documents").rglob("*.pdf"))
    assert [f.name for f in files] == [f"{kept.code}.pdf"]
