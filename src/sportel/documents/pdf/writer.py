"""PDF objects and the file around them: numbered objects, streams, xref table and trailer.

Nothing here knows what a certificate looks like; :mod:`.certificate` decides the objects.
"""

from __future__ import annotations

import hashlib


def stream(num: int, data: bytes, extra: str = "", *, compressed: bool = True) -> bytes:
    """Object ``num`` as a stream (``data`` already deflated unless ``compressed`` is False)."""
    filt = " /Filter /FlateDecode" if compressed else ""
    head = f"{num} 0 obj\n<< /Length {len(data)}{filt}{extra} >>\nstream\n".encode("ascii")
    return head + data + b"\nendstream\nendobj\n"


def obj(num: int, body: str) -> bytes:
    """Object ``num`` with a dictionary (or other) body written as PDF syntax."""
    return f"{num} 0 obj\n{body}\nendobj\n".encode("ascii")


def text_string(value: str) -> str:
    """A PDF text string: UTF-16BE with BOM, hex-encoded (safe for any character)."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


def name_token(value: str) -> str:
    """Letters, digits and dashes only: enough for a language tag or a font name."""
    return "".join(ch for ch in value if ch.isalnum() or ch == "-")


def write(objects: list[tuple[int, bytes]], *, root: int, id_seed: bytes) -> bytes:
    """The whole file: header, ``objects`` (numbered densely from 1), xref, trailer.

    ``id_seed`` makes the trailer's /ID (PDF/A wants one): the same content and time give the
    same identifier.
    """
    objects = sorted(objects)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")  # a binary comment, as PDF/A asks
    offsets = {}
    for num, data in objects:
        offsets[num] = len(out)
        out += data
    xref_at = len(out)
    size = max(offsets) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode("ascii")
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode("ascii")
    file_id = hashlib.md5(id_seed, usedforsecurity=False).hexdigest().upper()
    out += (
        f"trailer\n<< /Size {size} /Root {root} 0 R /ID [<{file_id}> <{file_id}>] >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)
