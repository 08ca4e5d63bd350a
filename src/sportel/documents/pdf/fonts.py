"""The embedded fonts: DejaVu Sans and Sans Bold, pre-subset to the Latin ranges (``fonts/``).

Parsed once per process (fontTools costs ~20 ms a font); each document reuses the serialised
objects byte for byte. PDF/A wants every font embedded with widths that match the program.
"""

from __future__ import annotations

import unicodedata
import zlib
from functools import cache
from pathlib import Path

from .writer import obj, stream

HERE = Path(__file__).resolve().parent.parent
FONT_FILES = {
    "R": HERE / "fonts" / "DejaVuSans-Latin.ttf",
    "B": HERE / "fonts" / "DejaVuSans-Bold-Latin.ttf",
}


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
        self._widths: dict[str, float] = {}
        self._encoded: dict[str, str] = {}

    def has(self, ch: str) -> bool:
        return ord(ch) in self.glyph

    # A certificate measures and encodes the same words and labels document after document
    # (line breaking measures each word): remembered per text, ~200 look-ups a page instead
    # of summing ~2,000 characters' advances. Bounded; a dict's get and set are thread-safe.
    _MEMO_LIMIT = 20_000

    def width(self, text: str, size: float) -> float:
        units = self._widths.get(text)
        if units is None:
            advance = self.advance
            units = sum(advance.get(ord(ch), 600.0) for ch in text)
            if len(self._widths) >= self._MEMO_LIMIT:
                self._widths.clear()
            self._widths[text] = units
        return units * size / 1000

    def encode(self, text: str) -> str:
        hexed = self._encoded.get(text)
        if hexed is None:
            glyph = self.glyph
            hexed = "".join(f"{glyph.get(ord(ch), 0):04X}" for ch in text)
            if len(self._encoded) >= self._MEMO_LIMIT:
                self._encoded.clear()
            self._encoded[text] = hexed
        return hexed


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


def font_objects(font: Font, first: int) -> list[tuple[int, bytes]]:
    """Type0 font, CIDFont, descriptor, font program and ToUnicode map, numbered from ``first``."""
    t0, cid, desc, ff, tu = range(first, first + 5)
    name = "".join(ch for ch in font.base_name if ch.isalnum() or ch == "-")
    return [
        (
            t0,
            obj(
                t0,
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
                f"/DescendantFonts [{cid} 0 R] /ToUnicode {tu} 0 R >>",
            ),
        ),
        (
            cid,
            obj(
                cid,
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                f"/FontDescriptor {desc} 0 R /CIDToGIDMap /Identity /DW 1000 "
                f"/W [{font.widths}] >>",
            ),
        ),
        (
            desc,
            obj(
                desc,
                f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 "
                f"/FontBBox [{' '.join(map(str, font.bbox))}] /ItalicAngle {font.italic_angle} "
                f"/Ascent {font.ascent} /Descent {font.descent} /CapHeight {font.cap_height} "
                f"/StemV {font.stem_v} /FontFile2 {ff} 0 R >>",
            ),
        ),
        (ff, stream(ff, font.compressed, f" /Length1 {len(font.file_bytes)}")),
        (tu, stream(tu, font.to_unicode)),
    ]
