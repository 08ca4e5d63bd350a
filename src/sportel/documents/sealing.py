"""PAdES sealing with pyHanko: B-B, or B-T when a time-stamping authority is configured.

Cost matters here (the target is 75 sealed documents/s on two cores), so per process:
the PKCS#12 is read and its key decrypted once per municipality, the ``PdfSigner`` is built once,
and the space for the CMS object is reserved up front (``bytes_reserved``) — without it pyHanko
builds the whole CMS twice per document just to measure it. The signature field and its
appearance are already in the rendered PDF (see render.py), so pyHanko keeps them
(``NoOpStampStyle``) and only fills in the signature: the file stays PDF/A.

TSA: ``SPORTEL_TSA_URL`` (RFC 3161 over HTTP), optional ``SPORTEL_TSA_USERNAME`` /
``SPORTEL_TSA_PASSWORD`` (HTTP basic auth) and ``SPORTEL_TSA_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass, field

from .keys import SealKeyError, env_name, seal_path, seal_source
from .pdf.certificate import SIGNATURE_FIELD

_lock = threading.Lock()
_signers: dict[str, Seal] = {}


@dataclass
class Seal:
    """One municipality's loaded seal: the pyHanko signer and what the registry records."""

    slug: str
    pdf_signer: object
    certificate_der: bytes
    fingerprint: str  # SHA-256 of the certificate, hex
    subject: str
    not_after: object
    timestamped: bool
    path: str = ""  # the PKCS#12 file it was read from
    stamp: tuple | None = None  # that file's identity when read: a new file is a new seal
    registry_id: int | None = None  # its SealCertificate row, once known to be committed

    # One seal's signer is shared by the threads of a process. asn1crypto parses certificates
    # lazily and caches in place, and the CMS template (cms.py) is built on first use: neither
    # is safe to run from two threads at once (seen as a TypeError from asn1crypto under
    # concurrent issuance once sealing stopped running under the log's row lock). Sealing is
    # serialised per seal and process; gunicorn's worker processes still seal in parallel.
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def seal(self, pdf: bytes) -> bytes:
        sealed = self._seal_direct(pdf)
        if sealed is not None:
            return sealed
        return outside_event_loop(self._seal, pdf)

    def _seal_direct(self, pdf: bytes) -> bytes | None:
        """Seal one of our own certificates without pyHanko re-reading it (pdf/signature.py),
        once the CMS template is learnt; None where that does not apply (another file, a
        time-stamped seal, no template yet): the caller then goes through pyHanko.

        Thread-safe without the mutex: the template is only read, the key only signs."""
        from django.utils import timezone

        from .cms import TemplateSigner
        from .pdf import signature

        signer = getattr(self.pdf_signer, "signer", None)
        if (
            self.timestamped
            or not isinstance(signer, TemplateSigner)
            or not isinstance(signer._template, dict)
        ):
            return None
        meta = self.pdf_signer.signature_meta
        prepared = signature.prepare(
            pdf,
            reserved=self._reserved,
            signed_at=timezone.localtime(),
            reason=meta.reason or "",
            location=meta.location or "",
        )
        if prepared is None:
            return None
        digest = hashlib.sha256()
        for part in prepared.signed_ranges():
            digest.update(part)
        return prepared.fill(signer._assemble(digest.digest()))

    def _seal(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        with self._mutex:
            out = self.pdf_signer.sign_pdf(writer, bytes_reserved=self._reserved)
        return out.getvalue()

    _reserved: int = 8192


def outside_event_loop(func, *args):
    """Call ``func``, which uses pyHanko's synchronous API (``asyncio.run`` inside).

    In a thread that already runs an event loop (an ASGI server, a Playwright test) that would
    fail, so there the call goes to a short-lived worker thread.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args).result()


def _tsa():
    url = os.environ.get("SPORTEL_TSA_URL")
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    user = os.environ.get("SPORTEL_TSA_USERNAME")
    auth = (user, os.environ.get("SPORTEL_TSA_PASSWORD", "")) if user else None
    return HTTPTimeStamper(url, auth=auth, timeout=int(os.environ.get("SPORTEL_TSA_TIMEOUT", "10")))


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def load_seal(municipality) -> Seal:
    """The municipality's seal, loaded once per process; SealKeyError with a clear message.

    A key file replaced on disk (``sportel keys init --rotate``, a renewed certificate) or a
    different file configured is read on the next issuance: the cache checks the configured
    path and the file's identity (one ``stat``), so the code that writes keys needs no hook
    into this module.
    """
    slug = municipality.slug
    path = str(seal_path(slug))
    seal = _signers.get(slug)
    if seal is not None and seal.path == path and seal.stamp == _stamp(path):
        return seal
    with _lock:
        seal = _signers.get(slug)
        if seal is None or seal.path != path or seal.stamp != _stamp(path):
            seal = _load(municipality)
            _signers[slug] = seal
    return seal


def preload(municipalities) -> list[str]:
    """Load the seals of ``municipalities`` now (a worker's start), so no resident waits on it;
    returns the slugs whose seal could not be loaded (they fail at issuance, as before)."""
    missing = []
    for municipality in municipalities:
        try:
            load_seal(municipality)
        except SealKeyError:
            missing.append(municipality.slug)
    return missing


def loaded_seals() -> list[Seal]:
    """The seals this process has loaded."""
    with _lock:
        return list(_signers.values())


def forget_signers() -> None:
    """Drop the cached seals (after a key was installed or rotated)."""
    with _lock:
        _signers.clear()


def _pdfa2_signer_class():
    from pyhanko.pdf_utils.writer import BasePdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers.pdf_signer import _ensure_esic_ext

    class PdfA2Signer(signers.PdfSigner):
        """A PdfSigner that keeps the file PDF 1.7, as PDF/A-2 requires.

        For an ECDSA key pyHanko would also declare the ISO/TS 32002 extension, which raises the
        catalogue's /Version to 2.0: the sealed certificate would then claim to be a PDF 2.0 file
        while its XMP says PDF/A-2b (a PDF 1.7 profile). ECDSA seals are PAdES-conformant in PDF
        1.7 (ETSI EN 319 142-1 takes its algorithms from CAdES), so only the ESIC (PAdES)
        extension is declared. SHA-3 digests and EdDSA keys do need PDF 2.0: refused here.
        """

        def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str):
            mechanism = self.signer.get_signature_mechanism_for_digest(md_algorithm)
            if (
                md_algorithm.startswith("sha3")
                or md_algorithm == "shake256"
                or mechanism.signature_algo in ("ed25519", "ed448")
            ):
                raise SigningError(
                    f"{md_algorithm}/{mechanism.signature_algo} needs PDF 2.0; a PDF/A-2 seal "
                    "uses an RSA or ECDSA key with SHA-256"
                )
            _ensure_esic_ext(pdf_out)

    return PdfA2Signer


def _load(municipality) -> Seal:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import NoOpStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from .cms import TemplateSigner

    _PdfA2Signer = _pdfa2_signer_class()

    slug = municipality.slug
    source = seal_source(slug)
    how = (
        f"set {env_name(slug, 'P12')} and {env_name(slug, 'PASSPHRASE')}, "
        f"or for development run: sportel keys init {slug}"
    )
    stamp = _stamp(str(source.path))
    try:
        data = source.path.read_bytes()
    except OSError:
        raise SealKeyError(
            f"No seal key for {municipality.name}: {source.path} cannot be read ({how})."
        ) from None
    if source.passphrase is None:
        raise SealKeyError(
            f"No passphrase for the seal key of {municipality.name} ({env_name(slug, 'PASSPHRASE')})."
        )
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, source.passphrase)
    except ValueError:
        raise SealKeyError(
            f"The seal key of {municipality.name} ({source.path}) cannot be opened: "
            "wrong passphrase or not a PKCS#12 file."
        ) from None
    if key is None or cert is None:
        raise SealKeyError(
            f"{source.path} holds no private key and certificate for {municipality.name}."
        )
    import datetime as dt

    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC):
        raise SealKeyError(
            f"The seal certificate of {municipality.name} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}: install a new one ({how})."
        )
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
    signer = TemplateSigner(
        signing_cert=asn1_x509.Certificate.load(cert_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
        private_key=key,
    )
    timestamper = _tsa()
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"Vulë elektronike e Bashkisë {municipality.name} / Electronic seal",
        location=municipality.name,
        embed_validation_info=False,
        use_pades_lta=False,
    )
    pdf_signer = _PdfA2Signer(
        meta, signer=signer, timestamper=timestamper, stamp_style=NoOpStampStyle()
    )
    seal = Seal(
        slug=slug,
        pdf_signer=pdf_signer,
        certificate_der=cert_der,
        fingerprint=hashlib.sha256(cert_der).hexdigest(),
        subject=cert.subject.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
        timestamped=timestamper is not None,
        path=str(source.path),
        stamp=stamp,
    )
    # The CMS holds the signature, the certificates and (B-T) the timestamp token; reserve room
    # for all of it once instead of letting pyHanko measure a dummy signature per document.
    seal._reserved = 4096 + len(cert_der) + sum(len(c.dump()) for c in chain)
    if timestamper is not None:
        seal._reserved += 12288
    seal._reserved += seal._reserved % 2  # pyHanko wants an even number
    return seal
