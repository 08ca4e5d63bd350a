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
