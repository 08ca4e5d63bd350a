"""Proposals: written by verified residents, supported within a period, answered with reasons,
merged by moderators so support gathers on one; similar proposals are suggested while writing.

Every write validates, runs in one transaction, is audited; a proposal holding markup (a
``<script>``) or an image that is not a safe PNG/JPEG (a decompression bomb) is refused with a
clear message and nothing is written.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.models import Person
from sportel.core.uploads import check_upload
from sportel.services.search import words

from . import follows
from .models import Answer, Milestone, Proposal, ProposalImage, Support, image_name

MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)
SUPPORT_DAYS = 90
DEFAULT_THRESHOLD = 100
SIMILAR_MIN = 0.25


def support_threshold(municipality, unit=None) -> int:
    """Supports a new proposal needs: a share of the residents in the register when
    ``SPORTEL_PARTICIPATION_SUPPORT_SHARE`` is set (e.g. ``"0.005"``: 0.5% of the unit's
    residents, or of the municipality's for a city-wide proposal), otherwise the fixed
    ``SPORTEL_PARTICIPATION_SUPPORT_THRESHOLD`` (default 100). Fixed when the proposal is made,
    so the goal does not move while residents support it."""
    share = getattr(settings, "SPORTEL_PARTICIPATION_SUPPORT_SHARE", None)
    if share in (None, ""):
        return int(getattr(settings, "SPORTEL_PARTICIPATION_SUPPORT_THRESHOLD", DEFAULT_THRESHOLD))
    share = Decimal(str(share))
    if not Decimal(0) < share <= Decimal(1):
        raise ImproperlyConfigured("SPORTEL_PARTICIPATION_SUPPORT_SHARE is a share in (0, 1].")
    residents = Person.objects.filter(municipality=municipality)
    if unit is not None:
        residents = residents.filter(unit=unit)
    needed = (share * residents.count()).to_integral_value(rounding=ROUND_CEILING)
    return max(1, int(needed))


def resident_of(municipality, user) -> Person | None:
    """The register entry of a *verified* account in ``municipality`` (decision 0010)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not (user.nid_verified and user.nid):
        return None
    return Person.objects.filter(municipality=municipality, nid=user.nid).first()


def _plain(field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(value) > limit:
        raise ValidationError(
            {field: _("Write at most %(n)s characters.") % {"n": limit}}, code="too_long"
        )
    if MARKUP.search(value):
        raise ValidationError(
            {field: _("Write plain text: HTML, scripts and links to scripts are not allowed.")},
            code="markup",
        )
    return value


def similar(municipality, text: str, *, exclude=None, limit: int = 5) -> list[Proposal]:
    """Open proposals that say much the same (accent-insensitive, stemmed words in common)."""
    mine = set(words(text))
    if not mine:
        return []
    scored = []
    candidates = Proposal.objects.filter(
        municipality=municipality,
        status__in=(Proposal.Status.PUBLISHED, Proposal.Status.EVALUATING),
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    for proposal in candidates.only("pk", "title", "body", "status", "created_at")[:2000]:
        theirs = set(words(f"{proposal.title} {proposal.body}"))
        if not theirs:
            continue
        score = len(mine & theirs) / min(len(mine), len(theirs))
        if score >= SIMILAR_MIN:
            scored.append((score, proposal.pk, proposal))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    return [p for _, _, p in scored[:limit]]


def create_proposal(
    municipality, *, author, title: str, body: str, category: str = "", unit=None, image=None
) -> Proposal:
    person = resident_of(municipality, author)
    if person is None:
        raise PermissionDenied(
            _("Only residents whose identity was verified can make proposals here.")
        )
    errors = {}
    values = {}
    for field, value, limit in (("title", title, 150), ("body", body, 5000)):
        try:
            values[field] = _plain(field, value, limit)
        except ValidationError as refused:
            errors.update(refused.message_dict)
    if unit is not None and unit.municipality_id != municipality.pk:
        errors["unit"] = [_("Choose one of this municipality's administrative units.")]
    checked = None
    if image is not None:
        try:
            checked = check_upload(image)
        except ValidationError as refused:
            errors["image"] = refused.messages
        else:
            if not checked.content_type.startswith("image/"):
                errors["image"] = [_("Only PNG or JPEG photos can be added to a proposal.")]
    if errors:
        raise ValidationError(errors)
    # The photo is written to the file storage (maybe S3) before the transaction, not inside
    # it, and removed again if the proposal is not saved.
    stored = _store_image(municipality, checked) if checked is not None else None
    try:
        return _save_proposal(
            municipality,
            author=author,
            values=values,
            category=category,
            unit=unit,
            image=(checked.content_type, stored) if stored else None,
        )
    except BaseException:
        if stored:
            ProposalImage.file.field.storage.delete(stored)
        raise


def _store_image(municipality, checked) -> str:
    extension = "png" if checked.content_type == "image/png" else "jpg"
    storage = ProposalImage.file.field.storage
    return storage.save(
        image_name(municipality.pk, f"{secrets.token_hex(12)}.{extension}"),
        ContentFile(checked.content),
    )


def _save_proposal(municipality, *, author, values, category, unit, image) -> Proposal:
    with transaction.atomic():
        proposal = Proposal.objects.create(
            municipality=municipality,
            title=values["title"],
            body=values["body"],
            category=category[:40],
            unit=unit,
            author=author,
            supports_until=timezone.now() + timedelta(days=SUPPORT_DAYS),
            threshold=support_threshold(municipality, unit),
        )
        if image is not None:
            ProposalImage.objects.create(proposal=proposal, content_type=image[0], file=image[1])
        audit.record(
            "participation.proposal_created", actor=author, municipality=municipality, obj=proposal
        )
        follows.follow(author, proposal=proposal)
    return proposal


def support(proposal: Proposal, *, user, now=None) -> bool:
    """Add ``user``'s support; False when they already supported it (counted once)."""
    now = now or timezone.now()
    if resident_of(proposal.municipality, user) is None:
        raise PermissionDenied(
            _("Only residents whose identity was verified can support proposals.")
        )
    if proposal.status != Proposal.Status.PUBLISHED or now > proposal.supports_until:
        raise ValidationError(_("This proposal no longer collects support."), code="closed")
    try:
        with transaction.atomic():
            Support.objects.create(proposal=proposal, user=user, at=now)
            audit.record(
                "participation.proposal_supported",
                actor=user,
                municipality=proposal.municipality,
                obj=proposal,
            )
    except IntegrityError:
        return False
    return True


def answer(proposal: Proposal, *, by, status: str, reasons: str) -> Answer:
    """The municipality's official answer: evaluating, accepted or rejected, with reasons."""
    if not has_permission(by, proposal.municipality, "participation.manage"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    allowed = (Proposal.Status.EVALUATING, Proposal.Status.ACCEPTED, Proposal.Status.REJECTED)
    if status not in allowed:
        raise ValidationError({"status": _("Choose evaluating, accepted or rejected.")})
    reasons = _plain("reasons", reasons, 5000)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status == Proposal.Status.MERGED:
            raise ValidationError(_("A merged proposal is answered through the one it joined."))
        row = Answer.objects.create(proposal=locked, status=status, reasons=reasons, by=by)
        Proposal.objects.filter(pk=locked.pk).update(status=status)
        audit.record(
            "participation.proposal_answered",
            actor=by,
            municipality=proposal.municipality,
            obj=proposal,
            data={"status": status},
        )
        follows.notify(
            municipality=proposal.municipality,
            title=locked.title,
            what=follows.ANSWERED[status],
            path=follows.proposal_path(locked),
            proposal=locked,
        )
    proposal.status = status
    return row


def merge(proposal: Proposal, *, into: Proposal, by) -> int:
    """A moderator merges ``proposal`` into ``into``: its supports move (each person counted once).
    Returns how many supports moved."""
    if not has_permission(by, proposal.municipality, "participation.moderate"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if into.municipality_id != proposal.municipality_id or into.pk == proposal.pk:
        raise ValidationError(_("Choose another proposal of this municipality."), code="invalid")
    with transaction.atomic():
        first, second = sorted((proposal.pk, into.pk))
        rows = {
            p.pk: p for p in Proposal.objects.select_for_update().filter(pk__in=(first, second))
        }
        source, target = rows[proposal.pk], rows[into.pk]
        if Proposal.Status.MERGED in (source.status, target.status):
            raise ValidationError(_("This proposal was already merged."), code="merged")
        already = set(Support.objects.filter(proposal=target).values_list("user_id", flat=True))
        moving = Support.objects.filter(proposal=source).exclude(user_id__in=already)
        moved = moving.update(proposal=target)
        Support.objects.filter(proposal=source).delete()
        Proposal.objects.filter(pk=source.pk).update(
            status=Proposal.Status.MERGED, merged_into=target
        )
        audit.record(
            "participation.proposal_merged",
            actor=by,
            municipality=proposal.municipality,
            obj=source,
            role="moderator",
            data={"into": target.pk, "supports_moved": moved},
        )
    proposal.status, proposal.merged_into = Proposal.Status.MERGED, into
    return moved


def add_milestone(proposal: Proposal, *, by, title: str, progress: int) -> Milestone:
    """Staff report progress on an accepted proposal, which the public follows on its page."""
    if not has_permission(by, proposal.municipality, "participation.manage"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if proposal.status != Proposal.Status.ACCEPTED:
        raise ValidationError(_("Only accepted proposals are tracked."), code="not_accepted")
    if not 0 <= int(progress) <= 100:
        raise ValidationError({"progress": _("Progress is a percentage from 0 to 100.")})
    title = _plain("title", title, 200)
    with transaction.atomic():
        row = Milestone.objects.create(proposal=proposal, title=title, progress=progress, by=by)
        audit.record(
            "participation.milestone",
            actor=by,
            municipality=proposal.municipality,
            obj=proposal,
            data={"progress": int(progress)},
        )
        follows.notify(
            municipality=proposal.municipality,
            title=proposal.title,
            what=(f"ecuria {int(progress)}%: {title}", f"progress {int(progress)}%: {title}"),
            path=follows.proposal_path(proposal),
            proposal=proposal,
        )
    return row
