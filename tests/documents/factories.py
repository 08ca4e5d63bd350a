"""A registered document without a PDF or a seal: for tests about the registry, not the file."""

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from sportel.documents import translog
from sportel.documents.codes import new_code
from sportel.documents.models import DocumentEvent, IssuedDocument, SealCertificate


def registered_document(municipality, *, document_type="residence-certificate"):
    code = new_code()
    now = timezone.now()
    sha256 = hashlib.sha256(code.encode()).hexdigest()
    certificate, _ = SealCertificate.objects.get_or_create(
        fingerprint=hashlib.sha256(municipality.slug.encode()).hexdigest(),
        defaults={
            "municipality": municipality,
            "subject": f"CN=test seal {municipality.slug}",
            "der": b"",
            "not_after": now + dt.timedelta(days=365),
        },
    )
    with transaction.atomic():
        index = translog.append(
            {"event": "issued", "code": code, "sha256": sha256, "at": now.isoformat()}, code=code
        )
        document = IssuedDocument.objects.create(
            municipality=municipality,
            code=code,
            document_type=document_type,
            title={"sq": "Vërtetim", "en": "Certificate"},
            issued_at=now,
            sha256=sha256,
            size=0,
            pdf=f"documents/{municipality.slug}/{code}.pdf",
            seal_certificate=certificate,
            log_index=index,
            content={"fields": [], "body": "", "holder": "", "holder_id": None},
        )
        DocumentEvent.objects.create(
            municipality=municipality, document=document, kind="issued", at=now, log_index=index
        )
    return document
