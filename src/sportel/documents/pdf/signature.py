"""The signature's incremental update for a certificate this package rendered, written directly.

pyHanko's ``sign_pdf`` re-reads the file it is given (parser, cross-reference table, the
catalogue, the field), re-parses and rewrites the XMP metadata and writes the update through its
object model: about three quarters of the cost of sealing one certificate. The file here is one
:func:`.certificate.render` just wrote, whose layout is known exactly (object numbers, the
catalogue's and the field's dictionaries, one cross-reference table, the trailer), so the update
pyHanko would append is written here as bytes:

- the catalogue again with ``/SigFlags 3`` and the PAdES (ESIC) developer extension;
- the signature field again, with ``/V`` pointing at the new signature dictionary;
- the signature dictionary (``/Adobe.PPKLite``, ``/ETSI.CAdES.detached``, ``/ByteRange``, the
  reserved ``/Contents``, ``/M``, ``/Reason``, ``/Location``);
- a cross-reference section for those three objects and a trailer with ``/Prev``.

The CMS container itself is made by the seal (``sealing.Seal``). The XMP metadata is left as
the renderer wrote it (PDF/A-2b, consistent with itself; there is no ``/Info`` dictionary to
keep in step). Any file that is not laid out as expected gets ``None`` back, and the caller
seals it with pyHanko instead.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from .certificate import OBJ_CATALOG, OBJ_FIELD, SIGNATURE_FIELD
from .writer import text_string

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_TRAILER = re.compile(
    rb"trailer\n<< /Size (\d+) /Root (\d+) 0 R /ID \[<([0-9A-F]{32})> <\3>\] >>\n"
    rb"startxref\n(\d+)\n%%EOF\n\Z"
)
_ACROFORM = f"/AcroForm << /Fields [{OBJ_FIELD} 0 R] /SigFlags 0 >>".encode("ascii")
_ESIC = (
    b"/Extensions << /ESIC << /Type /DeveloperExtensions /BaseVersion /1.7 /ExtensionLevel 1 >> >>"
)
_BYTE_RANGE = b"/ByteRange [0 0000000000 0000000000 0000000000]"


@dataclass
class Prepared:
    """The certificate with its signature's update appended and ``/Contents`` still zeros."""

    data: bytearray
    contents_start: int  # offset of the '<' that opens /Contents
    contents_end: int  # offset just after the '>' that closes it

    def signed_ranges(self) -> tuple[memoryview, memoryview]:
        view = memoryview(self.data)
        return view[: self.contents_start], view[self.contents_end :]

    def fill(self, cms_der: bytes) -> bytes:
        """The file with the CMS container in the reserved room (zero-padded)."""
        room = self.contents_end - self.contents_start - 2
        hex_der = cms_der.hex().encode("ascii")
        if len(hex_der) > room:
            raise ValueError(f"the CMS container ({len(cms_der)} bytes) does not fit its room")
        self.data[self.contents_start + 1 : self.contents_start + 1 + len(hex_der)] = hex_der
        return bytes(self.data)


def _object_at(pdf: bytes, xref_at: int, size: int, num: int) -> tuple[int, bytes] | None:
    """(offset, dictionary body) of object ``num`` through the file's one xref table."""
    head = f"xref\n0 {size}\n".encode("ascii")
    if not pdf.startswith(head, xref_at) or not 0 < num < size:
        return None
    entry_at = xref_at + len(head) + 20 * num
    entry = pdf[entry_at : entry_at + 20]
    if len(entry) != 20 or not entry.endswith(b" 00000 n \n"):
        return None
    offset = int(entry[:10])
    opening = f"{num} 0 obj\n".encode("ascii")
    if not pdf.startswith(opening, offset):
        return None
    end = pdf.find(b"\nendobj\n", offset)
    if end < 0:
        return None
    body = pdf[offset + len(opening) : end]
    if not (body.startswith(b"<<") and body.endswith(b">>")):
        return None
    return offset, body


def prepare(
    pdf: bytes, *, reserved: int, signed_at: datetime, reason: str, location: str
) -> Prepared | None:
    """The update that seals ``pdf`` with ``reserved`` bytes of room for the CMS, or None when
    ``pdf`` is not a certificate laid out by :func:`.certificate.render` (unsigned)."""
    if not pdf.startswith(HEADER):
        return None
    trailer = _TRAILER.search(pdf, max(0, len(pdf) - 200))
    if trailer is None or int(trailer.group(2)) != OBJ_CATALOG:
        return None
    size, file_id, xref_at = int(trailer.group(1)), trailer.group(3), int(trailer.group(4))
    catalog = _object_at(pdf, xref_at, size, OBJ_CATALOG)
    field = _object_at(pdf, xref_at, size, OBJ_FIELD)
    if catalog is None or field is None:
        return None
    catalog_body, field_body = catalog[1], field[1]
    if catalog_body.count(_ACROFORM) != 1 or b"/Extensions" in catalog_body:
        return None
    if (
        not field_body.startswith(b"<< /FT /Sig /T (" + SIGNATURE_FIELD.encode("ascii") + b") ")
        or b"/V " in field_body
    ):
        return None

    sig_num = size
    new_catalog = (
        catalog_body[:-2].replace(_ACROFORM, _ACROFORM.replace(b"/SigFlags 0", b"/SigFlags 3"))
        + _ESIC
        + b" >>"
    )
    new_field = field_body[:-2] + f"/V {sig_num} 0 R >>".encode("ascii")
    offset = signed_at.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    stamp = f"D:{signed_at:%Y%m%d%H%M%S}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"

    out = bytearray(pdf)
    offsets = {}
    offsets[OBJ_CATALOG] = len(out)
    out += f"{OBJ_CATALOG} 0 obj\n".encode("ascii") + new_catalog + b"\nendobj\n"
    offsets[OBJ_FIELD] = len(out)
    out += f"{OBJ_FIELD} 0 obj\n".encode("ascii") + new_field + b"\nendobj\n"
    offsets[sig_num] = len(out)
    out += f"{sig_num} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ".encode(
        "ascii"
    )
    byte_range_at = len(out)
    out += _BYTE_RANGE + b" /Contents "
    contents_start = len(out)
    out += b"<" + b"0" * (2 * reserved) + b">"
    contents_end = len(out)
    out += (
        f" /M ({stamp}) /Reason {text_string(reason)} /Location {text_string(location)} >>"
        "\nendobj\n"
    ).encode("ascii")
    new_xref = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += f"{num} 1\n{offsets[num]:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {sig_num + 1} /Root {OBJ_CATALOG} 0 R "
        f"/ID [<{file_id.decode('ascii')}> <{secrets.token_hex(16).upper()}>] /Prev {xref_at} >>\n"
        f"startxref\n{new_xref}\n%%EOF\n"
    ).encode("ascii")
    ranges = f"/ByteRange [0 {contents_start} {contents_end} {len(out) - contents_end}]".encode(
        "ascii"
    )
    out[byte_range_at : byte_range_at + len(_BYTE_RANGE)] = ranges.ljust(len(_BYTE_RANGE))
    return Prepared(out, contents_start, contents_end)
