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


def seal_a_sample() -> None:
    """Render and seal one throw-away sample per loaded seal, in memory (nothing stored or
    registered): imports the rest of pyHanko's signing path and lets each seal's CMS template
    be learnt (documents/cms.py) before a resident's document needs it."""
    from .pdf.certificate import Certificate, render
    from .sealing import loaded_seals

    sample = Certificate(
        language="sq",
        country="",
        issuer="",
        issuer_code="",
        issuer_contact="",
        title="warm-up",
        code="",
        code_label="",
        issued_label="",
        issued_at="",
        case_label="",
        case_reference="",
        holder_label="",
        holder="",
        fields=[("a", "b")],
        body="",
        verify_url="https://localhost/verify/",
        verify_caption="",
        footer="",
        seal_lines=["warm-up"],
        sample_banner="SAMPLE",
    )
    pdf = render(sample)
    for seal in loaded_seals():
        seal.seal(pdf)


def load_log_key() -> None:
    """The transparency log's signing key, if present (never created here)."""
    from .keys import log_key_path, read_log_private_key

    if log_key_path().exists():
        read_log_private_key()
