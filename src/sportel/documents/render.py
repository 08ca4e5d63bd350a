"""PDF/A-2b rendering of a one-page municipal certificate, written directly (no layout engine).

Why a small writer of our own rather than fpdf2, reportlab or WeasyPrint: see
docs/decisions/0005-pdf-library.md. In short, a certificate is one page of known layout, and the
general libraries spend 20–100 ms per document parsing and subsetting the TrueType font; the
sealing target (75 documents/s on 2 cores, render + seal + register) leaves ~10 ms for rendering.
Here everything constant — the embedded font programs (DejaVu Sans, pre-subset to the Latin
ranges, shipped in ``fonts/``), their widths and ToUnicode maps, the sRGB output intent — is
serialised once per process; each document only writes its page content, its XMP metadata and
its empty signature field, whose appearance (drawn with the same embedded font) pyHanko keeps
when it seals (``NoOpStampStyle``), so the sealed file stays PDF/A.

PDF/A-2b points this writer takes care of: binary header comment, trailer ``/ID``, XMP metadata
with ``pdfaid:part``/``conformance`` (uncompressed), an sRGB ``GTS_PDFA1`` output intent, every
font embedded (CIDFontType2 with ``CIDToGIDMap /Identity`` and widths from the font), DeviceRGB
colours only, no transparency, every annotation printable with an appearance stream.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FONT_FILES = {
    "R": HERE / "fonts" / "DejaVuSans-Latin.ttf",
    "B": HERE / "fonts" / "DejaVuSans-Bold-Latin.ttf",
}
ICC_FILE = HERE / "icc" / "sRGB2014.icc"
SIGNATURE_FIELD = "SportelSeal"

A4 = (595.28, 841.89)
MARGIN = 56.0

# Colours (DeviceRGB; the output intent is sRGB).
INK = (0.11, 0.11, 0.13)
MUTED = (0.33, 0.35, 0.38)
ACCENT = (0.70, 0.09, 0.13)  # the red of the Albanian flag, for rules and the shield
RULE = (0.78, 0.80, 0.82)
SAMPLE_INK = (0.96, 0.80, 0.80)  # a pale red: SAMPLE under the text, without transparency
PANEL = (0.96, 0.96, 0.97)


class Font:
    """One embedded TrueType font: glyph ids, advance widths and the PDF objects that embed it."""

    def __init__(self, path: Path, key: str):
        from fontTools.ttLib import TTFont

        data = path.read_bytes()
        tt = TTFont(path, lazy=False)
        order = {name: gid for gid, name in enumerate(tt.getGlyphOrder())}
        upm = tt["head"].unitsPerEm
        hmtx = tt["hmtx"]
        self.key = key
        self.glyph: dict[int, int] = {}
        self.advance: dict[int, float] = {}
        for cp, name in tt.getBestCmap().items():
            self.glyph[cp] = order[name]
            self.advance[cp] = hmtx[name][0] * 1000 / upm
        self.charset = frozenset(chr(cp) for cp in self.glyph)
        self.base_name = tt["name"].getDebugName(6) or f"DejaVuSans-{key}"
        head, hhea, os2, post = tt["head"], tt["hhea"], tt["OS/2"], tt["post"]
        scale = 1000 / upm
        self.bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(hhea.ascent * scale)
        self.descent = round(hhea.descent * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", hhea.ascent) * scale)
        self.italic_angle = post.italicAngle
        self.stem_v = 120 if key == "B" else 80
        self.file_bytes = data
        self.compressed = zlib.compress(data, 9)
        # Exact widths (PDF/A validators compare /W with the font program's advances).
        gid_width = sorted({(self.glyph[cp], round(self.advance[cp], 3)) for cp in self.glyph})
        self.widths = " ".join(f"{gid} [{w:g}]" for gid, w in gid_width)
        self.to_unicode = zlib.compress(_to_unicode_cmap(self.glyph), 9)

    def has(self, ch: str) -> bool:
        return ord(ch) in self.glyph

    def width(self, text: str, size: float) -> float:
        advance = self.advance
        return sum(advance.get(ord(ch), 600.0) for ch in text) * size / 1000

    def encode(self, text: str) -> str:
        glyph = self.glyph
        return "".join(f"{glyph.get(ord(ch), 0):04X}" for ch in text)


def _to_unicode_cmap(glyph: dict[int, int]) -> bytes:
    pairs = sorted((gid, cp) for cp, gid in glyph.items() if cp <= 0xFFFF)
    seen: set[int] = set()
    lines = []
    for gid, cp in pairs:
        if gid in seen:
            continue
        seen.add(gid)
        lines.append(f"<{gid:04X}> <{cp:04X}>")
    chunks = [lines[i : i + 100] for i in range(0, len(lines), 100)]
    body = "\n".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar" for c in chunks)
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


@cache
def fonts() -> dict[str, Font]:
    """Parsed once per process: the fonts never change while it runs."""
    return {key: Font(path, key) for key, path in FONT_FILES.items()}


def printable(text: str, font: Font) -> str:
    """Text the embedded font can draw: letters outside it lose their accents, or become '?'."""
    text = str(text)
    if font.charset.issuperset(text):
        return text
    out = []
    for ch in text:
        if font.has(ch):
            out.append(ch)
            continue
        if ch in "\r\n\t":
            out.append(" ")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if font.has(c))
        out.append(base or "?")
    return "".join(out)


# --- Object serialisation ----------------------------------------------------------------------
# Fixed object numbers: the constant objects are serialised once and reused byte for byte.
OBJ_CATALOG, OBJ_PAGES, OBJ_PAGE, OBJ_CONTENT, OBJ_XMP, OBJ_ICC = 1, 2, 3, 4, 5, 6
OBJ_FIELD, OBJ_FIELD_AP = 7, 8
FONT_OBJECTS = {"R": 9, "B": 14}  # Type0, CIDFont, FontDescriptor, FontFile2, ToUnicode


def _stream(num: int, data: bytes, extra: str = "", *, compressed: bool = True) -> bytes:
    filt = " /Filter /FlateDecode" if compressed else ""
    head = f"{num} 0 obj\n<< /Length {len(data)}{filt}{extra} >>\nstream\n".encode("ascii")
    return head + data + b"\nendstream\nendobj\n"


def _obj(num: int, body: str) -> bytes:
    return f"{num} 0 obj\n{body}\nendobj\n".encode("ascii")


def _font_objects(font: Font, first: int) -> list[tuple[int, bytes]]:
    t0, cid, desc, ff, tu = range(first, first + 5)
    name = "".join(ch for ch in font.base_name if ch.isalnum() or ch == "-")
    return [
        (
            t0,
            _obj(
                t0,
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
                f"/DescendantFonts [{cid} 0 R] /ToUnicode {tu} 0 R >>",
            ),
        ),
        (
            cid,
            _obj(
                cid,
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                f"/FontDescriptor {desc} 0 R /CIDToGIDMap /Identity /DW 1000 "
                f"/W [{font.widths}] >>",
            ),
        ),
        (
            desc,
            _obj(
                desc,
                f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 "
                f"/FontBBox [{' '.join(map(str, font.bbox))}] /ItalicAngle {font.italic_angle} "
                f"/Ascent {font.ascent} /Descent {font.descent} /CapHeight {font.cap_height} "
                f"/StemV {font.stem_v} /FontFile2 {ff} 0 R >>",
            ),
        ),
        (ff, _stream(ff, font.compressed, f" /Length1 {len(font.file_bytes)}")),
        (tu, _stream(tu, font.to_unicode)),
    ]


@cache
def constant_objects() -> list[tuple[int, bytes]]:
    """The font programs and the ICC profile: identical in every document."""
    icc = ICC_FILE.read_bytes()
    objects = [(OBJ_ICC, _stream(OBJ_ICC, zlib.compress(icc, 9), " /N 3"))]
    for key, first in FONT_OBJECTS.items():
        objects += _font_objects(fonts()[key], first)
    return objects


FONT_RESOURCES = " ".join(f"/F{key} {num} 0 R" for key, num in FONT_OBJECTS.items())
OBJ_EMBLEM = max(FONT_OBJECTS.values()) + 5
LAST_OBJECT = OBJ_EMBLEM


@dataclass(frozen=True)
class Emblem:
    """A municipality's emblem as an embeddable JPEG (RGB, no transparency: PDF/A-safe)."""

    jpeg: bytes
    width: int
    height: int


def load_emblem(path: Path) -> Emblem | None:
    """Read a PNG/JPEG emblem, flatten it on white, re-encode as RGB JPEG; None if unusable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.thumbnail((300, 300))
            rgba = image.convert("RGBA")
    except (OSError, UnidentifiedImageError):
        return None
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=90)
    return Emblem(out.getvalue(), flat.width, flat.height)


# --- Page content --------------------------------------------------------------------------------
@dataclass
class Canvas:
    """A content stream under construction, in PDF points from the bottom-left corner."""

    ops: list[str] = field(default_factory=list)

    def color(self, rgb, *, stroke: bool = False) -> None:
        self.ops.append(f"{rgb[0]:.3f} {rgb[1]:.3f} {rgb[2]:.3f} {'RG' if stroke else 'rg'}")

    def text(self, x: float, y: float, text: str, *, size: float = 10, bold: bool = False, rgb=INK):
        font = fonts()["B" if bold else "R"]
        self.color(rgb)
        self.ops.append(
            f"BT /F{font.key} {size:.2f} Tf {x:.2f} {y:.2f} Td <{font.encode(printable(text, font))}> Tj ET"
        )

    def text_right(self, x_right: float, y: float, text: str, *, size=10, bold=False, rgb=INK):
        font = fonts()["B" if bold else "R"]
        text = printable(text, font)
        self.text(x_right - font.width(text, size), y, text, size=size, bold=bold, rgb=rgb)

    def text_center(self, x_mid: float, y: float, text: str, *, size=10, bold=False, rgb=INK):
        font = fonts()["B" if bold else "R"]
        text = printable(text, font)
        self.text(x_mid - font.width(text, size) / 2, y, text, size=size, bold=bold, rgb=rgb)

    def rect(self, x, y, w, h, *, fill=None, stroke=None, width: float = 0.75) -> None:
        if fill is not None:
            self.color(fill)
        if stroke is not None:
            self.color(stroke, stroke=True)
            self.ops.append(f"{width:.2f} w")
        op = "B" if fill is not None and stroke is not None else ("f" if fill is not None else "S")
        self.ops.append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re {op}")

    def line(self, x1, y1, x2, y2, *, rgb=RULE, width: float = 0.75) -> None:
        self.color(rgb, stroke=True)
        self.ops.append(f"{width:.2f} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    def raw(self, op: str) -> None:
        self.ops.append(op)

    def bytes(self) -> bytes:
        return "\n".join(self.ops).encode("ascii")


def wrap(text: str, width: float, *, size: float, bold: bool = False) -> list[str]:
    """Greedy line breaking on spaces, measuring each word once; a word wider than the line (a
    URL, a long reference) is broken by characters rather than drawn past the margin."""
    font = fonts()["B" if bold else "R"]
    space = font.width(" ", size)
    lines: list[str] = []
    for paragraph in printable(text, font).splitlines() or [""]:
        current: list[str] = []
        used = 0.0
        for word in paragraph.split():
            w = font.width(word, size)
            if w > width:
                if current:
                    lines.append(" ".join(current))
                *full, word = _chunks(word, width, size=size, bold=bold)
                lines += full
                w = font.width(word, size)
                current, used = [], 0.0
            if current and used + space + w > width:
                lines.append(" ".join(current))
                current, used = [word], w
            else:
                used += (space if current else 0) + w
                current.append(word)
        lines.append(" ".join(current))
    return lines


def _chunks(text: str, width: float, *, size: float, bold: bool = False) -> list[str]:
    """Break a long token (a URL) by characters to fit a width."""
    font = fonts()["B" if bold else "R"]
    lines, current = [], ""
    for ch in text:
        if current and font.width(current + ch, size) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current] if current else lines


def qr_matrix(url: str) -> list[list[bool]]:
    import qrcode

    # A fixed mask pattern: the standard allows any of the eight, and scoring all eight (what
    # qrcode does by default) costs ~5 ms per document.
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2
    )
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(url)
    n = len(matrix)
    cell = size / n
    canvas.rect(x - 4, y - 4, size + 8, size + 8, fill=(1, 1, 1))
    canvas.color(INK)
    parts = []
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * cell
        col = 0
        while col < n:
            if cells[col]:
                start = col
                while col < n and cells[col]:
                    col += 1
                parts.append(
                    f"{x + start * cell:.3f} {top:.3f} {(col - start) * cell:.3f} {cell:.3f} re"
                )
            else:
                col += 1
    canvas.raw("\n".join(parts) + "\nf")


def draw_shield(canvas: Canvas, x: float, y: float, w: float, h: float, label: str) -> None:
    """A plain heraldic shield with the municipality's code: a neutral stand-in for its emblem."""
    k = 0.5523
    bottom = y
    mid = x + w / 2
    canvas.color(ACCENT)
    canvas.raw(
        f"{x:.2f} {y + h:.2f} m {x + w:.2f} {y + h:.2f} l {x + w:.2f} {y + h * 0.45:.2f} l "
        f"{x + w:.2f} {y + h * 0.45 - h * 0.45 * k:.2f} {mid + w / 2 * k:.2f} {bottom:.2f} {mid:.2f} {bottom:.2f} c "
        f"{mid - w / 2 * k:.2f} {bottom:.2f} {x:.2f} {y + h * 0.45 - h * 0.45 * k:.2f} {x:.2f} {y + h * 0.45:.2f} c h f"
    )
    canvas.color((1, 1, 1), stroke=True)
    inset = 3
    canvas.raw(
        f"1.2 w {x + inset:.2f} {y + h - inset:.2f} m {x + w - inset:.2f} {y + h - inset:.2f} l "
        f"{x + w - inset:.2f} {y + h * 0.45:.2f} l "
        f"{x + w - inset:.2f} {y + h * 0.45 - (h * 0.45 - inset) * k:.2f} {mid + (w / 2 - inset) * k:.2f} {bottom + inset:.2f} {mid:.2f} {bottom + inset:.2f} c "
        f"{mid - (w / 2 - inset) * k:.2f} {bottom + inset:.2f} {x + inset:.2f} {y + h * 0.45 - (h * 0.45 - inset) * k:.2f} {x + inset:.2f} {y + h * 0.45:.2f} c h S"
    )
    canvas.text_center(mid, y + h * 0.48, label, size=w * 0.3, bold=True, rgb=(1, 1, 1))


# --- The certificate -------------------------------------------------------------------------
@dataclass
class Certificate:
    """Everything printed on one certificate, already in the document's language."""

    language: str
    country: str  # "REPUBLIKA E SHQIPËRISË"
    issuer: str  # "BASHKIA SHKODËR"
    issuer_code: str  # "SHK"
    issuer_contact: str  # address · phone · email · website
    title: str
    code: str  # the document code, formatted for reading
    code_label: str
    issued_label: str
    issued_at: str  # formatted date and time
    case_label: str
    case_reference: str
    holder_label: str
    holder: str
    fields: list[tuple[str, str]]
    body: str
    verify_url: str
    verify_caption: str
    footer: str
    seal_lines: list[str]  # printed in the seal's appearance
    sample_banner: str = ""  # non-empty on samples: printed across the page
    emblem: Emblem | None = None  # the municipality's emblem; a plain shield when absent
    pdf_title: str = ""
    pdf_author: str = ""
    created: datetime | None = None


class DoesNotFit(ValueError):
    """The certificate's content is longer than its one page: nothing may be left off silently."""


# Lowest baseline for the title, the fields and the text: above the QR code and the seal.
CONTENT_FLOOR = 230.0


def _page_content(c: Certificate) -> bytes:
    width, height = A4
    cv = Canvas()
    right = width - MARGIN
    inner = right - MARGIN

    if c.sample_banner:
        # Under everything else, in a pale colour: readable text stays readable above it.
        font = fonts()["B"]
        size = min(60.0, 500 / max(font.width(printable(c.sample_banner, font), 1), 1))
        cv.raw("q 0.8660 0.5 -0.5 0.8660 105 240 cm")
        cv.text(0, 0, c.sample_banner, size=size, bold=True, rgb=SAMPLE_INK)
        cv.raw("Q")

    # Header: shield, country, issuer, contact line, red rule.
    top = height - MARGIN
    if c.emblem is not None:
        scale = min(50 / c.emblem.width, 62 / c.emblem.height)
        w, h = c.emblem.width * scale, c.emblem.height * scale
        cv.raw(
            f"q {w:.2f} 0 0 {h:.2f} {MARGIN + (50 - w) / 2:.2f} {top - 62 + (62 - h) / 2:.2f} cm /Em Do Q"
        )
    else:
        draw_shield(cv, MARGIN, top - 62, 50, 62, c.issuer_code)
    cv.text(MARGIN + 66, top - 14, c.country, size=9.5, rgb=MUTED)
    bold = fonts()["B"]
    issuer_size = min(18.0, (inner - 66) / max(bold.width(printable(c.issuer, bold), 1), 0.01))
    cv.text(MARGIN + 66, top - 36, c.issuer, size=issuer_size, bold=True)
    y = top - 52
    for line in wrap(c.issuer_contact, inner - 66, size=8.5)[:2]:
        cv.text(MARGIN + 66, y, line, size=8.5, rgb=MUTED)
        y -= 11
    cv.line(MARGIN, top - 76, right, top - 76, rgb=ACCENT, width=2)

    # Code and date block on the right, under the rule.
    y = top - 98
    cv.text_right(right, y, f"{c.code_label}: {c.code}", size=9.5, bold=True)
    cv.text_right(right, y - 13, f"{c.issued_label}: {c.issued_at}", size=9.5, rgb=MUTED)
    if c.case_reference:
        cv.text_right(right, y - 26, f"{c.case_label}: {c.case_reference}", size=9.5, rgb=MUTED)

    # Title.
    y = top - 160
    for line in wrap(c.title.upper(), inner, size=19, bold=True):
        cv.text_center(width / 2, y, line, size=19, bold=True)
        y -= 25
    cv.line(width / 2 - 40, y + 12, width / 2 + 40, y + 12, rgb=ACCENT, width=1.5)
    y -= 18
    if y < CONTENT_FLOOR:
        raise DoesNotFit("the title needs more than one page")

    # Holder and fields as a two-column table; labels and values both wrap in their column.
    rows = ([(c.holder_label, c.holder)] if c.holder else []) + list(c.fields)
    label_w = 170
    for label, value in rows:
        values = wrap(value, inner - label_w - 12, size=11, bold=True)
        labels = wrap(label, label_w - 20, size=9.5)
        row_h = 8 + 14 * max(len(values), len(labels))
        if y - row_h + 10 < CONTENT_FLOOR:
            raise DoesNotFit(f"the fields need more than one page (at {label!r})")
        cv.rect(MARGIN, y - row_h + 10, inner, row_h, fill=PANEL)
        for i, line in enumerate(labels):
            cv.text(MARGIN + 8, y - 4 - 14 * i, line, size=9.5, rgb=MUTED)
        for i, line in enumerate(values):
            cv.text(MARGIN + label_w, y - 4 - 14 * i, line, size=11, bold=True)
        y -= row_h + 4

    # Free text.
    if c.body:
        y -= 10
        lines = wrap(c.body, inner, size=10.5)
        if y - 15 * (len(lines) - 1) < CONTENT_FLOOR:
            raise DoesNotFit("the text needs more than one page")
        for line in lines:
            cv.text(MARGIN, y, line, size=10.5)
            y -= 15

    # Bottom: QR and its caption on the left; the seal field on the right (drawn by its widget).
    qr_size = 96
    qr_y = 118
    draw_qr(cv, c.verify_url, MARGIN + 4, qr_y, qr_size)
    text_x = MARGIN + qr_size + 18
    text_w = SEAL_BOX[0] - text_x - 10
    y = qr_y + qr_size - 10
    for line in wrap(c.verify_caption, text_w, size=9, bold=True)[:2]:
        cv.text(text_x, y, line, size=9, bold=True)
        y -= 12
    cv.text(text_x, y - 2, c.code, size=9)
    y -= 16
    for line in _chunks(c.verify_url, text_w, size=7.5)[:3]:
        cv.text(text_x, y, line, size=7.5, rgb=MUTED)
        y -= 10

    cv.line(MARGIN, 90, right, 90)
    fy = 76
    for line in wrap(c.footer, inner, size=7.5)[:4]:
        cv.text(MARGIN, fy, line, size=7.5, rgb=MUTED)
        fy -= 10
    if c.sample_banner:
        cv.text_center(width / 2, 28, c.sample_banner, size=9, bold=True, rgb=ACCENT)
    return zlib.compress(cv.bytes(), 6)


SEAL_BOX = (A4[0] - MARGIN - 215, 112, A4[0] - MARGIN, 212)  # x1, y1, x2, y2


def _seal_appearance(lines: list[str]) -> bytes:
    x1, y1, x2, y2 = SEAL_BOX
    w, h = x2 - x1, y2 - y1
    cv = Canvas()
    cv.rect(0.75, 0.75, w - 1.5, h - 1.5, fill=(1, 1, 1), stroke=ACCENT, width=1.5)
    cv.rect(0.75, h - 22, w - 1.5, 21.25, fill=ACCENT)
    if lines:
        cv.text(10, h - 15.5, lines[0], size=9, bold=True, rgb=(1, 1, 1))
    y = h - 36
    for i, line in enumerate(lines[1:]):
        for part in wrap(line, w - 20, size=8.5, bold=i == 0)[:2]:
            cv.text(10, y, part, size=8.5, bold=i == 0, rgb=INK if i == 0 else MUTED)
            y -= 11.5
    return zlib.compress(cv.bytes(), 6)


def _xmp(c: Certificate, created: str) -> bytes:
    lang = escape(c.language)
    title = escape(c.pdf_title or c.title)
    author = escape(c.pdf_author or c.issuer)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>
   <xmp:CreatorTool>Sportel</xmp:CreatorTool>
   <xmp:CreateDate>{created}</xmp:CreateDate>
   <xmp:ModifyDate>{created}</xmp:ModifyDate>
   <xmp:MetadataDate>{created}</xmp:MetadataDate>
   <pdf:Producer>Sportel</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def render(c: Certificate) -> bytes:
    """The certificate as PDF/A-2b bytes, with an empty signature field for the seal."""
    width, height = A4
    created = (c.created or datetime.now().astimezone()).isoformat(timespec="seconds")
    x1, y1, x2, y2 = SEAL_BOX
    content = _page_content(c)
    objects: list[tuple[int, bytes]] = [
        (
            OBJ_CATALOG,
            _obj(
                OBJ_CATALOG,
                f"<< /Type /Catalog /Pages {OBJ_PAGES} 0 R /Metadata {OBJ_XMP} 0 R "
                f"/Lang ({_pdf_text(c.language)}) "
                f"/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 "
                f"/OutputConditionIdentifier (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) "
                f"/Info (sRGB IEC61966-2.1) /DestOutputProfile {OBJ_ICC} 0 R >>] "
                f"/AcroForm << /Fields [{OBJ_FIELD} 0 R] /SigFlags 0 >> >>",
            ),
        ),
        (OBJ_PAGES, _obj(OBJ_PAGES, f"<< /Type /Pages /Kids [{OBJ_PAGE} 0 R] /Count 1 >>")),
        (
            OBJ_PAGE,
            _obj(
                OBJ_PAGE,
                f"<< /Type /Page /Parent {OBJ_PAGES} 0 R /MediaBox [0 0 {width} {height}] "
                f"/Resources << /Font << {FONT_RESOURCES} >>"
                + (f" /XObject << /Em {OBJ_EMBLEM} 0 R >>" if c.emblem is not None else "")
                + f" >> /Contents {OBJ_CONTENT} 0 R "
                f"/Annots [{OBJ_FIELD} 0 R] >>",
            ),
        ),
        (OBJ_CONTENT, _stream(OBJ_CONTENT, content)),
        (
            OBJ_XMP,
            _stream(OBJ_XMP, _xmp(c, created), " /Type /Metadata /Subtype /XML", compressed=False),
        ),
        (
            OBJ_FIELD,
            _obj(
                OBJ_FIELD,
                f"<< /FT /Sig /T ({SIGNATURE_FIELD}) /Type /Annot /Subtype /Widget /F 132 "
                f"/Rect [{x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f}] /P {OBJ_PAGE} 0 R "
                f"/AP << /N {OBJ_FIELD_AP} 0 R >> >>",
            ),
        ),
        (
            OBJ_FIELD_AP,
            _stream(
                OBJ_FIELD_AP,
                _seal_appearance(c.seal_lines),
                f" /Type /XObject /Subtype /Form /BBox [0 0 {x2 - x1:.2f} {y2 - y1:.2f}] "
                f"/Resources << /Font << {FONT_RESOURCES} >> >>",
            ),
        ),
        *constant_objects(),
    ]
    if c.emblem is None:
        objects.append((OBJ_EMBLEM, _obj(OBJ_EMBLEM, "null")))  # keeps the xref dense
    else:
        objects.append(
            (
                OBJ_EMBLEM,
                _stream(
                    OBJ_EMBLEM,
                    c.emblem.jpeg,
                    f" /Type /XObject /Subtype /Image /Width {c.emblem.width} "
                    f"/Height {c.emblem.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                    "/Filter /DCTDecode",
                    compressed=False,
                ),
            )
        )
    objects.sort()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num, data in objects:
        offsets[num] = len(out)
        out += data
    xref_at = len(out)
    size = LAST_OBJECT + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode("ascii")
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode("ascii")
    file_id = hashlib.md5(content + created.encode(), usedforsecurity=False).hexdigest().upper()
    out += (
        f"trailer\n<< /Size {size} /Root {OBJ_CATALOG} 0 R /ID [<{file_id}> <{file_id}>] >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


def _pdf_text(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum() or ch == "-")
