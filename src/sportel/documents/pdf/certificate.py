"""The municipal certificate: what it holds, where each part goes on its one A4 page, and the
objects of the file (PDF/A-2b, tagged for screen readers as PDF/UA-1 asks).

PDF/A-2b points taken care of: binary header comment, trailer ``/ID``, XMP metadata with
``pdfaid:part``/``conformance`` (uncompressed), an sRGB ``GTS_PDFA1`` output intent, every font
embedded (CIDFontType2 with ``CIDToGIDMap /Identity`` and widths from the font), DeviceRGB
colours only, no transparency, every annotation printable with an appearance stream.

PDF/UA-1 points: ``/MarkInfo << /Marked true >>``, a structure tree (``/StructTreeRoot``, a
``Document`` of headings, paragraphs, a table of the fields with row headers, the QR code as a
``Figure`` with its alternative text and the seal's widget as a ``Form``), every piece of page
content either marked and tied to the tree or an ``/Artifact``, ``/Lang`` on the catalogue, the
title in XMP ``dc:title`` shown by viewers (``/DisplayDocTitle``), ``pdfuaid:part`` declared in
XMP with its PDF/A extension schema, tab order by structure on the page.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from .drawing import (
    ACCENT,
    INK,
    MUTED,
    PANEL,
    SAMPLE_INK,
    Annotation,
    Canvas,
    Emblem,
    Node,
    chunks,
    draw_qr,
    draw_shield,
    spaced,
    wrap,
)
from .fonts import font_objects, fonts, printable
from .writer import name_token, obj, stream, text_string, write

SIGNATURE_FIELD = "SportelSeal"
A4 = (595.28, 841.89)
MARGIN = 56.0

# Fixed object numbers: the constant objects are serialised once and reused byte for byte.
OBJ_CATALOG, OBJ_PAGES, OBJ_PAGE, OBJ_CONTENT, OBJ_XMP, OBJ_ICC = 1, 2, 3, 4, 5, 6
OBJ_FIELD, OBJ_FIELD_AP = 7, 8
FONT_OBJECTS = {"R": 9, "B": 14}  # Type0, CIDFont, FontDescriptor, FontFile2, ToUnicode
OBJ_EMBLEM = max(FONT_OBJECTS.values()) + 5
OBJ_STRUCT_ROOT = OBJ_EMBLEM + 1
OBJ_PARENT_TREE = OBJ_STRUCT_ROOT + 1
FIRST_STRUCT_ELEMENT = OBJ_PARENT_TREE + 1
FONT_RESOURCES = " ".join(f"/F{key} {num} 0 R" for key, num in FONT_OBJECTS.items())


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
    qr_alt: str = ""  # what a screen reader says for the QR code
    emblem_alt: str = ""  # … and for the emblem or shield
    seal_alt: str = ""  # … and for the seal's field


class DoesNotFit(ValueError):
    """The certificate's content is longer than its one page: nothing may be left off silently."""


# Lowest baseline for the title, the fields and the text: above the QR code and the seal.
CONTENT_FLOOR = 230.0
SEAL_BOX = (A4[0] - MARGIN - 215, 112, A4[0] - MARGIN, 212)  # x1, y1, x2, y2


def _page_content(c: Certificate, doc: Node) -> bytes:
    """The page's content stream; the structure elements it draws are added to ``doc``."""
    width, height = A4
    cv = Canvas()
    right = width - MARGIN
    inner = right - MARGIN

    if c.sample_banner:
        # Under everything else, in a pale colour: readable text stays readable above it. The
        # same words are printed once more at the foot of the page, tagged; this copy is not.
        font = fonts()["B"]
        size = min(60.0, 500 / max(font.width(printable(c.sample_banner, font), 1), 1))
        with cv.artifact():
            cv.raw("q 0.8660 0.5 -0.5 0.8660 105 240 cm")
            cv.text(0, 0, c.sample_banner, size=size, bold=True, rgb=SAMPLE_INK)
            cv.raw("Q")

    # Header: emblem or shield, country, issuer, contact line, red rule.
    top = height - MARGIN
    with cv.mark(doc.add("Figure", alt=c.emblem_alt or c.issuer)):
        if c.emblem is not None:
            scale = min(50 / c.emblem.width, 62 / c.emblem.height)
            w, h = c.emblem.width * scale, c.emblem.height * scale
            cv.raw(
                f"q {w:.2f} 0 0 {h:.2f} {MARGIN + (50 - w) / 2:.2f} "
                f"{top - 62 + (62 - h) / 2:.2f} cm /Em Do Q"
            )
        else:
            draw_shield(cv, MARGIN, top - 62, 50, 62, c.issuer_code)
    with cv.mark(doc.add("P")):
        cv.text(MARGIN + 66, top - 14, c.country, size=9.5, rgb=MUTED)
    bold = fonts()["B"]
    issuer_size = min(18.0, (inner - 66) / max(bold.width(printable(c.issuer, bold), 1), 0.01))
    with cv.mark(doc.add("P")):
        cv.text(MARGIN + 66, top - 36, c.issuer, size=issuer_size, bold=True)
    y = top - 52
    contact = spaced(wrap(c.issuer_contact, inner - 66, size=8.5)[:2])
    if c.issuer_contact:
        with cv.mark(doc.add("P")):
            for line in contact:
                cv.text(MARGIN + 66, y, line, size=8.5, rgb=MUTED)
                y -= 11
    with cv.artifact():
        cv.line(MARGIN, top - 76, right, top - 76, rgb=ACCENT, width=2)

    # Title (read first after the letterhead).
    y = top - 160
    with cv.mark(doc.add("H1")):
        for line in spaced(wrap(c.title.upper(), inner, size=19, bold=True)):
            cv.text_center(width / 2, y, line, size=19, bold=True)
            y -= 25
    with cv.artifact():
        cv.line(width / 2 - 40, y + 12, width / 2 + 40, y + 12, rgb=ACCENT, width=1.5)
    y -= 18
    if y < CONTENT_FLOOR:
        raise DoesNotFit("the title needs more than one page")

    # Code, date and case number on the right, between the rule and the title.
    ry = top - 98
    with cv.mark(doc.add("P")):
        cv.text_right(right, ry, f"{c.code_label}: {c.code}", size=9.5, bold=True)
    with cv.mark(doc.add("P")):
        cv.text_right(right, ry - 13, f"{c.issued_label}: {c.issued_at}", size=9.5, rgb=MUTED)
    if c.case_reference:
        with cv.mark(doc.add("P")):
            cv.text_right(
                right, ry - 26, f"{c.case_label}: {c.case_reference}", size=9.5, rgb=MUTED
            )

    # Holder and fields as a two-column table: a row header (the label) and its value.
    rows = ([(c.holder_label, c.holder)] if c.holder else []) + list(c.fields)
    label_w = 170
    table = doc.add("Table") if rows else None
    for label, value in rows:
        values = spaced(wrap(value, inner - label_w - 12, size=11, bold=True))
        labels = spaced(wrap(label, label_w - 20, size=9.5))
        row_h = 8 + 14 * max(len(values), len(labels))
        if y - row_h + 10 < CONTENT_FLOOR:
            raise DoesNotFit(f"the fields need more than one page (at {label!r})")
        with cv.artifact():
            cv.rect(MARGIN, y - row_h + 10, inner, row_h, fill=PANEL)
        tr = table.add("TR")
        with cv.mark(tr.add("TH")):
            for i, line in enumerate(labels):
                cv.text(MARGIN + 8, y - 4 - 14 * i, line, size=9.5, rgb=MUTED)
        with cv.mark(tr.add("TD")):
            for i, line in enumerate(values):
                cv.text(MARGIN + label_w, y - 4 - 14 * i, line, size=11, bold=True)
        y -= row_h + 4

    # Free text, one paragraph per paragraph of the body.
    if c.body:
        y -= 10
        paragraphs = [p for p in c.body.split("\n\n") if p.strip()]
        laid = [spaced(wrap(p, inner, size=10.5)) for p in paragraphs]
        needed = sum(15 * len(lines) for lines in laid) + 6 * (len(laid) - 1) - 15
        if y - needed < CONTENT_FLOOR:
            raise DoesNotFit("the text needs more than one page")
        for lines in laid:
            with cv.mark(doc.add("P")):
                for line in lines:
                    cv.text(MARGIN, y, line, size=10.5)
                    y -= 15
            y -= 6

    # Bottom: QR and its caption on the left; the seal field on the right (drawn by its widget).
    qr_size = 96
    qr_y = 118
    with cv.mark(doc.add("Figure", alt=c.qr_alt or c.verify_url)):
        draw_qr(cv, c.verify_url, MARGIN + 4, qr_y, qr_size)
    text_x = MARGIN + qr_size + 18
    text_w = SEAL_BOX[0] - text_x - 10
    y = qr_y + qr_size - 10
    with cv.mark(doc.add("P")):
        for line in wrap(c.verify_caption, text_w, size=9, bold=True)[:2]:
            cv.text(text_x, y, line + " ", size=9, bold=True)
            y -= 12
        cv.text(text_x, y - 2, c.code, size=9)
    y -= 16
    with cv.mark(doc.add("P")):
        for line in chunks(c.verify_url, text_w, size=7.5)[:3]:
            cv.text(text_x, y, line, size=7.5, rgb=MUTED)
            y -= 10
    doc.add("Form", alt=c.seal_alt).kids.append(Annotation(OBJ_FIELD))

    with cv.artifact():
        cv.line(MARGIN, 90, right, 90)
    fy = 76
    with cv.mark(doc.add("P")):
        for line in spaced(wrap(c.footer, inner, size=7.5)[:4]):
            cv.text(MARGIN, fy, line, size=7.5, rgb=MUTED)
            fy -= 10
    if c.sample_banner:
        with cv.mark(doc.add("P")):
            cv.text_center(width / 2, 28, c.sample_banner, size=9, bold=True, rgb=ACCENT)
    return zlib.compress(cv.bytes(), 6)


def _seal_appearance(lines: list[str]) -> bytes:
    x1, y1, x2, y2 = SEAL_BOX
    w, h = x2 - x1, y2 - y1
    cv = Canvas(tagged=False)  # an annotation's appearance, described by the Form element
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
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>PDF/UA identification schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>part</pdfaProperty:name>
         <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
         <pdfaProperty:category>internal</pdfaProperty:category>
         <pdfaProperty:description>PDF/UA part</pdfaProperty:description>
        </rdf:li>
       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <pdfuaid:part>1</pdfuaid:part>
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


def _structure(doc: Node) -> tuple[list[tuple[int, bytes]], str]:
    """The structure elements as objects (numbered from FIRST_STRUCT_ELEMENT), and the parent
    tree's /Nums array: MCID → element for the page (key 0), the widget's element (key 1)."""
    numbers: dict[int, int] = {}  # id(node) → object number
    order: list[tuple[Node, int]] = []  # (node, parent object number)

    def number(node: Node, parent: int) -> None:
        numbers[id(node)] = FIRST_STRUCT_ELEMENT + len(order)
        order.append((node, parent))
        for kid in node.kids:
            if isinstance(kid, Node):
                number(kid, numbers[id(node)])

    number(doc, OBJ_STRUCT_ROOT)
    by_mcid: dict[int, int] = {}
    form_element = None
    objects = []
    for node, parent in order:
        num = numbers[id(node)]
        kids = []
        for kid in node.kids:
            if isinstance(kid, Node):
                kids.append(f"{numbers[id(kid)]} 0 R")
            elif isinstance(kid, Annotation):
                kids.append(f"<< /Type /OBJR /Obj {kid.number} 0 R /Pg {OBJ_PAGE} 0 R >>")
                form_element = num
            else:
                kids.append(str(kid))
                by_mcid[kid] = num
        extra = f" /Alt {text_string(node.alt)}" if node.alt else ""
        if node.tag == "TH":
            extra += " /A << /O /Table /Scope /Row >>"
        objects.append(
            (
                num,
                obj(
                    num,
                    f"<< /Type /StructElem /S /{node.tag} /P {parent} 0 R /Pg {OBJ_PAGE} 0 R "
                    f"/K [{' '.join(kids)}]{extra} >>",
                ),
            )
        )
    page_refs = " ".join(f"{by_mcid[m]} 0 R" for m in sorted(by_mcid))
    nums = f"0 [{page_refs}]"
    if form_element is not None:
        nums += f" 1 {form_element} 0 R"
    return objects, nums


def _constant_objects_uncached() -> list[tuple[int, bytes]]:
    from .fonts import HERE

    icc = (HERE / "icc" / "sRGB2014.icc").read_bytes()
    objects = [(OBJ_ICC, stream(OBJ_ICC, zlib.compress(icc, 9), " /N 3"))]
    for key, first in FONT_OBJECTS.items():
        objects += font_objects(fonts()[key], first)
    return objects


_constant: list[tuple[int, bytes]] = []


def constant_objects() -> list[tuple[int, bytes]]:
    """The font programs and the ICC profile: identical in every document, built once."""
    if not _constant:
        _constant.extend(_constant_objects_uncached())
    return _constant


def render(c: Certificate) -> bytes:
    """The certificate as PDF/A-2b (tagged, PDF/UA-1) bytes, with an empty signature field."""
    width, height = A4
    created = (c.created or datetime.now().astimezone()).isoformat(timespec="seconds")
    x1, y1, x2, y2 = SEAL_BOX
    doc = Node("Document")
    content = _page_content(c, doc)
    structure, parent_nums = _structure(doc)
    seal_name = text_string(c.seal_alt or "Electronic seal")
    objects: list[tuple[int, bytes]] = [
        (
            OBJ_CATALOG,
            obj(
                OBJ_CATALOG,
                f"<< /Type /Catalog /Pages {OBJ_PAGES} 0 R /Metadata {OBJ_XMP} 0 R "
                f"/Lang ({name_token(c.language)}) "
                f"/MarkInfo << /Marked true >> /StructTreeRoot {OBJ_STRUCT_ROOT} 0 R "
                "/ViewerPreferences << /DisplayDocTitle true >> "
                f"/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 "
                f"/OutputConditionIdentifier (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) "
                f"/Info (sRGB IEC61966-2.1) /DestOutputProfile {OBJ_ICC} 0 R >>] "
                f"/AcroForm << /Fields [{OBJ_FIELD} 0 R] /SigFlags 0 >> >>",
            ),
        ),
        (OBJ_PAGES, obj(OBJ_PAGES, f"<< /Type /Pages /Kids [{OBJ_PAGE} 0 R] /Count 1 >>")),
        (
            OBJ_PAGE,
            obj(
                OBJ_PAGE,
                f"<< /Type /Page /Parent {OBJ_PAGES} 0 R /MediaBox [0 0 {width} {height}] "
                f"/Resources << /Font << {FONT_RESOURCES} >>"
                + (f" /XObject << /Em {OBJ_EMBLEM} 0 R >>" if c.emblem is not None else "")
                + f" >> /Contents {OBJ_CONTENT} 0 R "
                f"/Annots [{OBJ_FIELD} 0 R] /StructParents 0 /Tabs /S >>",
            ),
        ),
        (OBJ_CONTENT, stream(OBJ_CONTENT, content)),
        (
            OBJ_XMP,
            stream(OBJ_XMP, _xmp(c, created), " /Type /Metadata /Subtype /XML", compressed=False),
        ),
        (
            OBJ_FIELD,
            obj(
                OBJ_FIELD,
                f"<< /FT /Sig /T ({SIGNATURE_FIELD}) /TU {seal_name} /Type /Annot "
                f"/Subtype /Widget /F 132 /StructParent 1 "
                f"/Rect [{x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f}] /P {OBJ_PAGE} 0 R "
                f"/AP << /N {OBJ_FIELD_AP} 0 R >> >>",
            ),
        ),
        (
            OBJ_FIELD_AP,
            stream(
                OBJ_FIELD_AP,
                _seal_appearance(c.seal_lines),
                f" /Type /XObject /Subtype /Form /BBox [0 0 {x2 - x1:.2f} {y2 - y1:.2f}] "
                f"/Resources << /Font << {FONT_RESOURCES} >> >>",
            ),
        ),
        *constant_objects(),
        (
            OBJ_STRUCT_ROOT,
            obj(
                OBJ_STRUCT_ROOT,
                f"<< /Type /StructTreeRoot /K [{FIRST_STRUCT_ELEMENT} 0 R] "
                f"/ParentTree {OBJ_PARENT_TREE} 0 R /ParentTreeNextKey 2 >>",
            ),
        ),
        (OBJ_PARENT_TREE, obj(OBJ_PARENT_TREE, f"<< /Nums [{parent_nums}] >>")),
        *structure,
    ]
    if c.emblem is None:
        objects.append((OBJ_EMBLEM, obj(OBJ_EMBLEM, "null")))  # keeps the xref dense
    else:
        objects.append(
            (
                OBJ_EMBLEM,
                stream(
                    OBJ_EMBLEM,
                    c.emblem.jpeg,
                    f" /Type /XObject /Subtype /Image /Width {c.emblem.width} "
                    f"/Height {c.emblem.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                    "/Filter /DCTDecode",
                    compressed=False,
                ),
            )
        )
    return write(objects, root=OBJ_CATALOG, id_seed=content + created.encode())
