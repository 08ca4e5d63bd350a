"""The certificate's PDF, written directly (no layout engine), in four layers that point one way:

* :mod:`.writer` — PDF objects, streams, the cross-reference table and trailer;
* :mod:`.fonts` — the embedded TrueType fonts (glyph ids, widths, ToUnicode) and their objects;
* :mod:`.drawing` — a content-stream canvas, line breaking, the QR code, the shield, the emblem;
* :mod:`.certificate` — what a municipal certificate holds and where each part goes on the page.

``sportel.documents.render`` re-exports the names callers use.
"""
