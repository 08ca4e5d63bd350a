"""Checking a file a person uploads, before anything stores it.

Applications' attachments use it today, problem reports' photos next: the size is limited, the
type is sniffed from the bytes (never the name), and images are re-encoded with Pillow, which
drops their metadata (EXIF GPS positions, camera serials).
"""

import io
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Sniffed type → the file-name extension it is stored under.
ACCEPTED_UPLOADS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass
class CheckedUpload:
    name: str
    content_type: str
    content: bytes


def check_upload(upload) -> CheckedUpload:
    """Size-limit, sniff the type from the bytes (never the name), refuse what is unsafe.

    Accepts PDF, PNG and JPEG:

    - a PDF must parse, and carry no active content (:func:`_active_content`);
    - an image's pixel count is read from its header and limited *before* anything decodes it
      (a decompression bomb is refused without being decoded); it is then re-encoded with
      Pillow, which drops its metadata (EXIF GPS positions, camera serials).

    The checked file is named by its sniffed type: a PNG sent as ``scan.pdf`` becomes
    ``scan.png``. Messages name the file as the person sent it, in the active language, under
    the ``attachments`` key.
    """
    sent_name = (getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1]
    sent_name = sent_name[:200]
    limit = settings.SPORTEL_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refused(
            _("%(name)s is larger than %(max)d MB."),
            name=sent_name,
            max=limit // (1024 * 1024),
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _refused(
            _("%(name)s is larger than %(max)d MB."),
            name=sent_name,
            max=limit // (1024 * 1024),
        )
    if not content:
        raise _refused(_("%(name)s is empty."), name=sent_name)
    if content.startswith(b"%PDF-"):
        _check_pdf(sent_name, content)
        return CheckedUpload(_named_as(sent_name, "application/pdf"), "application/pdf", content)
    if content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff"):
        content_type, content = _reencode_image(sent_name, content)
        return CheckedUpload(_named_as(sent_name, content_type), content_type, content)
    raise _refused(
        _("%(name)s is not a PDF, PNG or JPEG file; only those are accepted."), name=sent_name
    )


def _refused(message: str, **params) -> ValidationError:
    return ValidationError({"attachments": message % params})


# Extensions a file of each type may keep; any other is replaced by the type's own.
_EXTENSIONS = {"application/pdf": ("pdf",), "image/png": ("png",), "image/jpeg": ("jpg", "jpeg")}


def _named_as(name: str, content_type: str) -> str:
    """``name`` with the extension of ``content_type`` (``scan.pdf`` holding a PNG → ``scan.png``)."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in _EXTENSIONS[content_type]:
        return name
    stem = stem if dot and stem else name
    return f"{stem[:190]}.{ACCEPTED_UPLOADS[content_type]}"


# --- images ------------------------------------------------------------------------------------


def _reencode_image(name: str, content: bytes) -> tuple[str, bytes]:
    from PIL import Image

    max_pixels = settings.SPORTEL_MAX_UPLOAD_PIXELS
    too_many_pixels = _refused(
        _("%(name)s has more than %(max)d million pixels; send a smaller picture."),
        name=name,
        max=max(1, max_pixels // 1_000_000),
    )
    try:
        # Image.open reads the header only: the size is known before any pixel is decoded.
        # (Pillow itself refuses from 179 million pixels, which our lower limit is under.)
        probe = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refused(_("%(name)s is a damaged or unreadable image."), name=name) from exc
    try:
        with probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise too_many_pixels
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            fmt = image.format
            out = io.BytesIO()
            if fmt == "PNG":
                image.save(out, format="PNG", optimize=False)
                return "image/png", out.getvalue()
            image.convert("RGB").save(out, format="JPEG", quality=90)
            return "image/jpeg", out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _refused(_("%(name)s is a damaged or unreadable image."), name=name) from exc


# --- PDFs --------------------------------------------------------------------------------------

# Dictionary keys that carry or start active content: scripts, actions run on open or on an
# event, embedded files, multimedia, XFA forms.
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia"}
    | {"/RichMediaContent", "/RichMediaExecute", "/XFA"}
)
# Action types (/S) and object types (/Type, /Subtype) that do the same.
_ACTIVE_TYPES = frozenset(
    {"/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia", "/RichMediaExecute", "/ImportData"}
    | {"/GoToE"}
)
# Bounds on the walk. A scanned letter has a few dozen objects and a 100-page report a few
# thousand; pyHanko parses an object stream again for each object read from it, so a crafted
# file could make the walk slow: past either bound the file is refused as too complex.
_MAX_PDF_OBJECTS = 50_000
_PDF_SECONDS = 5.0


def _check_pdf(name: str, content: bytes) -> None:
    """Refuse a PDF that does not parse, is password-protected or carries active content."""
    reason = _pdf_problem(content)
    if reason == "damaged":
        raise _refused(_("%(name)s is not a complete PDF file."), name=name)
    if reason == "too complex":
        raise _refused(
            _("%(name)s is too complex to check; print it to a new PDF and send that."),
            name=name,
        )
    if reason == "encrypted":
        raise _refused(
            _("%(name)s is protected by a password; send it without the password."), name=name
        )
    if reason is not None:
        raise _refused(
            _(
                "%(name)s contains active content (%(what)s), which is not accepted. Print it "
                "to a new PDF, or scan the paper, and send that."
            ),
            name=name,
            what=reason,
        )


def _pdf_problem(content: bytes) -> str | None:
    """None for a clean PDF, else "damaged", "encrypted", "too complex" or the active content.

    Parsed with pyHanko's reader (already needed for sealing; its stream decoding is bounded
    against compression bombs), never with a byte scan: names may be written with #-escapes
    (``/J#61vaScript``) and objects may sit compressed in object streams, which only a parser
    sees. Every object reachable from the trailer is walked; only reachable objects can run.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.crypt import AuthStatus
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if b"%%EOF" not in content[-2048:]:
        return "damaged"
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        if reader.encrypted:
            result = reader.decrypt(b"")
            if result.status == AuthStatus.FAILED:
                return "encrypted"
        seen: set[tuple[int, int]] = set()
        stack: list = [reader.trailer_view]
        visited = 0
        deadline = time.monotonic() + _PDF_SECONDS
        while stack:
            obj = stack.pop()
            if isinstance(obj, generic.IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in seen:
                    continue
                seen.add(key)
                obj = obj.get_object()
            visited += 1
            if visited > _MAX_PDF_OBJECTS or time.monotonic() > deadline:
                return "too complex"
            if isinstance(obj, generic.DictionaryObject):  # streams too: their dictionary
                for dict_key in obj:
                    if dict_key in _ACTIVE_KEYS:
                        return str(dict_key).lstrip("/")
                for type_key in ("/S", "/Type", "/Subtype"):
                    value = obj.raw_get(type_key) if type_key in obj else None
                    if isinstance(value, generic.NameObject) and value in _ACTIVE_TYPES:
                        return str(value).lstrip("/")
                stack.extend(obj.raw_get(k) for k in obj if k != "/Parent")
            elif isinstance(obj, generic.ArrayObject):
                stack.extend(obj.raw_get(i) for i in range(len(obj)))
    except (PdfError, ValueError, KeyError, TypeError, IndexError, RecursionError):
        return "damaged"
    return None
