"""Checking a document someone holds: by its code, or by the PDF file itself.

An uploaded file is checked two independent ways, and both must agree:

1. its SHA-256 against the registry (is this exactly the file we issued?), and
2. its seal with pyHanko against the configured trust roots (is the seal intact, made by a
   certificate we trust, and does it cover the whole file?).

The answer is one of a few plain outcomes (:class:`Outcome`); nothing in an upload — however
large, broken or hostile — may crash the check.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field

from django.conf import settings

from .codes import normalise
from .models import DocumentStatus, IssuedDocument, SealCertificate

log = logging.getLogger(__name__)


class Outcome:
    AUTHENTIC = "authentic"  # ours, unchanged, seal valid, document valid
    SAMPLE = "sample"  # as authentic, but a SAMPLE issued to test the seal
    REVOKED = "revoked"  # ours and unchanged, but revoked
    REPLACED = "replaced"  # ours and unchanged, but replaced by a newer document
    MODIFIED = "modified"  # sealed by us, changed afterwards
    UNKNOWN = "unknown"  # not issued by us (or no seal we trust)
    NOT_PDF = "not_pdf"
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"


@dataclass
class SealCheck:
    present: bool = False
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer: str = ""
    signing_time: str = ""
    timestamped: bool = False
    problem: str = ""
    signer_sha256: str = ""  # of the certificate the CMS names, trusted or not

    @property
    def valid(self) -> bool:
        return self.present and self.intact and self.trusted and self.covers_whole_file


@dataclass
class Result:
    outcome: str
    document: IssuedDocument | None = None
    seal: SealCheck = field(default_factory=SealCheck)
    hash_matches: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.AUTHENTIC, Outcome.SAMPLE)


def max_upload_bytes() -> int:
    return int(getattr(settings, "SPORTEL_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def find_by_code(text: str) -> IssuedDocument | None:
    code = normalise(text)
    if code is None:
        return None
    return (
        IssuedDocument.objects.select_related("municipality", "replaced_by", "seal_certificate")
        .filter(code=code)
        .first()
    )


def status_outcome(document: IssuedDocument) -> str:
    if document.status == DocumentStatus.REVOKED:
        return Outcome.REVOKED
    if document.status == DocumentStatus.REPLACED:
        return Outcome.REPLACED
    return Outcome.SAMPLE if document.sample else Outcome.AUTHENTIC


def check_seal(data: bytes) -> tuple[SealCheck, bytes | None]:
    """pyHanko's verdict on the first seal; also the bytes of the signed revision, if any."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from .keys import trust_roots

    check = SealCheck()
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        check.problem = "no seal"
        return check, None
    embedded = signatures[0]
    check.present = True
    context = ValidationContext(
        trust_roots=trust_roots(), allow_fetching=False, revocation_mode="soft-fail"
    )
    status = validate_pdf_signature(embedded, context, skip_diff=True)
    check.intact = bool(status.intact and status.valid)
    check.trusted = bool(status.trusted)
    check.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    check.timestamped = status.timestamp_validity is not None
    try:
        signer_cert = embedded.signer_cert
        check.signer_sha256 = hashlib.sha256(signer_cert.dump()).hexdigest()
    except Exception:
        check.signer_sha256 = ""
    try:
        check.signer = subject_text(status.signing_cert.subject)
    except Exception:
        check.signer = ""
    if status.signer_reported_dt:
        check.signing_time = status.signer_reported_dt.isoformat()
    signed_revision = None
    byte_range = embedded.byte_range
    if byte_range and len(byte_range) == 4:
        end = byte_range[2] + byte_range[3]
        signed_revision = data[:end]
    return check, signed_revision


def subject_text(name) -> str:
    """A certificate's subject without English attribute labels (it is shown in both languages):
    common name, unit, organisation, country — e.g. "Bashkia Shkodër - vulë elektronike, …, AL"."""
    native = name.native
    parts = []
    for key in ("common_name", "organizational_unit_name", "organization_name", "country_name"):
        value = native.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item and str(item) not in parts:
                parts.append(str(item))
    return ", ".join(parts) or name.human_friendly


def verify_upload(data: bytes) -> Result:
    """The plain answer for an uploaded file: see :class:`Outcome`."""
    if len(data) > max_upload_bytes():
        return Result(Outcome.TOO_LARGE)
    if b"%PDF-" not in data[:1024]:
        return Result(Outcome.NOT_PDF)
    sha256 = hashlib.sha256(data).hexdigest()
    document = (
        IssuedDocument.objects.select_related("municipality", "replaced_by")
        .filter(sha256=sha256)
        .first()
    )
    from .sealing import outside_event_loop

    try:
        seal, signed_revision = outside_event_loop(check_seal, data)
    except Exception as exc:
        log.info("uploaded PDF could not be checked: %s", type(exc).__name__)
        if document is not None:
            # Exactly a file we issued, yet unreadable: never call it authentic.
            return Result(Outcome.MODIFIED, document, hash_matches=True, sha256=sha256)
        return Result(Outcome.MALFORMED, sha256=sha256)
    if document is not None and seal.valid:
        return Result(status_outcome(document), document, seal, True, sha256)
    if document is not None:
        return Result(Outcome.MODIFIED, document, seal, True, sha256)
    # Not a file we issued. Was it one of ours, changed after sealing?
    original = None
    if signed_revision is not None:
        original = (
            IssuedDocument.objects.select_related("municipality")
            .filter(sha256=hashlib.sha256(signed_revision).hexdigest())
            .first()
        )
    # Sealed with one of our seal certificates, but the seal no longer matches: changed after.
    ours = (
        bool(seal.signer_sha256)
        and SealCertificate.objects.filter(fingerprint=seal.signer_sha256).exists()
    )
    if original is not None or ours or (seal.present and seal.trusted):
        return Result(Outcome.MODIFIED, original, seal, False, sha256)
    return Result(Outcome.UNKNOWN, None, seal, False, sha256)


def count_lookup(document: IssuedDocument | None, method: str) -> None:
    """Count one verification that found a document (for the open data feed): its type and
    month only, one INSERT. Nothing about the document, its holder or who asked is kept."""
    if document is None:
        return
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from .models import VerificationLookup

    VerificationLookup.objects.create(
        municipality_id=document.municipality_id,
        document_type=document.document_type,
        month=timezone.now().astimezone(ZoneInfo("Europe/Tirane")).strftime("%Y-%m"),
        method=method,
    )
