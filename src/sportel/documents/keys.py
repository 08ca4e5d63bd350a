"""Where the seal keys, the trust roots and the transparency-log key come from.

Each municipality seals with its own key and certificate, read from a PKCS#12 file:

* ``SPORTEL_SEAL_<SLUG>_P12`` — path of the PKCS#12 file (``<SLUG>`` is the municipality slug in
  capitals with ``-`` as ``_``, e.g. ``SPORTEL_SEAL_SHKODER_P12``);
* ``SPORTEL_SEAL_<SLUG>_PASSPHRASE`` — its passphrase.

Without the first variable the file is ``$SPORTEL_DATA_DIR/keys/<slug>/seal.p12``, which
``sportel keys init <slug>`` creates for development together with a clearly labelled
DEVELOPMENT certificate authority (``keys/development-ca.pem``); its passphrase then sits next
to it in ``seal.passphrase`` unless the variable is set. Production (``SPORTEL_ENV=production``)
never reads a passphrase from a file.

Trust roots for verification: every development CA under ``keys/`` (outside production) and the
PEM files listed in ``SPORTEL_TRUST_ROOTS`` (comma separated). Rotation keeps old documents
verifiable: old seal certificates stay valid under their CA, and the registry records the
fingerprint of the certificate that sealed each document.

The transparency log signs its tree heads with an Ed25519 key: ``SPORTEL_LOG_KEY_FILE`` (PEM,
PKCS#8) or ``$SPORTEL_DATA_DIR/keys/transparency-log.pem``, created only by ``sportel keys init``
(or ``init-log``) and the demo, never as a side effect of reading or verifying.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

DEV_LABEL = "DEVELOPMENT ONLY - NOT A REAL SEAL"


class SealKeyError(Exception):
    """The seal key or certificate is missing or unusable: nothing may be issued."""


def keys_dir() -> Path:
    return Path(settings.DATA_DIR) / "keys"


def env_name(slug: str, what: str) -> str:
    return f"SPORTEL_SEAL_{slug.upper().replace('-', '_')}_{what}"


@dataclass(frozen=True)
class SealSource:
    path: Path
    passphrase: bytes | None
    from_env: bool


def seal_path(slug: str) -> Path:
    """Where this municipality's PKCS#12 is read from (no file is touched)."""
    env_path = os.environ.get(env_name(slug, "P12"))
    return Path(env_path) if env_path else keys_dir() / slug / "seal.p12"


def seal_source(slug: str) -> SealSource:
    """Where this municipality's PKCS#12 lives and its passphrase (not yet read or checked)."""
    env_path = os.environ.get(env_name(slug, "P12"))
    env_pass = os.environ.get(env_name(slug, "PASSPHRASE"))
    if env_path:
        return SealSource(Path(env_path), env_pass.encode() if env_pass is not None else None, True)
    path = keys_dir() / slug / "seal.p12"
    if env_pass is not None:
        return SealSource(path, env_pass.encode(), False)
    side = path.with_name("seal.passphrase")
    if side.exists() and not settings.PRODUCTION:
        return SealSource(path, side.read_text().strip().encode(), False)
    return SealSource(path, None, False)


def _name(common_name: str, organisation: str, unit: str = ""):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "AL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def development_ca():
    """The development CA (created on first call): (certificate, private key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    cert_path = keys_dir() / "development-ca.pem"
    key_path = keys_dir() / "development-ca.key"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(
        "Sportel DEVELOPMENT CA - not for real documents", "Sportel development", DEV_LABEL
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def init_development_seal(
    slug: str, municipality_name: str, *, rotate: bool = False
) -> tuple[Path, bool]:
    """Create the development seal of a municipality; returns (path, created).

    An existing seal is kept unless ``rotate``: then it is renamed ``seal-<date>.p12`` (kept, so
    its certificate can still be inspected) and a new key and certificate replace it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    if settings.PRODUCTION:
        raise SealKeyError(
            "Development seals are refused in production: install the qualified seal's PKCS#12 "
            f"and set {env_name(slug, 'P12')} and {env_name(slug, 'PASSPHRASE')}."
        )
    path = keys_dir() / slug / "seal.p12"
    if path.exists() and not rotate:
        return path, False
    if path.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path.rename(path.with_name(f"seal-{stamp}.p12"))
    ca_cert, ca_key = development_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    organisation = f"Bashkia {municipality_name}"
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            _name(f"{organisation} - vulë elektronike (DEV)"[:64], organisation, DEV_LABEL)
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    source = seal_source(slug)
    passphrase = (
        source.passphrase
        if source.passphrase is not None and not source.from_env
        else secrets.token_urlsafe(24).encode()
    )
    data = pkcs12.serialize_key_and_certificates(
        name=f"{slug}-seal".encode(),
        key=key,
        cert=cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_private(path, data)
    if os.environ.get(env_name(slug, "PASSPHRASE")) is None:
        _write_private(path.with_name("seal.passphrase"), passphrase + b"\n")
    # A process that had the old seal loaded notices the new file by itself (sealing.load_seal).
    return path, True


def trust_root_files() -> list[Path]:
    files: list[Path] = []
    if not settings.PRODUCTION:
        files += sorted(keys_dir().glob("development-ca*.pem"))
    for item in (os.environ.get("SPORTEL_TRUST_ROOTS") or "").split(","):
        if item.strip():
            files.append(Path(item.strip()))
    return files


def trust_roots() -> list:
    """asn1crypto certificates of every configured trust root (for pyHanko's validation)."""
    from asn1crypto import pem, x509

    roots = []
    for path in trust_root_files():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for _type, _headers, der in pem.unarmor(data, multiple=True):
            roots.append(x509.Certificate.load(der))
    return roots


def log_key_path() -> Path:
    return Path(os.environ.get("SPORTEL_LOG_KEY_FILE") or keys_dir() / "transparency-log.pem")


class LogKeyMissing(SealKeyError):
    """The transparency log's key is not where it should be: restore it, never replace it."""


_log_key_cache: dict = {}


def read_log_private_key():
    """The Ed25519 key that signs tree heads; LogKeyMissing when it is not there.

    Reading never creates a key: a key created silently after a restore would sign a second,
    unrelated history, and every earlier tree head would fail verification.
    """
    from cryptography.hazmat.primitives import serialization

    path = log_key_path()
    try:
        st = path.stat()
    except OSError:
        raise LogKeyMissing(
            f"The transparency log key is missing: {path} (SPORTEL_LOG_KEY_FILE). Restore it "
            "from the backup (sportel restore puts it back); create a new one only for a new, "
            "empty log: sportel keys init-log."
        ) from None
    stamp = (str(path), st.st_ino, st.st_mtime_ns)
    key = _log_key_cache.get(stamp)
    if key is None:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        _log_key_cache.clear()
        _log_key_cache[stamp] = key
    return key


def create_log_key():
    """Create the log key (development, or a new empty log); refused if one exists."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = log_key_path()
    if path.exists():
        raise SealKeyError(f"{path} exists already: a log has one key for its whole history.")
    key = ed25519.Ed25519PrivateKey.generate()
    _write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return key


def log_private_key(*, create: bool = False):
    """The log key; with ``create``, made on first use outside production (a fresh installation:
    ``sportel keys init``, the demo). Everything that only reads or verifies passes no flag."""
    try:
        return read_log_private_key()
    except LogKeyMissing:
        if not create or settings.PRODUCTION:
            raise
    return create_log_key()


def slug_of(value: str) -> str:
    return slugify(value)
