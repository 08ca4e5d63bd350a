"""The certificate's QR encoder (documents/pdf/qr.py) against the qrcode library: the same
modules for the same text in byte mode at level M with mask pattern 2, from one-module-block
versions to multi-block ones; zbar reading it off a rendered page is in test_pdf.py."""

import random
import string

import pytest
import qrcode
from qrcode.util import MODE_8BIT_BYTE, QRData

from sportel.documents.pdf.qr import qr_matrix


def reference(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2
    )
    code.add_data(QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE))
    code.make(fit=True)
    return code.get_matrix()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "https://shkoder.sportel.al/verify/SHK-2026-ABCD-EFGH-1234",
        "https://localhost:8000/v/ABCDEFGHJKLMNPQR#k=Zm9vYmFy",
        "Vërtetim banimi për Çelën — ëëëçççË",
    ],
)
def test_known_texts_match_the_qrcode_library(text):
    assert qr_matrix(text) == reference(text)


def test_every_length_to_version_eleven_and_some_beyond_matches_the_qrcode_library():
    """Lengths 0–260 cross versions 1–11 (one to five blocks, 8- and 16-bit counts, version
    information from 7 on, terminators cut short at a version's capacity); a few longer texts
    reach the larger versions."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " ëçË"
    for length in [*range(0, 261), 400, 700, 1000, 1500, 2000]:
        text = "".join(rng.choice(alphabet) for _ in range(length))
        assert qr_matrix(text) == reference(text), length


def test_a_text_too_long_for_any_version_is_refused():
    with pytest.raises(ValueError):
        qr_matrix("x" * 3000)
