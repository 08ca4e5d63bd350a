import hashlib

from sportel.documents.models import DocumentEvent, LogLeaf


def test_issued_document_is_registered_logged_and_stored(issue, citizen):
    document = issue()
    assert document.status == "valid"
    data = document.pdf.read()
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert document.holder_pseudonym and citizen.nid not in document.holder_pseudonym
    assert document.verify_url().endswith(f"/verify/{document.code}")
    assert DocumentEvent.objects.get(document=document).kind == "issued"
    assert document.code in bytes(LogLeaf.objects.get(index=document.log_index).data).decode()


def test_a_rolled_back_first_issuance_does_not_break_the_next_one(issue, shkoder):
    """The seal's registry row is cached per process only once committed: a first issuance whose
    transaction rolled back must not leave later issuances pointing at a row that never existed."""
    import pytest
    from django.db import transaction

    from sportel.documents import sealing
    from sportel.documents.models import SealCertificate

    sealing.forget_signers()  # a fresh process
    with pytest.raises(RuntimeError), transaction.atomic():
        issue()
        raise RuntimeError("the caller's work failed after issuing")
    assert not SealCertificate.objects.exists()
    SealCertificate.objects.create(  # another row takes the rolled-back id's place on SQLite
        municipality=shkoder,
        fingerprint="0" * 64,
        subject="someone else",
        der=b"x",
        not_after="2030-01-01T00:00:00Z",
    )
    document = issue()
    assert document.seal_certificate.fingerprint != "0" * 64
