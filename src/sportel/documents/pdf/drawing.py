"""Drawing on a page: a content-stream canvas, line breaking, the QR code, the shield, emblems.

Every piece of page content is either inside a marked-content sequence tied to a structure
element (:class:`Node`, read aloud by screen readers in order) or marked as an ``/Artifact``
(rules, panels, backgrounds), as PDF/UA (ISO 14289-1) asks.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .fonts import fonts, printable

# Colours (DeviceRGB; the output intent is sRGB).
INK = (0.11, 0.11, 0.13)
MUTED = (0.33, 0.35, 0.38)
ACCENT = (0.70, 0.09, 0.13)  # the red of the Albanian flag, for rules and the shield
RULE = (0.78, 0.80, 0.82)
SAMPLE_INK = (0.96, 0.80, 0.80)  # a pale red: SAMPLE under the text, without transparency
PANEL = (0.96, 0.96, 0.97)


@dataclass
class Node:
    """A structure element: a standard type (``H1``, ``P``, ``Table``, ``TD``, ``Figure`` …) whose
    kids are other nodes, marked-content ids on the page, or annotation object numbers."""

    tag: str
    kids: list = field(default_factory=list)
    alt: str = ""

    def add(self, tag: str, *, alt: str = "") -> Node:
        node = Node(tag, alt=alt)
        self.kids.append(node)
        return node


@dataclass(frozen=True)
class Annotation:
    """A structure kid that is an annotation (the seal's widget), not page content."""

    number: int


@dataclass
class Canvas:
    """A content stream under construction, in PDF points from the bottom-left corner."""

    ops: list[str] = field(default_factory=list)
    next_mcid: int = 0
    tagged: bool = True  # False for appearance streams (not page content: nothing to tag)

    @contextmanager
    def mark(self, node: Node):
        """Content drawn inside belongs to ``node`` (one marked-content sequence)."""
        if not self.tagged:
            yield
            return
        mcid = self.next_mcid
        self.next_mcid += 1
        node.kids.append(mcid)
        self.ops.append(f"/{node.tag} <</MCID {mcid}>> BDC")
        yield
        self.ops.append("EMC")

    @contextmanager
    def artifact(self):
        """Content drawn inside is decoration a screen reader skips."""
        if not self.tagged:
            yield
            return
        self.ops.append("/Artifact BMC")
        yield
        self.ops.append("EMC")

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
        w = font.width(text.rstrip(), size)
        self.text(x_right - w, y, text, size=size, bold=bold, rgb=rgb)

    def text_center(self, x_mid: float, y: float, text: str, *, size=10, bold=False, rgb=INK):
        font = fonts()["B" if bold else "R"]
        text = printable(text, font)
        w = font.width(text.rstrip(), size)
        self.text(x_mid - w / 2, y, text, size=size, bold=bold, rgb=rgb)

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
                *full, word = chunks(word, width, size=size, bold=bold)
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


def spaced(lines: list[str]) -> list[str]:
    """Lines of one paragraph with the space a line break replaced kept at each line's end
    (invisible): text extraction and screen readers then read words, not "wordword"."""
    return [line + " " for line in lines[:-1]] + lines[-1:]


def chunks(text: str, width: float, *, size: float, bold: bool = False) -> list[str]:
    """Break a long token (a URL) by characters to fit a width."""
    # Summed as it grows (what font.width would sum for each prefix, in the same order): a
    # certificate's verification URL is new every time, and measuring each of its prefixes
    # would fill the fonts' memo with texts never seen again.
    advance = fonts()["B" if bold else "R"].advance
    lines, current, units = [], "", 0.0
    for ch in text:
        step = advance.get(ord(ch), 600.0)
        if current and (units + step) * size / 1000 > width:
            lines.append(current)
            current, units = "", 0.0
        current += ch
        units += step
    return [*lines, current] if current else lines


def qr_matrix(url: str) -> list[list[bool]]:
    from .qr import qr_matrix as encode  # level M, mask pattern 2 (see qr.py)

    return encode(url)


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
