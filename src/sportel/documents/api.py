"""JSON API: a document's public status by code, and the check of an uploaded PDF."""

from __future__ import annotations

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from sportel.core.api_errors import Error, responses

from .codes import display
from .verification import (
    Outcome,
    count_lookup,
    find_by_code,
    max_upload_bytes,
    status_outcome,
    verify_upload,
)

router = Router(tags=["documents"])


class Issuer(Schema):
    slug: str
    name: str


class DocumentOut(Schema):
    code: str
    display_code: str
    outcome: str
    status: str
    status_reason: str
    replaced_by: str | None
    document_type: str
    title: dict[str, str]
    language: str
    issuer: Issuer
    issued_at: str
    sample: bool
    sha256: str
    seal_certificate_sha256: str
    timestamped: bool
    log_index: int
    verify_url: str


class SealOut(Schema):
    present: bool
    intact: bool
    trusted: bool
    covers_whole_file: bool
    signer: str
    signing_time: str
    timestamped: bool


class VerifyOut(Schema):
    outcome: str
    hash_matches: bool
    sha256: str
    seal: SealOut
    document: DocumentOut | None


def document_json(document) -> dict:
    """What anyone holding the code may know: no personal data beyond what the document shows."""
    return {
        "code": document.code,
        "display_code": display(document.code),
        "outcome": status_outcome(document),
        "status": document.status,
        "status_reason": document.status_reason,
        "replaced_by": document.replaced_by.code if document.replaced_by_id else None,
        "document_type": document.document_type,
        "title": document.title,
        "language": document.language,
        "issuer": {"slug": document.municipality.slug, "name": document.municipality.name},
        "issued_at": document.issued_at.isoformat(),
        "sample": document.sample,
        "sha256": document.sha256,
        "seal_certificate_sha256": document.seal_certificate.fingerprint,
        "timestamped": document.timestamped,
        "log_index": document.log_index,
        "verify_url": document.verify_url(),
    }


@router.post(
    "/verify",
    response=responses({200: VerifyOut, 413: Error}, body=True, lookup=False),
)
def verify_document(request, file: File[UploadedFile]):
    """Upload a PDF (multipart field ``file``): its hash against the registry and its seal."""
    if file.size > max_upload_bytes():
        return Status(
            413,
            {
                "detail": f"The file is larger than {max_upload_bytes()} bytes.",
                "code": Outcome.TOO_LARGE,
            },
        )
    result = verify_upload(file.read())
    count_lookup(result.document, "file")
    if result.outcome == Outcome.NOT_PDF:
        return Status(400, {"detail": "The file is not a PDF.", "code": Outcome.NOT_PDF})
    if result.outcome == Outcome.MALFORMED:
        return Status(400, {"detail": "The PDF cannot be read.", "code": Outcome.MALFORMED})
    if result.outcome == Outcome.TOO_LARGE:
        return Status(413, {"detail": "The file is too large.", "code": Outcome.TOO_LARGE})
    seal = result.seal
    return Status(
        200,
        {
            "outcome": result.outcome,
            "hash_matches": result.hash_matches,
            "sha256": result.sha256,
            "seal": {
                "present": seal.present,
                "intact": seal.intact,
                "trusted": seal.trusted,
                "covers_whole_file": seal.covers_whole_file,
                "signer": seal.signer,
                "signing_time": seal.signing_time,
                "timestamped": seal.timestamped,
            },
            "document": document_json(result.document) if result.document else None,
        },
    )


@router.get("/{code}", response=responses({200: DocumentOut}))
def get_document(request, code: str):
    document = find_by_code(code)
    if document is None:
        return Status(
            404, {"detail": "No document was issued with this code.", "code": Outcome.UNKNOWN}
        )
    count_lookup(document, "code")
    return Status(200, document_json(document))
