"""The certificate's PDF: kept as one import for callers; the code lives in :mod:`.pdf`.

Why a small writer of our own rather than fpdf2, reportlab or WeasyPrint: see
docs/decisions/0005-pdf-library.md. In short, a certificate is one page of known layout, and the
general libraries spend 20–100 ms per document parsing and subsetting the TrueType font; the
sealing target (75 documents/s on 2 cores, render + seal + register) leaves ~10 ms for rendering.
Everything constant (fonts, widths, ToUnicode maps, the sRGB output intent) is serialised once
per process; each document writes its page content, structure tree, XMP metadata and its empty
signature field, whose appearance pyHanko keeps when it seals, so the sealed file stays PDF/A.
"""

from .pdf.certificate import (
    A4,
    MARGIN,
    SEAL_BOX,
    SIGNATURE_FIELD,
    Certificate,
    DoesNotFit,
    constant_objects,
    render,
)
from .pdf.drawing import Canvas, Emblem, draw_qr, load_emblem, qr_matrix, wrap
from .pdf.fonts import Font, fonts, printable

__all__ = [
    "A4",
    "MARGIN",
    "SEAL_BOX",
    "SIGNATURE_FIELD",
    "Canvas",
    "Certificate",
    "DoesNotFit",
    "Emblem",
    "Font",
    "constant_objects",
    "draw_qr",
    "fonts",
    "load_emblem",
    "printable",
    "qr_matrix",
    "render",
    "wrap",
]


def warm_up() -> None:
    """Parse the fonts and serialise the constant objects now, not on the first issuance."""
    constant_objects()
