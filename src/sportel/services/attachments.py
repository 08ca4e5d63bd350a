"""Files attached to an application: checked (core.uploads), stored by content hash, audited."""

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.uploads import CheckedUpload, check_upload

from .history import user_or_none
from .models import Application, Attachment

MAX_ATTACHMENTS = 10


def store_attachment(application: Application, checked: CheckedUpload, *, actor) -> Attachment:
    digest = hashlib.sha256(checked.content).hexdigest()
    attachment = Attachment(
        municipality_id=application.municipality_id,
        application=application,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=digest,
        uploaded_by=user_or_none(actor),
    )
    attachment.file.save(digest, ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


def add_attachment(application: Application, *, actor, upload) -> Attachment:
    """Attach a checked file to a draft (PDF, PNG, JPEG; size-limited; images re-encoded).

    Idempotent by content: the same file attached again returns the first attachment."""
    if application.status != Application.Status.DRAFT:
        raise ValidationError(_("This application has already been submitted."))
    if actor is None or application.created_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("This draft belongs to someone else."))
    checked = check_upload(upload)
    digest = hashlib.sha256(checked.content).hexdigest()
    with transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        same = application.attachments.filter(sha256=digest).first()
        if same is not None:
            return same  # the same file again (a retried upload): attached once, safe to retry
        if application.attachments.count() >= MAX_ATTACHMENTS:
            raise ValidationError(
                {"attachments": _("At most %(n)d files can be attached.") % {"n": MAX_ATTACHMENTS}}
            )
        attachment = store_attachment(application, checked, actor=actor)
        audit.record(
            "application.attach",
            actor=actor,
            municipality=application.municipality,
            obj=application,
            data={"sha256": attachment.sha256, "size": attachment.size},
        )
    return attachment
