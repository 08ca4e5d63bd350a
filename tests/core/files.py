"""Small real files for upload tests: PDFs that parse, and a PNG decompression bomb."""

import struct
import zlib


def pdf(*, catalog: str = "", objects: tuple[str, ...] = ()) -> bytes:
    """A one-page PDF with a correct cross-reference table.

    ``catalog`` is added inside the catalogue dictionary (e.g. ``/OpenAction 4 0 R``);
    ``objects`` are further objects numbered from 4 on (their bodies, without ``obj``).
    """
    bodies = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 13000, height: int = 13000, *, complete: bool = True) -> bytes:
    """A greyscale PNG of width × height black pixels: a few hundred KB that would decode to
    width × height bytes (169 MB for the default), built without decoding anything.

    ``complete=False`` keeps the header and cuts the pixel data to one row: a decoder would
    call it damaged, so a refusal that names the pixel count proves nothing was decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    # Each row is a filter byte (0, none) and width zero pixels: the whole stream is zeros.
    remaining = (width + 1) * (height if complete else 1)
    compressor = zlib.compressobj(9)
    parts = []
    block = b"\x00" * (8 * 1024 * 1024)
    while remaining > 0:
        parts.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    data = b"".join(parts) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )
