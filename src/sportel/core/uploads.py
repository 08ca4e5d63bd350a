"""Checking a file a person uploads, before anything stores it.

Applications' attachments use it today, problem reports' photos next: the size is limited, the
type is sniffed from the bytes (never the name), and images are re-encoded with Pillow, which
drops their metadata (EXIF GPS positions, camera serials).
"""

import io
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
    """Size-limit, sniff the type from the bytes (never the name) and re-encode images.

    Accepts PDF, PNG and JPEG. Images are re-encoded with Pillow, which drops their metadata
    (EXIF GPS positions, camera serials).
    """
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    limit = settings.SPORTEL_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(max)d MB.")
                % {"name": name, "max": limit // (1024 * 1024)}
            }
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(max)d MB.")
                % {"name": name, "max": limit // (1024 * 1024)}
            }
        )
    if not content:
        raise ValidationError({"attachments": _("%(name)s is empty.") % {"name": name}})
    if content.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise ValidationError(
                {"attachments": _("%(name)s is not a complete PDF file.") % {"name": name}}
            )
        return CheckedUpload(name, "application/pdf", content)
    if content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff"):
        return CheckedUpload(name, *_reencode_image(name, content))
    raise ValidationError(
        {
            "attachments": _("%(name)s is not a PDF, PNG or JPEG file; only those are accepted.")
            % {"name": name}
        }
    )


def _reencode_image(name: str, content: bytes) -> tuple[str, bytes]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as probe:
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
        raise ValidationError(
            {"attachments": _("%(name)s is a damaged or unreadable image.") % {"name": name}}
        ) from exc
