"""What a process issuing documents loads when it starts (registered with core.warmup)."""

from __future__ import annotations


def load_fonts() -> None:
    from .pdf.certificate import constant_objects

    constant_objects()  # parses both fonts and serialises them with the ICC profile


def load_seals() -> None:
    """Every active municipality's seal: the PKCS#12 read, its key decrypted, the signer built,
    and pyHanko's modules imported (together ~100–300 ms, once per process)."""
    from sportel.core.models import Municipality

    from .sealing import preload

    preload(Municipality.objects.filter(is_active=True))


def load_log_key() -> None:
    """The transparency log's signing key, if present (never created here)."""
    from .keys import log_key_path, read_log_private_key

    if log_key_path().exists():
        read_log_private_key()
